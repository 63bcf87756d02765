"""The Evaluate panel over a RunStore holding a real run (an MLP trained for one epoch on
the 28×28 digits): choosing a run evaluates it in the background and shows the numbers,
the matrix, the per-class table and the mistakes; a damaged checkpoint is one message."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtWidgets import QComboBox

from dlstudio import cli
from dlstudio.graph.templates import build_template
from dlstudio.runs import RunStore
from dlstudio.train import load_checkpoint
from dlstudio.ui.evaluate import EvaluatePanel

WAIT_MS = 60_000


def add_run(store: RunStore, when: datetime, *, train: bool = True) -> str:
    """A finished run in `store`: trained for real, or with a damaged checkpoint."""
    run = store.create(name="mlp", data="builtin:digits28", settings={"epochs": 1},
                       graph=build_template("mlp").to_dict(), now=when)
    last = run.checkpoint_dir / "last.pt"
    if train:
        assert cli.main(["train", "--template", "mlp", "--epochs", "1", "--device", "cpu",
                         "--out", str(run.checkpoint_dir)]) == 0
        run.history = [stats.to_dict() for stats in load_checkpoint(last).history]
    else:
        run.checkpoint_dir.mkdir()
        last.write_bytes(b"half a file")
    run.status, run.result = "finished", {"checkpoint": str(last)}
    store.save(run)
    return run.id


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> RunStore:
    store = RunStore(tmp_path_factory.mktemp("project") / "runs")
    add_run(store, datetime(2025, 1, 1, 9, 0, 0))
    return store


def choose(box: QComboBox, data: str) -> None:
    box.setCurrentIndex(box.findData(data))


def test_choosing_a_run_evaluates_it(qtbot, store: RunStore) -> None:
    panel = EvaluatePanel(store)
    qtbot.addWidget(panel)
    panel.resize(1000, 600)
    assert panel.run_box.count() == 1 and "mlp" in panel.run_box.currentText()
    with qtbot.waitSignal(panel.evaluated, timeout=WAIT_MS) as caught:
        panel.show()  # the panel evaluates once it is on screen
    result = caught.args[0]
    assert result.split == "val" and result.samples == 270
    text = panel.metrics.text()
    assert f"Accuracy {result.metrics['accuracy']:.1%}" in text and "F1" in text
    assert panel.confusion.matrix is not None and panel.confusion.matrix.shape == (10, 10)
    assert panel.confusion.matrix.sum() == 270
    assert panel.class_table.rowCount() == 10
    assert panel.class_table.item(0, 4).text() == str(result.per_class[0].support)
    assert 0 < len(panel.mistakes.tiles) <= result.wrong
    assert "270 validation samples" in panel.status.text()
    assert not panel.split_box.model().item(1).isEnabled()  # the digits have no test set

    with qtbot.waitSignal(panel.evaluated, timeout=WAIT_MS) as caught:
        choose(panel.split_box, "all")
    assert caught.args[0].samples == 1797 == panel.confusion.matrix.sum()

    with qtbot.waitSignal(panel.evaluated, timeout=WAIT_MS):
        panel.evaluate_button.click()
    assert panel.evaluation is not None and panel.evaluation.split == "all"
    assert not panel.select_run("no-such-run")


def test_new_runs_and_damaged_checkpoints(qtbot, store: RunStore, tmp_path: Path) -> None:
    local = RunStore(tmp_path / "runs")
    panel = EvaluatePanel(local)
    qtbot.addWidget(panel)
    panel.show()
    assert panel.run_box.count() == 0 and not panel.evaluate_button.isEnabled()
    assert "Train a model first" in panel.status.text()
    good = add_run(local, datetime(2025, 1, 1, 9, 0, 0))
    bad = add_run(local, datetime(2025, 1, 2, 9, 0, 0), train=False)
    with qtbot.waitSignal(panel.evaluation_failed, timeout=WAIT_MS) as caught:
        panel.refresh()  # the newest run comes first and is evaluated
    assert panel.run_id == bad
    assert "not a DL Studio checkpoint" in caught.args[0] == panel.status.text()
    with qtbot.waitSignal(panel.evaluated, timeout=WAIT_MS):
        assert panel.select_run(good)
    assert panel.status.styleSheet() == ""


def test_closing_mid_evaluation_stops_the_thread(qtbot, store: RunStore) -> None:
    panel = EvaluatePanel(store)
    qtbot.addWidget(panel)
    panel.show()
    assert panel.is_busy()
    panel.close()
    assert not panel.is_busy()


def test_a_choice_made_mid_evaluation_wins(qtbot, store: RunStore) -> None:
    panel = EvaluatePanel(store)
    qtbot.addWidget(panel)
    results = []
    panel.evaluated.connect(results.append)
    panel.show()
    assert panel.is_busy()
    with qtbot.waitSignal(panel.evaluated, timeout=WAIT_MS,
                          check_params_cb=lambda result: result.split == "all"):
        choose(panel.split_box, "all")  # the validation pass is stopped or ignored
    assert [result.split for result in results] == ["all"]
    assert panel.metrics.text().startswith("Loss")
