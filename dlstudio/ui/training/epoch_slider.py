"""The replay slider: epochs 1..N of a run, "latest" at the right end (replay.py drives
the Train view from it; the Evaluate view has one of its own). Its own module, with no
imports of the views it drives, so either view can use it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

EMPTY_TEXT = "Replay: after the first epoch"
SLIDER_TIP = ("Replay the run: choose an epoch to see its place on the curves, its "
              "confusion matrix and its mistakes, and to try its weights. Arrow keys "
              "step one epoch, Home and End go to the first and the latest.")


class EpochSlider(QWidget):
    """Epochs 1..count; `moved(epoch)` when the user (or `choose`) picks one. At the right
    end it is `latest` and keeps to the newest epoch as `set_count` adds more."""

    moved = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Replay")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("epoch_slider")
        self.slider.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.slider.setPageStep(1)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setToolTip(SLIDER_TIP)
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.label = QLabel(EMPTY_TEXT)
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance(
            "Epoch 9999 of 9999 · latest"))
        self.title.setBuddy(self.slider)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        self.count = 0
        self.latest = True
        self.set_count(0)

    @property
    def epoch(self) -> int | None:
        return self.slider.value() if self.count else None

    def set_count(self, count: int) -> None:
        """`count` epochs exist now; a slider at `latest` moves on to the newest."""
        self.count = count
        self.slider.blockSignals(True)
        self.slider.setRange(1, max(count, 1))
        self.slider.setTickInterval(max(1, count // 20))
        if self.latest or count == 0:
            self.latest = True
            self.slider.setValue(max(count, 1))
        self.slider.blockSignals(False)
        self.slider.setEnabled(count > 1)
        self._show_label()

    def choose(self, epoch: int) -> None:
        """Go to `epoch` as the user would (clamped; `moved` fires)."""
        epoch = max(1, min(epoch, self.count))
        if epoch == self.slider.value():
            self._on_slider_value_changed(epoch)
        else:
            self.slider.setValue(epoch)

    def _on_slider_value_changed(self, value: int) -> None:
        self.latest = value >= self.count
        self._show_label()
        if self.count:
            self.moved.emit(value)

    def _show_label(self) -> None:
        if not self.count:
            self.label.setText(EMPTY_TEXT)
            return
        latest = " · latest" if self.latest else ""
        self.label.setText(f"Epoch {self.slider.value()} of {self.count}{latest}")
