"""Live curves that stay cheap at any length: NumPy buffers that double when full,
bound to pyqtgraph items that clip to the view and downsample by peaks (STYLE.md)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

# Colour-blind-safe pairs (Okabe-Ito): training solid, validation its partner.
TRAIN_COLOUR = "#0072B2"
VAL_COLOUR = "#D55E00"
EXTRA_COLOURS = ("#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C564B", "#7F7F7F")


class GrowingBuffer:
    """(x, y) points appended one at a time or in blocks; the arrays double when full,
    so appending is amortised O(1) and the plot gets views, not copies."""

    def __init__(self, capacity: int = 256) -> None:
        self._x = np.empty(capacity, dtype=np.float64)
        self._y = np.empty(capacity, dtype=np.float64)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def append(self, x: float, y: float) -> None:
        self.extend(np.array([x], dtype=np.float64), np.array([y], dtype=np.float64))

    def extend(self, xs: np.ndarray, ys: np.ndarray) -> None:
        need = self._size + len(xs)
        if need > len(self._x):
            capacity = max(need, 2 * len(self._x))
            for name in ("_x", "_y"):
                grown = np.empty(capacity, dtype=np.float64)
                grown[:self._size] = getattr(self, name)[:self._size]
                setattr(self, name, grown)
        self._x[self._size:need] = xs
        self._y[self._size:need] = ys
        self._size = need

    def clear(self) -> None:
        self._size = 0

    @property
    def x(self) -> np.ndarray:
        return self._x[:self._size]

    @property
    def y(self) -> np.ndarray:
        return self._y[:self._size]


class LiveCurve:
    """One PlotDataItem fed from a GrowingBuffer; `flush()` pushes new points, called by
    the dashboard's timer tick, never per batch."""

    def __init__(self, plot: pg.PlotItem, name: str, colour: str, *, width: float = 2.0,
                 alpha: int = 255, symbol: str | None = None) -> None:
        pen_colour = QColor(colour)
        pen_colour.setAlpha(alpha)
        self.buffer = GrowingBuffer()
        self.item = plot.plot(name=name, pen=pg.mkPen(pen_colour, width=width),
                              symbol=symbol, symbolSize=6, symbolBrush=colour,
                              symbolPen=None, skipFiniteCheck=True)
        self.item.setClipToView(True)
        self.item.setDownsampling(auto=True, method="peak")
        self._shown = 0

    def append(self, x: float, y: float) -> None:
        self.buffer.append(x, y)

    def extend(self, xs: np.ndarray, ys: np.ndarray) -> None:
        self.buffer.extend(xs, ys)

    def flush(self) -> None:
        if len(self.buffer) != self._shown:
            self._shown = len(self.buffer)
            # Non-finite points (a diverged loss) are dropped by connect="finite".
            self.item.setData(self.buffer.x, self.buffer.y, connect="finite",
                              skipFiniteCheck=True)

    def clear(self) -> None:
        self.buffer.clear()
        self._shown = -1
        self.flush()


def palette_colours() -> tuple[str, str]:
    """(background, foreground) for plots from the application's palette (light/dark)."""
    app = QApplication.instance()
    palette = app.palette() if isinstance(app, QApplication) else QPalette()
    return (palette.color(QPalette.ColorRole.Base).name(),
            palette.color(QPalette.ColorRole.Text).name())


def style_plot(plot: pg.PlotItem, title: str, left: str, bottom: str = "epoch") -> None:
    """Title, axis labels, a light grid and a legend, in the current theme's colours."""
    _, foreground = palette_colours()
    plot.setTitle(title, color=foreground, size="10pt")
    plot.setLabel("left", left, color=foreground)
    plot.setLabel("bottom", bottom, color=foreground)
    plot.showGrid(x=True, y=True, alpha=0.2)
    plot.addLegend(offset=(-10, 10), labelTextColor=foreground, brush=None)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(foreground)
        axis.setTextPen(foreground)
    plot.setMenuEnabled(False)


def colour_for(index: int) -> str:
    """A distinct colour for the `index`-th extra curve (layers, runs)."""
    if index < len(EXTRA_COLOURS):
        return EXTRA_COLOURS[index]
    return pg.intColor(index, hues=12).name()
