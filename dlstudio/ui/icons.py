"""Line icons drawn with QPainter: sharp at any DPI and in the colours of the theme.

Each icon is a few strokes on a 24×24 grid, painted at whatever size and pixel ratio Qt
asks for, in the palette's text colour at the moment it is painted, so switching to the
dark theme recolours the tool bar without any image files.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QGuiApplication,
    QIcon,
    QIconEngine,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
)

Drawing = Callable[[QPainterPath], None]


def _new(p: QPainterPath) -> None:
    p.moveTo(6, 3)
    p.lineTo(14, 3)
    p.lineTo(19, 8)
    p.lineTo(19, 21)
    p.lineTo(6, 21)
    p.closeSubpath()
    p.moveTo(14, 3)
    p.lineTo(14, 8)
    p.lineTo(19, 8)


def _template(p: QPainterPath) -> None:
    for x, y in ((4, 4), (13, 4), (4, 13), (13, 13)):
        p.addRoundedRect(QRectF(x, y, 7, 7), 1.5, 1.5)


def _open(p: QPainterPath) -> None:
    p.moveTo(3, 19)
    p.lineTo(3, 5)
    p.lineTo(9, 5)
    p.lineTo(11, 7)
    p.lineTo(19, 7)
    p.lineTo(19, 10)
    p.moveTo(3, 19)
    p.lineTo(6, 10)
    p.lineTo(22, 10)
    p.lineTo(19, 19)
    p.closeSubpath()


def _save(p: QPainterPath) -> None:
    p.moveTo(4, 4)
    p.lineTo(17, 4)
    p.lineTo(20, 7)
    p.lineTo(20, 20)
    p.lineTo(4, 20)
    p.closeSubpath()
    p.addRect(QRectF(8, 4, 7, 5))
    p.addRect(QRectF(7, 13, 10, 7))


def _undo(p: QPainterPath, mirror: bool = False) -> None:
    def x(value: float) -> float:
        return 24 - value if mirror else value

    p.moveTo(x(9), 5)
    p.lineTo(x(4), 10)
    p.lineTo(x(9), 15)
    p.moveTo(x(4), 10)
    p.lineTo(x(14), 10)
    p.cubicTo(x(22), 10, x(22), 20, x(14), 20)
    p.lineTo(x(10), 20)


def _redo(p: QPainterPath) -> None:
    _undo(p, mirror=True)


def _fit(p: QPainterPath) -> None:
    for (x, y), (dx, dy) in (((3, 3), (1, 1)), ((21, 3), (-1, 1)), ((3, 21), (1, -1)),
                             ((21, 21), (-1, -1))):
        p.moveTo(x + 6 * dx, y)
        p.lineTo(x, y)
        p.lineTo(x, y + 6 * dy)
    p.addRect(QRectF(8, 9, 8, 6))


def _layout(p: QPainterPath) -> None:
    p.addRoundedRect(QRectF(2, 9, 6, 6), 1.5, 1.5)
    p.addRoundedRect(QRectF(16, 3, 6, 6), 1.5, 1.5)
    p.addRoundedRect(QRectF(16, 15, 6, 6), 1.5, 1.5)
    p.moveTo(8, 12)
    p.cubicTo(12, 12, 12, 6, 16, 6)
    p.moveTo(8, 12)
    p.cubicTo(12, 12, 12, 18, 16, 18)


def _delete(p: QPainterPath) -> None:
    p.moveTo(4, 6)
    p.lineTo(20, 6)
    p.moveTo(9, 6)
    p.lineTo(9, 3)
    p.lineTo(15, 3)
    p.lineTo(15, 6)
    p.moveTo(6, 6)
    p.lineTo(7, 21)
    p.lineTo(17, 21)
    p.lineTo(18, 6)
    p.moveTo(10, 10)
    p.lineTo(10, 17)
    p.moveTo(14, 10)
    p.lineTo(14, 17)


def _keyboard(p: QPainterPath) -> None:
    p.addRoundedRect(QRectF(2, 6, 20, 12), 2, 2)
    for x in (6, 10, 14, 18):
        p.moveTo(x, 10)
        p.lineTo(x + 0.01, 10)
    p.moveTo(7, 14)
    p.lineTo(17, 14)


def _train(p: QPainterPath) -> None:
    p.moveTo(7, 4)
    p.lineTo(19, 12)
    p.lineTo(7, 20)
    p.closeSubpath()


DRAWINGS: dict[str, Drawing] = {
    "train": _train, "new": _new, "template": _template, "open": _open, "save": _save,
    "undo": _undo, "redo": _redo, "fit": _fit, "layout": _layout, "delete": _delete,
    "keyboard": _keyboard,
}


class LineIconEngine(QIconEngine):
    """Paints one drawing in the current palette's colours, at any size."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode,
              state: QIcon.State) -> None:
        palette = QGuiApplication.palette()
        group = (QPalette.ColorGroup.Disabled if mode == QIcon.Mode.Disabled
                 else QPalette.ColorGroup.Active)
        colour = palette.color(group, QPalette.ColorRole.WindowText)
        path = QPainterPath()
        DRAWINGS[self.name](path)
        side = min(rect.width(), rect.height())
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.translate(QPointF(rect.x() + (rect.width() - side) / 2,
                                  rect.y() + (rect.height() - side) / 2))
        painter.scale(side / 24.0, side / 24.0)
        pen = QPen(colour, 1.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                   Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
        painter.restore()

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        pixmap = QPixmap(size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        self.paint(painter, QRect(0, 0, size.width(), size.height()), mode, state)
        painter.end()
        return pixmap

    def clone(self) -> QIconEngine:
        return LineIconEngine(self.name)


def line_icon(name: str) -> QIcon:
    """A drawn icon by name (see DRAWINGS)."""
    if name not in DRAWINGS:
        raise KeyError(f"no icon called {name!r}; there are: {', '.join(DRAWINGS)}")
    return QIcon(LineIconEngine(name))
