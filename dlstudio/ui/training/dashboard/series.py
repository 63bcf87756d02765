"""Live curves that stay cheap at any length: NumPy buffers that double when full,
bound to pyqtgraph items that clip to the view and downsample by peaks (STYLE.md)."""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from dlstudio.ui.theme import CurveKey, curve_colour, style_plot

AXIS_WIDTH = 54


class FrameBudget:
    """Paces the dashboard so the GUI thread stays mostly idle while a model trains.

    A frame may start once the GUI thread's processor time since the previous frame
    began (frames, painting, progress text, everything) is at most `share` of the time
    passed: 3 % of one core by default, so training keeps the processor, the window
    answers at once and no frame waits behind a long one. Frames come at most every
    `min_interval` (~30 a second) and at least every `max_interval`, whatever they cost.
    Most of a frame is Python (pyqtgraph paints its axes in Python), and while the GUI
    thread runs Python the trainer waits for the interpreter lock between torch calls,
    so each millisecond here costs training more than a millisecond of a core.
    """

    def __init__(self, share: float = 0.03, min_interval: float = 1 / 30,
                 max_interval: float = 1.0) -> None:
        self.share, self.min_interval, self.max_interval = share, min_interval, max_interval
        self._started = -1e9  # wall time when the previous frame began
        self._cpu = 0.0  # the GUI thread's processor time then

    def wait(self, now: float, cpu: float | None = None) -> float:
        """Seconds until the next frame may start (`cpu`: this thread's processor time,
        time.thread_time(), called on the GUI thread)."""
        cpu = time.thread_time() if cpu is None else cpu
        due = self._started + (cpu - self._cpu) / self.share
        due = min(max(due, self._started + self.min_interval),
                  self._started + self.max_interval)
        return max(0.0, due - now)

    def frame_started(self, now: float, cpu: float | None = None) -> None:
        self._started = now
        self._cpu = time.thread_time() if cpu is None else cpu


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
    the dashboard's frames, never per batch. `dense` curves (a point per report, maybe
    millions) clip to the view and downsample by peaks; sparse ones (a point per epoch)
    skip that work, which pyqtgraph would redo on every change of the view. Its colour
    is a role (`key`), so it follows the theme through `restyle()`."""

    def __init__(self, plot: pg.PlotItem, name: str | None, key: CurveKey, *,
                 width: float = 2.0, alpha: int = 255, symbol: str | None = None,
                 dense: bool = False) -> None:
        self.key, self._width, self._alpha = key, width, alpha
        self.buffer = GrowingBuffer()
        self.item = plot.plot(name=name, symbol=symbol, symbolSize=6, symbolPen=None,
                              skipFiniteCheck=True)
        self.restyle()
        if dense:
            self.item.setClipToView(True)
            self.item.setDownsampling(auto=True, method="peak")
        self._shown = 0

    def restyle(self) -> None:
        """Take the current theme's colour for this curve's role; the points stay."""
        colour = curve_colour(self.key)
        pen_colour = QColor(colour)
        pen_colour.setAlpha(self._alpha)
        self.item.setPen(pg.mkPen(pen_colour, width=self._width))
        self.item.setSymbolBrush(colour)

    def append(self, x: float, y: float) -> None:
        self.buffer.append(x, y)

    def extend(self, xs: np.ndarray, ys: np.ndarray) -> None:
        self.buffer.extend(xs, ys)

    def flush(self) -> None:
        """Push new points to the plot; a hidden curve waits until it is shown."""
        if self.item.isVisible() and len(self.buffer) != self._shown:
            self._shown = len(self.buffer)
            # Non-finite points (a diverged loss) are dropped by connect="finite".
            self.item.setData(self.buffer.x, self.buffer.y, connect="finite",
                              skipFiniteCheck=True)

    def clear(self) -> None:
        self.buffer.clear()
        self._shown = 0
        self.item.setData([], [])


def setup_plot(plot: pg.PlotItem, title: str, left: str, bottom: str = "epoch", *,
               grid: bool = False, legend: bool = True) -> None:
    """Title, axis labels and a legend (for named curves), in the current theme's
    colours (`style_plot`). Live plots get no grid: pyqtgraph draws it with the axes, and
    it made each frame several times dearer."""
    plot.setTitle(title, size="10pt")
    plot.setLabel("left", left)
    plot.setLabel("bottom", bottom)
    if grid:
        plot.showGrid(x=True, y=True, alpha=0.2)
    if legend:
        plot.addLegend(offset=(-10, 10))
    for name in ("left", "bottom"):
        plot.getAxis(name).enableAutoSIPrefix(False)  # "0.001", not "1" over "(x0.001)"
    # A fixed width: tick labels of a new length would otherwise shift the whole layout
    # and repaint every plot in it.
    plot.getAxis("left").setWidth(AXIS_WIDTH)
    plot.setMenuEnabled(False)
    style_plot(plot)


class RangeKeeper:
    """Keeps a live plot's view on its curves without redrawing its axes every frame.

    Autorange would move the view (and regenerate the axes, the costly part of a frame)
    whenever a point sets a new extreme. Here the x range doubles when the curves reach
    its end, up to the run's length, and the y range changes only when the data leaves
    it or fills less than half of it. Once the user zooms or pans, the plot is left
    alone until the next run. With `log`, y is kept in decades (a log-scale plot).
    """

    MARGIN = 0.08

    def __init__(self, plot: pg.PlotItem, curves: list[LiveCurve], log: bool = False
                 ) -> None:
        self.plot, self.curves, self.log = plot, curves, log
        self.following = True
        self._x = (0.0, 1.0)
        self._x_limit = 1.0
        self._y: tuple[float, float] | None = None
        plot.disableAutoRange()
        plot.hideButtons()
        plot.getViewBox().sigRangeChangedManually.connect(self._on_view_range_changed_manually)

    def reset(self, x_low: float, x_first: float, x_limit: float) -> None:
        """A new run: x shows [x_low, x_first] at first and grows to x_limit at most."""
        self.following = True
        self._x_limit = max(x_limit, x_first)
        self._x, self._y = (x_low, x_first), None
        self.plot.setXRange(*self._x, padding=0)
        self.plot.setYRange(0, 1, padding=0)

    def update(self) -> None:
        if not self.following:
            return
        shown = [c.buffer for c in self.curves if c.item.isVisible() and len(c.buffer)]
        if not shown:
            return
        self._follow_x(max(float(b.x[-1]) for b in shown))
        finite = [b.y[np.isfinite(b.y) & ((b.y > 0) if self.log else True)] for b in shown]
        finite = [np.log10(v) if self.log else v for v in finite if len(v)]
        if finite:
            self._follow_y(min(float(v.min()) for v in finite),
                           max(float(v.max()) for v in finite))

    def _follow_x(self, last: float) -> None:
        low, high = self._x
        if last <= high or high >= self._x_limit:
            return
        while high < last and high < self._x_limit:
            high = min(self._x_limit, low + 2 * (high - low))
        self._x = (low, high)
        self.plot.setXRange(low, high, padding=0)

    def _follow_y(self, low: float, high: float) -> None:
        if self._y is not None:
            shown_low, shown_high = self._y
            inside = shown_low <= low and high <= shown_high
            if inside and high - low >= 0.5 * (shown_high - shown_low):
                return
        span = high - low or abs(high) or 1.0
        self._y = (low - self.MARGIN * span, high + self.MARGIN * span)
        self.plot.setYRange(*self._y, padding=0)

    def _on_view_range_changed_manually(self, *_: object) -> None:
        self.following = False
