"""Where training starts from, as the settings form shows it: random initial weights, a
weights file (Load weights…) or the published ImageNet weights of a template.

The row only shows the choice and asks for changes (`load_requested`,
`clear_requested`); whoever owns the undo stack makes them (dlstudio/ui/byom), so a
change is one undoable step that marks the project modified.
"""

from __future__ import annotations

from pathlib import PurePath

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

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


class ElidedLabel(QLabel):
    """One line that shows "…" in the middle when narrower than its text (a file name
    keeps its start and extension); `text()` and the tooltip stay whole."""

    def minimumSizeHint(self) -> QSize:
        return QSize(40, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:
        return QSize(40, super().sizeHint().height())

    def shown_text(self) -> str:
        """What fits the label's width now (what is painted)."""
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideMiddle,
                                             self.contentsRect().width())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        self.style().drawItemText(painter, self.contentsRect(), int(self.alignment()),
                                  self.palette(), self.isEnabled(), self.shown_text(),
                                  self.foregroundRole())


class StartWeightsRow(QWidget):
    """"Start from: <choice>" over "[Load…] [Clear]" in the Train settings: the choice
    has the field's whole width, which a narrow settings panel needs."""

    load_requested = Signal()
    clear_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._weights = ""
        self.label = ElidedLabel(RANDOM_TEXT)
        self.label.setObjectName("start_weights_label")
        self.load_button = QPushButton("Load…")
        self.load_button.setToolTip("Load weights… : start training from a .pt/.pth file")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Start from random initial weights again")
        buttons = QHBoxLayout()
        buttons.addWidget(self.load_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addLayout(buttons)
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
