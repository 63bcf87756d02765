"""Train, Pause/Resume and Stop, with a progress bar that says the epoch, the batch and
the time left. The buttons only emit requests; the controller's state sets what each
button offers. The time left is shown only while the run trains: a paused, stopping or
ended run keeps its speed but no estimate."""

from __future__ import annotations

import time

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dlstudio.ui.training.worker import Delivery

REFRESH_SECONDS = 0.25  # the progress text changes at most 4 times a second
STATE_WORDS = {"idle": "Ready", "starting": "Starting…", "running": "Training",
               "paused": "Paused", "stopping": "Stopping…", "finished": "Finished",
               "stopped": "Stopped", "failed": "Failed"}


def format_seconds(seconds: float) -> str:
    """12 s, 3 min 05 s, 1 h 02 min."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class TrainingControls(QWidget):
    """The buttons and the progress of the current run."""

    train_requested = Signal()
    pause_requested = Signal()
    resume_requested = Signal()
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.train_button = QPushButton("Train")
        self.train_button.setToolTip("Check the graph and the data, then train")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop after the current batch; the last checkpoint "
                                    "is kept")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        buttons = QHBoxLayout()
        for button in (self.train_button, self.pause_button, self.stop_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.bar)
        layout.addWidget(self.detail)
        self.train_button.clicked.connect(self.train_requested)
        self.pause_button.clicked.connect(self._on_pause_button_clicked)
        self.stop_button.clicked.connect(self.stop_requested)
        self.epochs = 1
        self._done_seconds = 0.0  # active seconds of the finished epochs
        self._done_epoch = 0
        self._shown_at = 0.0
        self._speed = ""  # the detail line without the time left
        self._training = False  # the estimate is meaningful (starting or running)
        self.set_state("idle")

    def begin(self, epochs: int) -> None:
        """A run of `epochs` starts: clear the progress."""
        self.epochs = max(1, epochs)
        self._done_seconds = 0.0
        self._done_epoch = 0
        self._shown_at = 0.0
        self._speed = ""
        self.bar.setValue(0)
        self.bar.setFormat("Starting…")
        self.detail.setText("")

    def set_state(self, state: str) -> None:
        active = state in ("starting", "running", "paused", "stopping")
        self.train_button.setEnabled(not active)
        self.pause_button.setEnabled(state in ("starting", "running", "paused"))
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        self.stop_button.setEnabled(state in ("starting", "running", "paused"))
        self._training = state in ("starting", "running")
        if not self._training:
            self.detail.setText(self._speed)  # no stale "… left"
        if not active:
            self.bar.setFormat(STATE_WORDS.get(state, state))
        elif state == "paused":
            self.bar.setFormat(f"Paused — {self.bar.text()}")

    def _on_pause_button_clicked(self) -> None:
        if self.pause_button.text() == "Resume":
            self.resume_requested.emit()
        else:
            self.pause_requested.emit()

    def show_progress(self, delivery: Delivery) -> bool:
        """Progress from the newest batch, time left from the active time so far; shown
        at most every REFRESH_SECONDS (True when it was)."""
        for report in delivery.epochs:
            self._done_seconds += report.stats.seconds
            self._done_epoch = report.stats.epoch
        now = time.monotonic()
        if now - self._shown_at < REFRESH_SECONDS and not delivery.epochs:
            return False
        if delivery.batches:
            last = delivery.batches[-1]
            epoch, batch, batches = last.epoch, last.batch, last.batches
            speed = last.samples_per_second
            current = last.seconds if last.epoch > self._done_epoch else 0.0
        elif delivery.epochs:
            stats = delivery.epochs[-1].stats
            epoch, batch, batches, speed, current = stats.epoch, 1, 1, \
                stats.samples_per_second, 0.0
        else:
            return False
        self._shown_at = now
        share = min(1.0, ((epoch - 1) + batch / max(1, batches)) / self.epochs)
        elapsed = self._done_seconds + current
        self.bar.setValue(round(1000 * share))
        where = f" · batch {batch}/{batches}" if delivery.batches else ""  # else: its end
        self.bar.setFormat(f"Epoch {epoch}/{self.epochs}{where} · {share:.0%}")
        self._speed = f"{speed:,.0f} samples/s"
        left = ""
        if self._training and 0 < share < 1 and elapsed > 0:
            left = f" · about {format_seconds(elapsed * (1 - share) / share)} left"
        self.detail.setText(self._speed + left)
        return True
