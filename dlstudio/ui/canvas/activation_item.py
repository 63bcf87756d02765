"""One node's output for the current sample, drawn to the right of its card.

A child of the node's item, so it moves with the card and goes away with it. It draws
the preview's uint8 array through a QImage that shares the array's memory (no copy; the
core lays pixels out as Format_RGB32 words, which the raster engine draws without
converting), scaled with nearest-neighbour sampling and no antialiasing, so each channel
pixel or vector cell stays a crisp square: a scaled RGB888 image with antialiasing took
~35x longer to draw. The caption is laid out once per change (QStaticText).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen, QStaticText, QTransform
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from dlstudio.graph import format_shape
from dlstudio.infer.activations import Preview
from dlstudio.ui.canvas.lod import pixel_font
from dlstudio.ui.canvas.node_item import NODE_HEIGHT, NODE_WIDTH

GAP = 12.0  # from the card's right edge
BOX_WIDTH = 128.0  # the most a picture takes, in scene units (narrow: the Network panel fits more)
BOX_HEIGHT = 54.0
CAPTION = 13.0  # the line under the picture
MAX_ZOOM = 10.0  # a 1×10 vector is drawn with 10-unit cells, not stretched to the box


@cache
def caption_font() -> QFont:
    """Made once (a QFont needs a running application), not at every paint."""
    return pixel_font(10)


def picture_rect(width: int, height: int) -> QRectF:
    """Where a `width`×`height` picture is drawn: as large as fits the box, whole
    pixels kept square, at the box's top left."""
    scale = min(BOX_WIDTH / max(width, 1), BOX_HEIGHT / max(height, 1), MAX_ZOOM)
    return QRectF(0.0, 0.0, width * scale, height * scale)


class ActivationItem(QGraphicsItem):
    """The preview beside one node; shows a line of text when there is no picture."""

    def __init__(self, parent: QGraphicsItem, colors: Callable[[], QColor]) -> None:
        super().__init__()  # the parent comes last: it asks for our bounds at once
        self._width = BOX_WIDTH  # wider when the caption is (a view fitted to it shows it)
        self.setPos(NODE_WIDTH / 2 + GAP, -NODE_HEIGHT / 2)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(2)
        self._text_colour = colors
        self.preview: Preview | None = None
        self.message = ""
        self.caption = ""
        self._caption = QStaticText()
        self._pixels: np.ndarray | None = None  # the memory the QImage reads
        self._image: QImage | None = None
        self._target = QRectF()
        self.stale = False  # the sample or model changed since this picture was made
        self.serial = 0  # bumped by each new picture
        self.painted_serial = -1  # the picture last painted (the benchmark reads it)
        self.on_paint_stale: Callable[[], None] | None = None  # asks for a fresh picture
        self.setParentItem(parent)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return QRectF(-1.0, -1.0, self._width + 2.0, BOX_HEIGHT + CAPTION + 2.0)

    def set_preview(self, preview: Preview) -> None:
        """Draw `preview` from now on (its array is shared, not copied)."""
        pixels = preview.pixels
        height, width = pixels.shape[:2]
        self._pixels = pixels
        self._image = QImage(pixels.data, width, height, pixels.strides[0],
                             QImage.Format.Format_RGB32)
        self._target = picture_rect(width, height)
        self.preview, self.message, self.stale = preview, "", False
        self.serial += 1
        dead = f" · {preview.dead} dead" if preview.dead and preview.kind == "map" else ""
        caption = f"{preview.note}{dead}"
        if caption != self.caption:
            self.caption = caption
            self._caption = QStaticText(caption)
            self._caption.setTextFormat(Qt.TextFormat.PlainText)
            self._caption.prepare(QTransform(), caption_font())
            width = max(BOX_WIDTH, self._caption.size().width() + 2.0)
            if width != self._width:
                self.prepareGeometryChange()
                self._width = width
        self.setToolTip(_tooltip(preview))
        self.update()

    def set_message(self, text: str) -> None:
        """No picture: say why (no model yet, nothing drawn, not in the trained model)."""
        if text == self.message and self._image is None:
            return
        self._pixels = self._image = self.preview = None
        self.message, self.stale = text, False
        self.serial += 1
        self.setToolTip(text)
        self.update()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        if self.stale and self.on_paint_stale is not None:
            self.on_paint_stale()  # shown again after a change made while out of sight
        colour = self._text_colour()
        painter.setFont(caption_font())
        if self._image is None:
            painter.setPen(colour)
            painter.drawText(QRectF(0, 0, BOX_WIDTH, BOX_HEIGHT),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
                             | Qt.TextFlag.TextWordWrap, self.message)
        else:
            antialiased = painter.testRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            painter.drawImage(self._target, self._image)
            painter.setPen(QPen(colour, 0))
            painter.drawRect(self._target)
            painter.drawStaticText(QPointF(0, self._target.height() + 1), self._caption)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, antialiased)
        self.painted_serial = self.serial


def _tooltip(preview: Preview) -> str:
    what = {"map": "Feature maps: each tile is one channel, white where it responds most",
            "vector": "Values: gray from 0 to the largest, or blue (negative) to red "
                      "(positive)",
            "sequence": "Steps left to right, features top to bottom; blue negative, "
                        "red positive"}[preview.kind]
    lines = [f"{preview.name}: output {format_shape(preview.shape)} for this sample",
             f"{what}. Shown: {preview.note}.",
             f"Values from {preview.low:.3g} to {preview.high:.3g}."]
    if preview.dead:
        unit = "channels" if preview.kind == "map" else "values"
        lines.append(f"{preview.dead} {unit} are zero everywhere for this sample.")
    return "\n".join(lines)
