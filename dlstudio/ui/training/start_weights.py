"""Where training starts from, as the settings form shows it: random initial weights, a
weights file (Load weights…) or the published ImageNet weights of a template.

The row only shows the choice and asks for changes (`load_requested`,
`clear_requested`); whoever owns the undo stack makes them (dlstudio/ui/byom), so a
change is one undoable step that marks the project modified.
"""

from __future__ import annotations

from pathlib import PurePath

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from dlstudio.weights import PREFIX, pretrained_entry

RANDOM_TEXT = "Random initial weights"


def describe_start(weights: str) -> tuple[str, str]:
    """(what the row says, its tooltip) for a `weights` setting."""
    if not weights:
        return RANDOM_TEXT, "Every layer starts from fresh random weights"
    if weights.startswith(PREFIX):
        name = weights[len(PREFIX):]
        try:
            about = pretrained_entry(name).description
        except ValueError:
            about = f"no published weights for {name}"
        return f"ImageNet (pretrained {name})", (
            f"{about}; downloaded once when training starts, then kept in the cache")
    return PurePath(weights).name, f"The weights file {weights}"


class StartWeightsRow(QWidget):
    """"Start from: <choice> [Load…] [Clear]" in the Train settings."""

    load_requested = Signal()
    clear_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._weights = ""
        self.label = QLabel(RANDOM_TEXT)
        self.label.setObjectName("start_weights_label")
        # a long file name must not widen the settings page (the tooltip has it whole)
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.label.setMinimumWidth(80)
        self.load_button = QPushButton("Load…")
        self.load_button.setToolTip("Load weights… : start training from a .pt/.pth file")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Start from random initial weights again")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.load_button)
        layout.addWidget(self.clear_button)
        self.load_button.clicked.connect(self.load_requested)
        self.clear_button.clicked.connect(self.clear_requested)
        self.set_value("")

    def value(self) -> str:
        return self._weights

    def set_value(self, weights: str) -> None:
        self._weights = weights
        text, tip = describe_start(weights)
        self.label.setText(text)
        self.label.setToolTip(tip)
        self.clear_button.setEnabled(bool(weights))
