"""Amber badges on the canvas: one on the top-left corner of each node with a training
health sign (the top-right corner holds the shape-problem badge; the sides are the cost
and activation overlays'). Its tooltip says what was seen; a click offers the fixes.

A badge is a child item of the node's card, so it moves with it. It keeps its size on
screen when zoomed in, and shrinks with the card when zoomed out (down to 40%): the Train
workspace's glance shows the same scene fitted small, where a full-size badge covered
most of a card. The layer rebuilds the badges when the signs or the scene change.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from dlstudio.ui.canvas.node_item import NodeItem

AMBER = QColor("#e08a00")
RADIUS = 9.0
CLICK_HINT = "Click it (or select the node and press Shift+F10) for one-click fixes."
SMALLEST = 0.4  # of RADIUS: the badge on a zoomed-out view (the Train glance) still shows


def paint_mark(painter: QPainter, centre: QPointF, radius: float) -> None:
    """An amber disc with a white pulse line: the sign of a training health warning."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor("#ffffff"), 1.5))
    painter.setBrush(QBrush(AMBER))
    painter.drawEllipse(centre, radius, radius)
    r, x, y = radius, centre.x(), centre.y()
    pulse = QPainterPath(QPointF(x - 0.65 * r, y))
    for dx, dy in ((-0.3, 0), (-0.12, -0.5), (0.1, 0.45), (0.28, 0), (0.65, 0)):
        pulse.lineTo(QPointF(x + dx * r, y + dy * r))
    painter.setPen(QPen(QColor("#ffffff"), max(1.2, r / 6), Qt.PenStyle.SolidLine,
                        Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(pulse)
    painter.restore()


def mark_icon(size: int = 16) -> QIcon:
    """The badge as an icon, for the Problems lines."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    paint_mark(painter, QPointF(size / 2, size / 2), size / 2 - 1)
    painter.end()
    return QIcon(pixmap)


def drawn_scale(viewport: QWidget | None) -> float:
    """The badge's size on the view drawing it, as a share of its full size: the view's
    zoom, between SMALLEST and 1."""
    view = viewport.parent() if viewport is not None else None
    transform = getattr(view, "transform", None)
    zoom = transform().m11() if callable(transform) else 1.0
    return min(1.0, max(SMALLEST, zoom))


class HealthBadge(QGraphicsObject):
    """The badge on one node's card; `clicked` with the screen point to open a menu at."""

    clicked = Signal(str, object)  # node id, QPoint (screen)

    def __init__(self, card: NodeItem, tooltip: str) -> None:
        super().__init__(card)
        self.node_id = card.node_id
        rect = card.boundingRect().adjusted(2, 2, -2, -2)  # the card itself
        # Just above the type in the header, clear of the cost text on the card's left.
        self.setPos(rect.left() + 3, rect.top() - 6)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setZValue(3)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(tooltip)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)

    def boundingRect(self) -> QRectF:
        return QRectF(-RADIUS - 1, -RADIUS - 1, 2 * RADIUS + 2, 2 * RADIUS + 2)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        paint_mark(painter, QPointF(0, 0), RADIUS * drawn_scale(widget))

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        event.accept()  # not a press on the card: it is not selected or dragged

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self.boundingRect().contains(event.pos()):
            self.clicked.emit(self.node_id, event.screenPos())
        event.accept()


class BadgeLayer:
    """Keeps one badge on each node that has signs; `scene` is asked for anew each time
    (another project brings another scene)."""

    def __init__(self, scene: Callable[[], object], tooltips: Callable[[], dict[str, str]],
                 on_click: Callable[[str, object], None]) -> None:
        self._scene, self._tooltips, self._on_click = scene, tooltips, on_click
        self.badges: dict[str, HealthBadge] = {}
        self._timer = QTimer()
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.refresh)

    def schedule(self) -> None:
        """Refresh once the current burst of edits has reached the scene."""
        self._timer.start()

    def refresh(self) -> None:
        self._timer.stop()
        nodes: dict[str, NodeItem] = getattr(self._scene(), "nodes", {})
        wanted = self._tooltips()
        for node_id, badge in list(self.badges.items()):
            card = nodes.get(node_id)
            if node_id not in wanted or card is None or badge.parentItem() is not card:
                self._drop(badge)
                del self.badges[node_id]
        for node_id, tip in wanted.items():
            card = nodes.get(node_id)
            if card is None:
                continue
            badge = self.badges.get(node_id)
            if badge is None:
                badge = self.badges[node_id] = HealthBadge(card, tip)
                badge.clicked.connect(self._on_click)
            elif badge.toolTip() != tip:
                badge.setToolTip(tip)

    @staticmethod
    def _drop(badge: HealthBadge) -> None:
        try:
            scene = badge.scene()
            if scene is not None:
                scene.removeItem(badge)
            badge.setParentItem(None)
        except RuntimeError:  # its card was deleted with its scene: so was the badge
            pass
