"""After "Train from these weights" the status bar says where training starts, once and
short enough to read whole at 1366×768, naming the layers that learn from scratch."""

from __future__ import annotations

from pathlib import Path

import torch

from dlstudio.compile import compile_graph
from dlstudio.graph.templates import build_template
from dlstudio.ui.byom.install import install_byom

BAR_ROOM = 900  # the status bar at 1366×768, less the parameter count and device


def test_the_status_line_fits_and_names_the_new_head(gui, tmp_path: Path) -> None:
    window, ui = gui
    loader = install_byom(window, ui.panel.form).loader
    window.files.new_from_template("cnn-small")
    other = build_template("cnn-small")  # trained elsewhere for 5 classes
    head = [n for n in other.nodes.values() if n.type == "Dense"][-1]
    other.set_param(head.id, "units", 5)
    torch.manual_seed(0)
    weights = tmp_path / "cnn-small-trained-on-five-classes-elsewhere.pt"
    torch.save(compile_graph(other).state_dict(), weights)
    loader.ask_accept = lambda dialog: True

    assert loader.load(weights)
    message = window.statusBar().currentMessage()
    assert message.count(weights.name) == 1
    assert message.endswith(f"new: {head.name}")
    assert window.statusBar().fontMetrics().horizontalAdvance(message) < BAR_ROOM
