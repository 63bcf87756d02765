"""Live training curves: loss per batch (raw and smoothed), loss per epoch for training
and validation, accuracy or the regression metrics, the learning rate and the speed.

Every x axis counts epochs (batch b of n in epoch e sits at e - 1 + b / n), so the batch
and epoch curves line up when the views are compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from dlstudio.ui.training.dashboard.series import (
    TRAIN_COLOUR,
    VAL_COLOUR,
    LiveCurve,
    colour_for,
    palette_colours,
    style_plot,
)

SMOOTHING = 0.9  # weight of the past in the smoothed loss, as TensorBoard's slider
METRIC_NAMES = {"accuracy": "accuracy", "mae": "mean abs. error", "rmse": "RMS error",
                "mse": "mean sq. error", "r2": "R²"}


class CurvesPanel(QWidget):
    """Five plots in one pyqtgraph layout; fed by `add_batches`/`add_epochs`, drawn by
    `flush()` (the controller's ~30 Hz tick)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        background, _ = palette_colours()
        self.view = pg.GraphicsLayoutWidget(self)
        self.view.setBackground(background)
        self.view.ci.setSpacing(6)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        add = self.view.addPlot
        self.batch_plot = add(row=0, col=0, colspan=2)
        self.epoch_plot = add(row=0, col=2)
        self.metric_plot = add(row=1, col=0)
        self.lr_plot = add(row=1, col=1)
        self.speed_plot = add(row=1, col=2)
        style_plot(self.batch_plot, "Loss per batch", "loss")
        style_plot(self.epoch_plot, "Loss per epoch", "loss")
        style_plot(self.metric_plot, "Accuracy", "accuracy")
        style_plot(self.lr_plot, "Learning rate", "lr")
        style_plot(self.speed_plot, "Speed", "samples / s")
        self.batch_raw = LiveCurve(self.batch_plot, "raw", TRAIN_COLOUR, width=1, alpha=90)
        self.batch_smooth = LiveCurve(self.batch_plot, "smoothed", TRAIN_COLOUR)
        self.train_loss = LiveCurve(self.epoch_plot, "train", TRAIN_COLOUR, symbol="o")
        self.val_loss = LiveCurve(self.epoch_plot, "val", VAL_COLOUR, symbol="o")
        self.lr = LiveCurve(self.lr_plot, "lr", colour_for(0))
        self.speed = LiveCurve(self.speed_plot, "samples/s", colour_for(1))
        self.metric_curves: dict[tuple[str, str], LiveCurve] = {}
        self._ema: float | None = None
        self._ema_steps = 0

    @property
    def curves(self) -> list[LiveCurve]:
        fixed = [self.batch_raw, self.batch_smooth, self.train_loss, self.val_loss, self.lr,
                 self.speed]
        return fixed + list(self.metric_curves.values())

    def reset(self) -> None:
        """Forget the previous run's points (a new run starts)."""
        for curve in self.curves:
            curve.clear()
        for curve in self.metric_curves.values():
            self.metric_plot.removeItem(curve.item)
        self.metric_curves.clear()
        legend = self.metric_plot.legend
        if legend is not None:
            legend.clear()
        self._ema, self._ema_steps = None, 0

    def add_batches(self, batches: Sequence[Any]) -> None:
        """BatchStats in order (fields epoch, batch, batches, loss, lr,
        samples_per_second); points are buffered until `flush()`."""
        if not batches:
            return
        x = np.fromiter((b.epoch - 1 + b.batch / max(b.batches, 1) for b in batches),
                        dtype=np.float64, count=len(batches))
        loss = np.fromiter((b.loss for b in batches), dtype=np.float64, count=len(batches))
        self.batch_raw.extend(x, loss)
        self.batch_smooth.extend(x, self._smoothed(loss))
        self.lr.extend(x, np.fromiter((b.lr for b in batches), dtype=np.float64,
                                      count=len(batches)))
        self.speed.extend(x, np.fromiter((b.samples_per_second for b in batches),
                                         dtype=np.float64, count=len(batches)))

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
            keys = sorted({k for _, k in self.metric_curves} | {key})
            index = keys.index(key)
            colour = (TRAIN_COLOUR, VAL_COLOUR)[split == "val"] if index == 0 else \
                colour_for(2 * index + (split == "val"))
            name = f"{split} {METRIC_NAMES.get(key, key)}"
            curve = LiveCurve(self.metric_plot, name, colour, symbol="o")
            self.metric_curves[(split, key)] = curve
            title = "Accuracy" if keys == ["accuracy"] else "Metrics"
            self.metric_plot.setTitle(title, color=palette_colours()[1], size="10pt")
            self.metric_plot.setLabel("left", ", ".join(METRIC_NAMES.get(k, k) for k in keys))
        return curve

    def flush(self) -> None:
        """Draw what was buffered since the last tick."""
        for curve in self.curves:
            curve.flush()

    def point_count(self) -> int:
        """Points shown on the batch-loss curve (tests and the benchmark read it)."""
        return len(self.batch_raw.item.xData) if self.batch_raw.item.xData is not None else 0
