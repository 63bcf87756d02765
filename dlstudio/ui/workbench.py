"""The whole app around the main window: training with its live metrics, and Try it,
wired so that a finished run's weights reach Try it and File > Export."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt

from dlstudio.ui.main_window import MainWindow
from dlstudio.ui.training import TrainingUI, install_training
from dlstudio.ui.tryit import TryItPanel

PROBLEMS_HEIGHT = 150  # px


@dataclass
class Workbench:
    """What `install_workbench` added to a window (for tests and screenshots)."""

    training: TrainingUI
    try_panel: TryItPanel


def install_workbench(window: MainWindow) -> Workbench:
    """Add the training and Try it docks; follow each run's weights."""
    training = install_training(window)
    try_panel = TryItPanel()
    window.add_panel_dock("Try it", try_panel)

    def on_weights_ready(checkpoint: Path | None) -> None:
        window.trained_checkpoint = checkpoint
        try_panel.set_model(checkpoint)

    training.session.weights_ready.connect(on_weights_ready)
    # Until a run starts, the canvas keeps the height: Metrics waits behind Problems.
    window.docks["Problems"].raise_()
    window.resizeDocks([window.docks["Problems"]], [PROBLEMS_HEIGHT], Qt.Orientation.Vertical)
    return Workbench(training, try_panel)
