"""The drawing pad: a square to draw on with the mouse or a tablet.

Ink lives in one image of black ink whose alpha is the amount of ink (1 = full), at the
pad's logical size: reading it for the model is a copy of its alpha bytes, and the screen
draws it over paper. Premultiplied ARGB is Qt's fastest format to paint into and from.
Strokes are smoothed with quadratic curves through the midpoints of the sampled points
and drawn piece by piece as the pointer moves; undo repaints the remaining strokes the
same way, so what the model saw before a stroke is what it sees after undoing it.
Tablets need no code of their own: Qt turns unhandled tablet events into mouse events.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QTransform,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from dlstudio.data import DataError
from dlstudio.data.folders import read_image
from dlstudio.infer.pad import Placement, ink_from_image
from dlstudio.ui.theme import current_plot_colors

PAD_SIZE = 280
PEN_FRACTION = 1 / 12  # of the pad's side: MNIST strokes are about this thick
PAPER = QColor("#fbfbf8")  # in both themes: the model reads dark ink on light paper
HINT = "Draw here"
HINT_COLOUR = QColor("#8a8a86")
HEAT_FLOOR = 0.1  # saliency below this share of the maximum stays clear
HEAT_ALPHA = 190
INK_UNDER_HEAT = 0.4  # ink opacity while a heat map is shown


class DrawingPad(QWidget):
    """A square pad of `size` logical pixels. `ink()` is what has been drawn."""

    ink_changed = Signal()  # after each drawn piece, a clear, an undo or a loaded image

    def __init__(self, size: int = PAD_SIZE, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(size, size)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setToolTip("Draw with the mouse or a pen; the prediction follows each stroke")
        self._pen = QPen(QColor(0, 0, 0, 255), size * PEN_FRACTION, Qt.PenStyle.SolidLine,
                         Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
        self._base = self._blank()  # a loaded picture, or nothing
        self._has_base = False
        self._ink = self._blank()
        self._strokes: list[list[QPointF]] = []
        self._drawing = False
        self._overlay: QImage | None = None
        self._overlay_transform = QTransform()

    # ----- reading and changing the ink -------------------------------------------------
    def ink(self) -> np.ndarray:
        """The drawing as (size, size) float32 in 0..1, 1 = full ink."""
        return _alpha(self._ink).astype(np.float32) / 255.0

    def is_drawing(self) -> bool:
        """True while a stroke is under way (the button is held)."""
        return self._drawing

    def stroke_count(self) -> int:
        return len(self._strokes)

    def is_empty(self) -> bool:
        return not self._strokes and not self._has_base

    def clear(self) -> None:
        """Remove every stroke and any loaded picture."""
        self._base = self._blank()
        self._has_base = False
        self._strokes.clear()
        self._repaint_ink()

    def undo_stroke(self) -> bool:
        """Remove the last stroke; False when there was none."""
        if not self._strokes:
            return False
        self._strokes.pop()
        self._repaint_ink()
        return True

    def load_image(self, path: Path) -> None:
        """Replace the drawing with the picture at `path`, as ink (see `ink_from_image`).
        DataError names the file when it cannot be read, or when its header claims more
        pixels than Pillow's limit (a decompression bomb: refused before any is decoded)."""
        with read_image(path) as image:
            try:
                ink = ink_from_image(image, (self.height(), self.width()))
            except Exception as error:  # noqa: BLE001 - any decoder failure on a user's file
                raise DataError(f"cannot read image {path}: {error or type(error).__name__}"
                                ) from None
        pixels = np.round(ink * 255).astype(np.uint32) << 24  # black, premultiplied
        height, width = pixels.shape
        self._base = QImage(pixels.data, width, height, width * 4,
                            QImage.Format.Format_ARGB32_Premultiplied).copy()
        self._has_base = bool(pixels.any())
        self._strokes.clear()
        self._repaint_ink()

    def set_overlay(self, heat: np.ndarray | None, placement: Placement | None) -> None:
        """Lay a heat map (H, W) in 0..1 over the drawing; `placement` maps the pad onto
        its pixels. None removes it."""
        if heat is None or placement is None:
            self._overlay = None
        else:
            self._overlay = heat_image(heat)
            scale_x, scale_y = placement.scale
            origin_x, origin_y = placement.origin
            self._overlay_transform = QTransform(1 / scale_x, 0, 0, 1 / scale_y,
                                                 origin_x, origin_y)
        self.update()

    def has_overlay(self) -> bool:
        return self._overlay is not None

    # ----- painting ----------------------------------------------------------------------
    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return self.size()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.fillRect(self.rect(), PAPER)
        if self._overlay is not None:
            painter.setOpacity(INK_UNDER_HEAT)  # grey ink, so the heat colours show
        painter.drawImage(0, 0, self._ink)
        painter.setOpacity(1.0)
        if self._overlay is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.setTransform(self._overlay_transform)
            painter.drawImage(QRectF(0, 0, self._overlay.width(), self._overlay.height()),
                              self._overlay)
            painter.resetTransform()
        if self.is_empty():
            painter.setPen(HINT_COLOUR)  # on the paper, whatever the theme
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, HINT)
        painter.setPen(QColor(current_plot_colors().frame))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()

    # ----- the pointer -------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        self._drawing = True
        self._strokes.append([event.position()])
        self._paint_latest()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if not self._drawing or not event.buttons() & Qt.MouseButton.LeftButton:
            return super().mouseMoveEvent(event)
        points = self._strokes[-1]
        if (event.position() - points[-1]).manhattanLength() < 0.5:
            return
        points.append(event.position())
        self._paint_latest()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if event.button() != Qt.MouseButton.LeftButton or not self._drawing:
            return super().mouseReleaseEvent(event)
        self._drawing = False
        points = self._strokes[-1]
        painter = self._painter()
        _paint_piece(painter, points, len(points), final=True)
        painter.end()
        self._changed()

    # ----- helpers -----------------------------------------------------------------------
    def _blank(self) -> QImage:
        image = QImage(self.width(), self.height(),
                       QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(0)  # transparent: no ink
        return image

    def _painter(self) -> QPainter:
        painter = QPainter(self._ink)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(self._pen)
        return painter

    def _paint_latest(self) -> None:
        points = self._strokes[-1]
        painter = self._painter()
        _paint_piece(painter, points, len(points) - 1, final=False)
        painter.end()
        self._changed()

    def _repaint_ink(self) -> None:
        self._ink = self._base.copy()
        painter = self._painter()
        for points in self._strokes:
            for index in range(len(points)):
                _paint_piece(painter, points, index, final=False)
            _paint_piece(painter, points, len(points), final=True)
        painter.end()
        self._changed()

    def _changed(self) -> None:
        self.update()
        self.ink_changed.emit()


def _paint_piece(painter: QPainter, points: list[QPointF], index: int, final: bool) -> None:
    """Draw the part of a stroke that point `index` completes: a dot for the first
    point, a curve between midpoints bent towards the point before, and at the end
    (`final`, index == len(points)) the straight run into the last point."""
    if final:
        if len(points) > 1:
            painter.drawLine(_middle(points[-2], points[-1]), points[-1])
        return
    if index == 0:
        painter.drawPoint(points[0])
    elif index == 1:
        painter.drawLine(points[0], _middle(points[0], points[1]))
    else:
        path_start = _middle(points[index - 2], points[index - 1])
        path_end = _middle(points[index - 1], points[index])
        path = QPainterPath(path_start)
        path.quadTo(points[index - 1], path_end)
        painter.drawPath(path)


def _middle(a: QPointF, b: QPointF) -> QPointF:
    return (a + b) / 2


def _alpha(image: QImage) -> np.ndarray:
    """The alpha of a 32-bit ARGB image as (height, width) uint8, copied."""
    rows = np.frombuffer(image.constBits(), np.uint32).reshape(image.height(),
                                                              image.bytesPerLine() // 4)
    return (rows[:, :image.width()] >> 24).astype(np.uint8)


def heat_image(heat: np.ndarray) -> QImage:
    """A 0..1 map as a see-through heat colour: clear below a tenth, then from faint
    yellow to strong red."""
    level = np.clip(np.asarray(heat, dtype=np.float32), 0.0, 1.0)
    strength = np.clip((level - HEAT_FLOOR) / (1.0 - HEAT_FLOOR), 0.0, 1.0)
    red = np.full(level.shape, 255, dtype=np.uint32)
    green = np.round(230 * (1.0 - strength)).astype(np.uint32)
    alpha = np.round(HEAT_ALPHA * strength ** 0.7).astype(np.uint32)
    pixels = np.ascontiguousarray((alpha << 24) | (red << 16) | (green << 8))
    height, width = level.shape
    image = QImage(pixels.data, width, height, width * 4, QImage.Format.Format_ARGB32)
    return image.copy()
