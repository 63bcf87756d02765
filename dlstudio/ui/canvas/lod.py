"""Level of detail: how much a canvas item draws at the current zoom.

Zoomed out, text is unreadable and ports too small to hit, so items skip them; that is
what keeps a frame of hundreds of nodes under 16 ms.
"""

from __future__ import annotations

from PySide6.QtGui import QFont, QPainter
from PySide6.QtWidgets import QStyleOptionGraphicsItem

TEXT_LOD = 0.45  # below this scale, no text and no ports
DETAIL_LOD = 0.2  # below this scale, plain shapes only


def level_of_detail(option: QStyleOptionGraphicsItem, painter: QPainter) -> float:
    return option.levelOfDetailFromTransform(painter.worldTransform())


def pixel_font(size: int, bold: bool = False) -> QFont:
    """A font sized in pixels, so node layout is the same on every screen density."""
    font = QFont()
    font.setPixelSize(size)
    font.setBold(bold)
    return font
