"""The range test's picture: loss against learning rate on a log axis, the smoothed curve
over the raw losses, the suggested rate marked on the curve and "minimum / 10" as a
dashed line, in the theme's plot colours."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QWidget

from dlstudio.train.lr_finder import LrFindResult
from dlstudio.ui.theme import curve_colour, is_theme_change, style_plot
from dlstudio.ui.training.dashboard.series import setup_plot

MIN_HEIGHT = 220


class LrFinderPlot(pg.PlotWidget):
    """Shows one LrFindResult (`show_result`) or nothing (`clear_result`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(MIN_HEIGHT)
        plot = self.getPlotItem()
        setup_plot(plot, "Loss against learning rate", "loss", "learning rate (log scale)",
                   grid=True)
        plot.setLogMode(x=True, y=False)
        plot.getAxis("left").setWidth(48)
        # bottom left: the curve starts flat at the top and ends rising on the right
        plot.legend.anchor((0, 1), (0, 1), offset=(10, -10))
        self.raw = plot.plot([], [], name="loss per batch")
        self.smooth = plot.plot([], [], name="smoothed loss")
        self.marker = plot.plot([], [], name="suggested", symbol="o", symbolSize=11)
        self.suggested_line = pg.InfiniteLine(angle=90, movable=False)
        self.min_line = pg.InfiniteLine(angle=90, movable=False)
        for line in (self.suggested_line, self.min_line):
            line.hide()
            plot.addItem(line, ignoreBounds=True)
        self._labels: list[pg.TextItem] = []
        self._result: LrFindResult | None = None
        self._colour()

    def show_result(self, result: LrFindResult) -> None:
        self._result = result
        self.raw.setData(result.rates, result.raw_losses)
        self.smooth.setData(result.rates, result.losses)
        at = min(range(len(result.rates)),
                 key=lambda i: abs(math.log(result.rates[i] / result.suggestion)))
        self.marker.setData([result.suggestion], [result.losses[at]])
        self.suggested_line.setPos(math.log10(result.suggestion))
        self.min_line.setPos(math.log10(result.min_rate))
        self.suggested_line.show()
        self.min_line.show()
        self._place_labels(result)
        self._fit(result)

    def clear_result(self) -> None:
        self._result = None
        for item in (self.raw, self.smooth, self.marker):
            item.setData([], [])
        self.suggested_line.hide()
        self.min_line.hide()
        self._drop_labels()

    def _fit(self, result: LrFindResult) -> None:
        """The x range of the rates tried; y from the smoothed curve (raw spikes may go
        off the top), with a little room."""
        plot = self.getPlotItem()
        plot.setXRange(math.log10(result.rates[0]), math.log10(result.rates[-1]),
                       padding=0.04)  # room for the end ticks' labels
        finite = [v for v in result.losses if math.isfinite(v)]
        low, high = min(finite), max(finite)
        room = (high - low) * 0.08 or abs(high) * 0.1 or 1.0
        plot.setYRange(low - room, high + room, padding=0)

    def _place_labels(self, result: LrFindResult) -> None:
        self._drop_labels()
        plot = self.getPlotItem()
        low, high = min(result.losses), max(result.losses)
        for rate, text, height, key in (
                (result.suggestion, f"suggested {result.suggestion:.1e}", 0.97, "train"),
                (result.min_rate, f"minimum / 10: {result.min_rate:.1e}", 0.80, 2)):
            label = pg.TextItem(text, color=curve_colour(key),
                                anchor=(0.0 if rate <= result.min_rate else 1.0, 0.0))
            label.setPos(math.log10(rate), low + (high - low) * height)
            plot.addItem(label, ignoreBounds=True)
            self._labels.append(label)

    def _drop_labels(self) -> None:
        for label in self._labels:
            self.getPlotItem().removeItem(label)
        self._labels = []

    def _colour(self) -> None:
        plot = self.getPlotItem()
        style_plot(plot)
        train, extra = curve_colour("train"), curve_colour(2)
        raw = pg.mkColor(train)
        raw.setAlpha(70)
        self.raw.setPen(pg.mkPen(raw, width=1))
        self.smooth.setPen(pg.mkPen(train, width=2))
        self.marker.setPen(None)
        self.marker.setSymbolBrush(train)
        self.marker.setSymbolPen(pg.mkPen(curve_colour("val"), width=2))
        self.suggested_line.setPen(pg.mkPen(train, width=1))
        self.min_line.setPen(pg.mkPen(extra, width=1, style=Qt.PenStyle.DashLine))
        if self._result is not None:
            self._place_labels(self._result)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        if is_theme_change(event) and "marker" in self.__dict__:  # not while being built
            self._colour()
