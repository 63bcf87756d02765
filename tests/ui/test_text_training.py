"""The app trains the primer's one-hot, per-step character LSTM on a text file: the
trainer cuts the text to the graph, and the dashboard's mistake probe looks at the same
cut samples (not the ids the data panel loaded)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from dlstudio.data import load_data
from dlstudio.graph.templates import build_template
from dlstudio.train import defaults_for_template
from dlstudio.ui.training.controller import TrainingController


@pytest.fixture
def controller(qtbot):
    made = TrainingController()
    yield made
    made.shutdown()


def test_the_app_trains_char_rnn_on_a_text_file(controller, qtbot, tmp_path: Path) -> None:
    path = tmp_path / "rhyme.txt"
    path.write_text("the cat sat on the mat. the dog sat on the log. " * 6, encoding="utf-8")
    data = load_data(f"text:{path}", val_fraction=0.2)  # as the data panel loads it: 40 ids
    vocab = data.info.num_classes
    graph = build_template("char-rnn")
    nodes = {node.name: node for node in graph.nodes.values()}
    graph.set_param(nodes["chars"].id, "shape", (16, vocab))
    graph.set_param(nodes["fc"].id, "units", vocab)
    settings = replace(defaults_for_template("char-rnn"), data=f"text:{path}", epochs=1,
                       batch_size=32, val_fraction=0.2, device="cpu")
    logs: list[str] = []
    controller.updated.connect(lambda delivery: logs.extend(delivery.logs))
    with qtbot.waitSignal(controller.run_ended, timeout=60_000):
        assert controller.start(graph, data, settings, None, "char-rnn")
    assert controller.state == "finished", logs
    assert not [line for line in logs if "cannot show wrong predictions" in line]
    assert any(f"16×{vocab}" in line for line in logs)  # the opening line: one-hot windows
