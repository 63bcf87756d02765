"""The Try-it panel picks the sub-panel that fits the model, or says why there is none."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox, QLabel

from dlstudio.compile import compile_graph
from dlstudio.data import DataInfo, load_data
from dlstudio.data.textfile import fit_text_to_graph
from dlstudio.graph.templates import build_template
from dlstudio.graph.templates.builder import Builder
from dlstudio.train import Trainer, defaults_for_template, save_checkpoint
from dlstudio.ui.tryit import TryItPanel, panel_kind
from dlstudio.ui.tryit.text_panel import sample_index


@pytest.fixture
def tryit(qtbot) -> TryItPanel:
    panel = TryItPanel()
    qtbot.addWidget(panel)
    panel.show()
    return panel


@pytest.fixture(scope="module")
def line_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """linear-regression trained on builtin:linear (y = 3x + 0.5 on average)."""
    settings = replace(defaults_for_template("linear-regression"), device="cpu")
    out = tmp_path_factory.mktemp("line")
    result = Trainer(build_template("linear-regression"), load_data("builtin:linear"),
                     settings, out_dir=out).run()
    assert result.checkpoint is not None
    return Path(result.checkpoint)


def untrained(template: str, data: str) -> tuple[object, DataInfo]:
    torch.manual_seed(0)
    return compile_graph(build_template(template)), load_data(data).info


def test_without_a_model_it_says_how_to_get_one(tryit: TryItPanel) -> None:
    assert tryit.kind() == "none" and tryit.predictor is None
    assert "No trained weights yet" in tryit.reason()
    tryit.set_model(None, why="The graph changed since training: train it again.")
    assert tryit.reason().startswith("The graph changed")


def test_a_checkpoint_file_opens_the_drawing_pad(tryit: TryItPanel, tmp_path: Path) -> None:
    graph = build_template("cnn-small")
    module, info = compile_graph(graph), load_data("builtin:digits28").info
    path = tmp_path / "digits.pt"
    save_checkpoint(path, graph=graph, settings=defaults_for_template("cnn-small"),
                    data_info=info, model_state=module.state_dict(), optimizer_state={},
                    history=[], epoch=0)
    tryit.set_model(path)
    assert tryit.kind() == "image" and tryit.reason() == ""
    assert "digits28" in tryit.header.text() and "digits.pt" in tryit.header.text()
    assert tryit.image_panel.isVisible()


def test_a_broken_checkpoint_is_named(tryit: TryItPanel, tmp_path: Path) -> None:
    path = tmp_path / "broken.pt"
    path.write_bytes(b"no checkpoint here")
    tryit.set_model(path)
    assert tryit.kind() == "none"
    assert "Cannot load the checkpoint" in tryit.reason() and "broken.pt" in tryit.reason()


def test_a_trained_regression_answers_in_the_value_form(
        qtbot, tryit: TryItPanel, line_checkpoint: Path) -> None:
    tryit.set_model(line_checkpoint)
    assert tryit.kind() == "vector"
    form = tryit.vector_panel
    assert len(form.fields) == 1 and not form.bars.isVisibleTo(form)
    with qtbot.waitSignal(form.predicted, timeout=2000) as blocker:
        form.fields[0].setValue(1.0)
    (value,) = blocker.args[0].value
    assert value == pytest.approx(3.5, abs=0.3)  # y = 3x + 0.5
    assert f"{value:.4g}" in form.answer.text()
    with qtbot.waitSignal(form.predicted, timeout=2000) as blocker:
        form.fields[0].setValue(0.0)
    assert blocker.args[0].value[0] == pytest.approx(0.5, abs=0.3)


def test_xor_gets_two_fields_and_class_bars(qtbot, tryit: TryItPanel) -> None:
    tryit.set_model(untrained("xor", "builtin:xor"))
    form = tryit.vector_panel
    assert tryit.kind() == "vector" and len(form.fields) == 2
    with qtbot.waitSignal(form.predicted, timeout=2000) as blocker:
        form.set_values([1.0, 0.0])
    prediction = blocker.args[0]
    assert prediction.task == "classification"
    assert sum(prediction.probabilities) == pytest.approx(1.0)
    assert form.bars.probabilities() == pytest.approx(prediction.probabilities)
    assert form.bars.names() == ("0", "1")


def test_sequences_take_a_line_of_values_and_refuse_the_wrong_count(
        qtbot, tryit: TryItPanel) -> None:
    b = Builder()
    b.add("Input", "window", kind="sequence", shape=(50, 1))
    b.add("Flatten", "flatten")
    b.add("Dense", "next", units=1)
    b.add("Output", "output", loss="mse")
    tryit.set_model((compile_graph(b.graph), load_data("builtin:sine").info))
    form = tryit.vector_panel
    assert tryit.kind() == "vector" and form.fields == [] and form.line is not None
    with qtbot.waitSignal(form.predicted, timeout=2000) as blocker:
        form.set_values([0.5] * 50)
    assert len(blocker.args[0].value) == 1
    with qtbot.waitSignal(form.predicted, timeout=2000) as blocker:
        form.line.setText("1, 2, 3")
    assert blocker.args[0] is None
    assert "50 numbers" in form.answer.text() and "got 3" in form.answer.text()


def test_the_text_model_writes_from_a_prompt(qtbot, tryit: TryItPanel) -> None:
    tryit.set_model(untrained("lstm-text", "builtin:text"))
    text = tryit.text_panel
    assert tryit.kind() == "text"
    text.prompt.setPlainText("Alice was beginning to get very tired")
    text.length.setValue(24)
    text.temperature.setValue(0.0)
    with qtbot.waitSignal(text.generated, timeout=10_000) as blocker:
        text.generate()
    greedy = blocker.args[0]
    assert len(greedy) == 24
    assert text.output.toPlainText() == "Alice was beginning to get very tired" + greedy
    assert not text.is_generating() and text.generate_button.isEnabled()
    with qtbot.waitSignal(text.generated, timeout=10_000) as blocker:
        text.generate()
    assert blocker.args[0] == greedy  # temperature 0 always takes the likeliest

    text.temperature.setValue(1.5)
    runs = []
    for _ in range(2):
        with qtbot.waitSignal(text.generated, timeout=10_000) as blocker:
            text.generate(seed=7)
        runs.append(blocker.args[0])
    assert runs[0] == runs[1] and len(runs[0]) == 24


def test_stop_keeps_what_was_written(qtbot, tryit: TryItPanel) -> None:
    tryit.set_model(untrained("lstm-text", "builtin:text"))
    text = tryit.text_panel
    text.length.setValue(5000)
    text.generate(seed=1)
    qtbot.waitUntil(lambda: len(text.output.toPlainText()) > 0, timeout=5000)
    with qtbot.waitSignal(text.generated, timeout=2000) as blocker:
        text.stop_button.click()
    assert 0 < len(blocker.args[0]) < 5000
    assert text.output.toPlainText().endswith(blocker.args[0])


def test_a_module_is_copied_so_training_can_go_on(tryit: TryItPanel) -> None:
    module, info = untrained("xor", "builtin:xor")
    module.train()
    tryit.set_model((module, info))
    assert module.training  # the original is left as it was
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.add_(1.0)
    copied = dict(tryit.predictor.model.named_parameters())
    for name, parameter in module.named_parameters():
        assert not torch.equal(parameter, copied[name])


def test_models_that_cannot_be_tried_say_why() -> None:
    digits = load_data("builtin:digits28").info
    regression = replace(digits, task="regression", class_names=(), target_shape=(1,))
    kind, why = panel_kind(regression)
    assert kind == "none" and "regression" in why and "dlstudio predict" in why
    words = DataInfo(name="words", kind="tokens", task="classification", input_shape=(8,),
                     class_names=("the", "cat", "sat"))
    kind, why = panel_kind(words)
    assert kind == "none" and "not characters" in why
    assert panel_kind(digits)[0] == "image"
    assert panel_kind(load_data("builtin:text").info)[0] == "text"


def test_temperature_sharpens_or_flattens_the_draws() -> None:
    odds = np.array([0.6, 0.3, 0.1])
    assert sample_index(odds, 0.0, np.random.default_rng(0)) == 0

    def share_of_first(temperature: float) -> float:
        rng = np.random.default_rng(0)
        draws = [sample_index(odds, temperature, rng) for _ in range(2000)]
        return draws.count(0) / len(draws)

    assert share_of_first(0.2) > 0.95
    assert share_of_first(1.0) == pytest.approx(0.6, abs=0.05)
    assert share_of_first(5.0) < 0.45


def test_temperature_and_top_k_by_keyboard_on_the_primers_model(qtbot,
                                                                tryit: TryItPanel) -> None:
    graph = build_template("char-rnn")  # one-hot characters in, a prediction per step
    torch.manual_seed(0)
    info = fit_text_to_graph(load_data("builtin:text"), graph).info
    tryit.set_model((compile_graph(graph), info))
    assert tryit.kind() == "text"
    text = tryit.text_panel
    text.prompt.setPlainText("Alice was")
    text.length.setValue(20)

    def typed(box: QAbstractSpinBox, keys: str) -> None:
        box.setFocus()
        box.selectAll()
        qtbot.keyClicks(box, keys)
        qtbot.keyClick(box, Qt.Key.Key_Return)

    def written(seed: int | None = None) -> str:
        with qtbot.waitSignal(text.generated, timeout=10_000) as blocker:
            text.generate(seed=seed)
        return blocker.args[0]

    typed(text.temperature, "0")
    greedy = written()
    assert text.temperature.value() == 0.0 and len(greedy) == 20
    typed(text.temperature, "1.5")
    typed(text.top_k, "1")
    assert (text.temperature.value(), text.top_k.value()) == (1.5, 1)
    assert written(seed=3) == greedy  # one candidate left: the most likely, every time
    typed(text.top_k, "0")
    assert text.top_k.text() == "all"
    sampled = written(seed=3)
    assert sampled != greedy and sampled == written(seed=3)
    for box in (text.temperature, text.top_k):
        assert box.toolTip() and box.focusPolicy() & Qt.FocusPolicy.TabFocus
    labels = {label.text(): label.buddy() for label in text.findChildren(QLabel)}
    assert labels["Top-&k"] is text.top_k and labels["&Temperature"] is text.temperature
