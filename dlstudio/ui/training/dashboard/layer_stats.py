"""Per-layer weight and gradient norms over the epochs, on a log scale, so vanishing
(gradients falling towards zero in the early layers) or exploding gradients show."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from dlstudio.ui.theme import is_theme_change, style_plot
from dlstudio.ui.training.dashboard.series import LiveCurve, RangeKeeper, setup_plot

KINDS = (("weight_norm", "Weight norm"), ("grad_norm", "Gradient norm"))
LABELLED = (1.0, 2.0, 5.0)  # the log axes name these multiples of each power of ten
TINY = 1e-12  # a zero norm still gets a point on the log axis


class DecadeAxis(pg.AxisItem):
    """A log axis that names 1, 2 and 5 times each power of ten and leaves the other
    ticks unnamed: pyqtgraph names all nine, and within a decade they overlap. A view
    with fewer than two of those in it keeps every name (say 6 to 9.5)."""

    def logTickStrings(self, values: list[float], scale: float,  # noqa: N802 (pyqtgraph)
                       spacing: float) -> list[str]:
        names = super().logTickStrings(values, scale, spacing)
        mantissas = 10 ** (np.asarray(values, dtype=float) % 1.0)
        keep = np.isclose(mantissas[:, None], (*LABELLED, 10.0), rtol=1e-3).any(axis=1)
        if keep.sum() < 2:
            return names
        return [name if kept else "" for name, kept in zip(names, keep, strict=True)]


class LayerStatsPanel(QWidget):
    """Two plots, one curve per layer with weights, in graph order."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = pg.GraphicsLayoutWidget()
        self.plots: dict[str, pg.PlotItem] = {}
        for column, (kind, title) in enumerate(KINDS):
            plot = self.view.addPlot(row=0, col=column,
                                     axisItems={"left": DecadeAxis("left")})
            # One legend is enough: a layer has the same colour in both plots.
            setup_plot(plot, title, "L2 norm (log)", legend=column == 0)
            if plot.legend is not None:
                plot.legend.setVisible(False)  # no empty box until a run names layers
            plot.setLogMode(y=True)
            self.plots[kind] = plot
        self.caption = QLabel("Norms per layer after each epoch. Gradients that shrink "
                              "towards 0 layer by layer vanish; norms that shoot up explode.")
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.caption)
        self.curves: dict[tuple[str, str], LiveCurve] = {}
        self._layers: list[str] = []
        self._lists: dict[str, list[LiveCurve]] = {kind: [] for kind, _ in KINDS}
        self.keepers = [RangeKeeper(self.plots[kind], self._lists[kind], log=True)
                        for kind, _ in KINDS]

    def reset(self, epochs: int = 1, layers: Sequence[str] = ()) -> None:
        """A run of `epochs` starts; the curves of `layers` (those with weights, in graph
        order) are made now, not while its first epoch is drawn."""
        for (kind, _), curve in self.curves.items():
            self.plots[kind].removeItem(curve.item)
        for curves in self._lists.values():
            curves.clear()
        for keeper in self.keepers:
            keeper.reset(0.5, 4.5, epochs + 0.5)
        for plot in self.plots.values():
            if plot.legend is not None:
                plot.legend.clear()
        self.curves.clear()
        self._layers.clear()
        for layer in layers:
            for kind, _ in KINDS:
                self._curve(kind, layer)
        self._show_legends()

    def _show_legends(self) -> None:
        for plot in self.plots.values():
            if plot.legend is not None:
                plot.legend.setVisible(bool(plot.legend.items))

    def add_epochs(self, epochs: Sequence[Any]) -> None:
        """EpochStats in order; `layer_stats` maps layer name -> {weight_norm, grad_norm}."""
        for stats in epochs:
            layers: Mapping[str, Mapping[str, float]] = stats.layer_stats or {}
            for layer, norms in layers.items():
                for kind, _ in KINDS:
                    value = norms.get(kind)
                    if value is not None and np.isfinite(value):
                        self._curve(kind, layer).append(stats.epoch, max(float(value), TINY))

    def _curve(self, kind: str, layer: str) -> LiveCurve:
        curve = self.curves.get((kind, layer))
        if curve is None:
            if layer not in self._layers:
                self._layers.append(layer)
            name = layer if kind == KINDS[0][0] else None
            curve = LiveCurve(self.plots[kind], name, self._layers.index(layer))
            self.curves[(kind, layer)] = curve
            self._lists[kind].append(curve)
            legend = self.plots[kind].legend
            if name is not None and legend is not None:
                legend.setVisible(True)
        return curve

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        if is_theme_change(event):
            for plot in self.plots.values():
                style_plot(plot)
            for curve in self.curves.values():
                curve.restyle()

    def flush(self) -> None:
        for curve in self.curves.values():
            curve.flush()
        for keeper in self.keepers:
            keeper.update()
