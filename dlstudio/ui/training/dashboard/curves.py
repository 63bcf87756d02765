"""Live training curves: loss per batch (raw and smoothed), loss per epoch for training
and validation, accuracy or the regression metrics, the learning rate and the speed.

Every x axis counts epochs (batch b of n in epoch e sits at e - 1 + b / n), so the batch
and epoch curves line up when the views are compared, and one epoch cursor (replay)
marks the same moment on all five: the end of the chosen epoch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from dlstudio.ui.theme import is_theme_change, style_plot
from dlstudio.ui.training.dashboard.series import LiveCurve, RangeKeeper, setup_plot

SMOOTHING = 0.9  # weight of the past in the smoothed loss, as TensorBoard's slider
METRIC_NAMES = {"accuracy": "accuracy", "precision": "precision (macro)",
                "recall": "recall (macro)", "f1": "F1 (macro)", "mae": "mean abs. error",
                "r2": "R²"}
PREFERRED = ("accuracy", "mae")  # shown first: the metric people read


class CurvesPanel(QWidget):
    """Five plots in one pyqtgraph layout; fed by `add_batches`/`add_epochs`, drawn by
    `flush()` (the controller's ~30 Hz tick)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = pg.GraphicsLayoutWidget(self)
        self.view.ci.setSpacing(6)
        self.metric_choice = QComboBox()
        self.metric_choice.setToolTip("Which metric the lower-left plot shows")
        self.metric_choice.currentIndexChanged.connect(self._on_metric_choice_changed)
        choice = QHBoxLayout()
        choice.addWidget(QLabel("Metric"))
        choice.addWidget(self.metric_choice)
        choice.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(choice)
        layout.addWidget(self.view, 1)
        add = self.view.addPlot
        self.batch_plot = add(row=0, col=0, colspan=2)
        self.epoch_plot = add(row=0, col=2)
        self.metric_plot = add(row=1, col=0)
        self.lr_plot = add(row=1, col=1)
        self.speed_plot = add(row=1, col=2)
        setup_plot(self.batch_plot, "Loss per batch", "loss")
        setup_plot(self.epoch_plot, "Loss per epoch", "loss")
        setup_plot(self.metric_plot, "Accuracy", "accuracy")
        self.metric_plot.legend.setVisible(False)  # until a run names its curves
        setup_plot(self.lr_plot, "Learning rate", "lr", legend=False)
        setup_plot(self.speed_plot, "Speed", "samples / s", legend=False)
        self.batch_raw = LiveCurve(self.batch_plot, "raw", "train", width=1, alpha=90,
                                   dense=True)
        self.batch_smooth = LiveCurve(self.batch_plot, "smoothed", "train", dense=True)
        self.train_loss = LiveCurve(self.epoch_plot, "train", "train", symbol="o")
        self.val_loss = LiveCurve(self.epoch_plot, "val", "val", symbol="o")
        self.lr = LiveCurve(self.lr_plot, None, 0, dense=True)
        self.speed = LiveCurve(self.speed_plot, None, 1, dense=True)
        self.metric_curves: dict[tuple[str, str], LiveCurve] = {}
        self._metric_list: list[LiveCurve] = []  # the metric keeper follows this list
        self.keepers = [
            RangeKeeper(self.batch_plot, [self.batch_raw, self.batch_smooth]),
            RangeKeeper(self.lr_plot, [self.lr]),
            RangeKeeper(self.speed_plot, [self.speed]),
            RangeKeeper(self.epoch_plot, [self.train_loss, self.val_loss]),
            RangeKeeper(self.metric_plot, self._metric_list),
        ]
        self._ema: float | None = None
        self._ema_steps = 0
        self._last_report: tuple[int, int, float] = (0, 0, 0.0)
        self.cursor_epoch: int | None = None  # the replayed epoch, marked on every plot
        self.cursors: list[pg.InfiniteLine] = []
        for plot in self._plots():
            line = pg.InfiniteLine(angle=90, movable=False)
            line.setZValue(-10)  # behind the curves
            line.hide()
            plot.addItem(line, ignoreBounds=True)
            self.cursors.append(line)
        self._style_cursors()

    def _plots(self) -> list[pg.PlotItem]:
        return [self.batch_plot, self.epoch_plot, self.metric_plot, self.lr_plot,
                self.speed_plot]

    def set_cursor(self, epoch: int | None) -> None:
        """Mark the end of `epoch` on every plot (None: no mark)."""
        self.cursor_epoch = epoch
        for line in self.cursors:
            if epoch is not None:
                line.setValue(float(epoch))
            line.setVisible(epoch is not None)

    def _style_cursors(self) -> None:
        colour = self.palette().color(self.foregroundRole())
        colour.setAlpha(140)
        for line in self.cursors:
            line.setPen(pg.mkPen(colour, width=1.5, style=Qt.PenStyle.DashLine))

    @property
    def curves(self) -> list[LiveCurve]:
        fixed = [self.batch_raw, self.batch_smooth, self.train_loss, self.val_loss, self.lr,
                 self.speed]
        return fixed + list(self.metric_curves.values())

    def reset(self, epochs: int = 1, metrics: Sequence[str] = ()) -> None:
        """Forget the previous run's points: a run of `epochs` starts. The curves of the
        `metrics` it will report are made now, not while its first epoch is drawn."""
        for curve in self.curves:
            curve.clear()
        self.set_cursor(None)
        for curve in self.metric_curves.values():
            self.metric_plot.removeItem(curve.item)
        self.metric_curves.clear()
        self._metric_list.clear()
        for keeper in self.keepers[:3]:  # batch x: 0 .. epochs
            keeper.reset(0.0, 1.0, float(epochs))
        for keeper in self.keepers[3:]:  # epoch x: 1 .. epochs, a point per epoch
            keeper.reset(0.5, 4.5, epochs + 0.5)
        self.metric_choice.blockSignals(True)
        self.metric_choice.clear()
        self.metric_choice.blockSignals(False)
        self._ema, self._ema_steps = None, 0
        self._last_report = (0, 0, 0.0)
        for key in metrics:
            for split in ("train", "val"):
                self._metric_curve(split, key)

    def add_batches(self, batches: Sequence[Any]) -> None:
        """BatchStats in order (fields epoch, batch, batches, loss, lr,
        samples_per_second); points are buffered until `flush()`."""
        if not batches:
            return
        x = np.fromiter((b.epoch - 1 + b.batch / max(b.batches, 1) for b in batches),
                        dtype=np.float64, count=len(batches))
        loss = np.fromiter((self._window_loss(b) for b in batches), dtype=np.float64,
                           count=len(batches))
        self.batch_raw.extend(x, loss)
        self.batch_smooth.extend(x, self._smoothed(loss))
        self.lr.extend(x, np.fromiter((b.lr for b in batches), dtype=np.float64,
                                      count=len(batches)))
        self.speed.extend(x, np.fromiter((b.samples_per_second for b in batches),
                                         dtype=np.float64, count=len(batches)))

    def _window_loss(self, stats: Any) -> float:
        """The mean loss of the batches since the previous report. The trainer reports
        the epoch's running mean (reading the loss every batch would stall a GPU), so
        the batches in between are recovered from two running means."""
        epoch, batch, mean = self._last_report
        if stats.epoch != epoch or stats.batch <= batch:
            batch, mean = 0, 0.0
        self._last_report = (stats.epoch, stats.batch, stats.loss)
        return (stats.loss * stats.batch - mean * batch) / (stats.batch - batch)

    def _smoothed(self, loss: np.ndarray) -> np.ndarray:
        """Debiased exponential moving average, carried across ticks; a NaN loss is
        skipped so one bad batch does not blank the rest of the curve."""
        out = np.empty_like(loss)
        for i, value in enumerate(loss):
            if np.isfinite(value):
                self._ema_steps += 1
                ema = self._ema if self._ema is not None else 0.0
                self._ema = SMOOTHING * ema + (1 - SMOOTHING) * float(value)
            debias = 1 - SMOOTHING ** self._ema_steps if self._ema_steps else 1.0
            out[i] = self._ema / debias if self._ema is not None else np.nan
        return out

    def add_epochs(self, epochs: Sequence[Any]) -> None:
        """EpochStats in order (fields epoch, train, val: metric name -> value)."""
        for stats in epochs:
            for split, curve in (("train", self.train_loss), ("val", self.val_loss)):
                value = (getattr(stats, split) or {}).get("loss")
                if value is not None:
                    curve.append(stats.epoch, value)
            for split in ("train", "val"):
                for key, value in (getattr(stats, split) or {}).items():
                    if key != "loss" and value is not None:
                        self._metric_curve(split, key).append(stats.epoch, value)

    def _metric_curve(self, split: str, key: str) -> LiveCurve:
        curve = self.metric_curves.get((split, key))
        if curve is None:
            curve = LiveCurve(self.metric_plot, None, split, symbol="o")
            self.metric_curves[(split, key)] = curve
            self._metric_list.append(curve)
            if self.metric_choice.findData(key) < 0:
                self.metric_choice.addItem(METRIC_NAMES.get(key, key), key)
                if key in PREFERRED:
                    self.metric_choice.setCurrentIndex(self.metric_choice.count() - 1)
            self._show_metric()
        return curve

    def _on_metric_choice_changed(self, index: int) -> None:
        self._show_metric()

    def _show_metric(self) -> None:
        """Only the chosen metric's train and val curves are drawn (their scales differ)."""
        key = self.metric_choice.currentData()
        legend = self.metric_plot.legend
        legend.clear()  # it names the curves on show: train and val of this metric
        for (split, curve_key), curve in self.metric_curves.items():
            curve.item.setVisible(curve_key == key)
            if curve_key == key:
                legend.addItem(curve.item, split)
            curve.flush()
        legend.setVisible(bool(legend.items))  # no metric yet: no empty box on the plot
        name = METRIC_NAMES.get(key, key or "")
        self.metric_plot.setTitle(name[:1].upper() + name[1:])  # keeps the title's style
        self.metric_plot.setLabel("left", name)
        self.keepers[-1].update()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        if is_theme_change(event):
            for plot in self._plots():
                style_plot(plot)
            for curve in self.curves:
                curve.restyle()
            self._style_cursors()

    def flush(self) -> None:
        """Draw everything buffered since the last frame."""
        self.flush_batches()
        self.flush_epochs()

    def flush_batches(self) -> None:
        """The three per-batch plots (every frame)."""
        for curve in (self.batch_raw, self.batch_smooth, self.lr, self.speed):
            curve.flush()
        for keeper in self.keepers[:3]:
            keeper.update()

    def flush_epochs(self) -> None:
        """The two per-epoch plots (after an epoch)."""
        for curve in [self.train_loss, self.val_loss, *self.metric_curves.values()]:
            curve.flush()
        for keeper in self.keepers[3:]:
            keeper.update()

    def point_count(self) -> int:
        """Points shown on the batch-loss curve (tests and the benchmark read it)."""
        return len(self.batch_raw.item.xData) if self.batch_raw.item.xData is not None else 0
