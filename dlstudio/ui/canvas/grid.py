"""The canvas grid: a line every 20 scene units, every fifth darker, thinned out (x5) when
zooming out would bring lines closer than 10 pixels.

Drawn for the exposed part only, in one call per pen, as thin aliased lines at positions
that follow the view's transform exactly: a pan scrolls the pixels already drawn and paints
only the strip it uncovers, and the two meet without a seam. (A cached background had to
be redrawn at every zoom step, and antialiased lines are slower for nothing.)
"""

from __future__ import annotations

from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QPainter, QPen

from dlstudio.ui.canvas.colors import CanvasColors

GRID = 20.0  # scene units between lines; nodes snap to it
MAJOR_EVERY = 5
MIN_SPACING_PX = 10.0


def grid_step(zoom: float) -> float:
    """Scene units between drawn lines at this zoom."""
    step = GRID
    while step * zoom < MIN_SPACING_PX:
        step *= MAJOR_EVERY
    return step


def draw_grid(painter: QPainter, rect: QRectF, zoom: float, colors: CanvasColors) -> None:
    """Draw the grid lines crossing `rect` (scene coordinates)."""
    step = grid_step(zoom)
    left, top = int(rect.left() // step), int(rect.top() // step)
    right, bottom = int(rect.right() // step) + 1, int(rect.bottom() // step) + 1
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    for major in (False, True):
        painter.setPen(QPen(colors.color("grid_major" if major else "grid_minor"), 0))
        lines = [QLineF(i * step, rect.top(), i * step, rect.bottom())
                 for i in range(left, right + 1) if (i % MAJOR_EVERY == 0) == major]
        lines += [QLineF(rect.left(), j * step, rect.right(), j * step)
                  for j in range(top, bottom + 1) if (j % MAJOR_EVERY == 0) == major]
        painter.drawLines(lines)
    painter.restore()
