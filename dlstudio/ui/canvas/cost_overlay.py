"""What each layer costs, written beside its card, as Sony's Neural Network Console does:
parameters, multiply-adds and activation memory for one sample, in small muted text.

The numbers are `dlstudio.graph.cost`'s, the same the Model summary and `dlstudio summary`
show, recomputed when the document's shape report changes. A `CostLabel` is a child of
its node's item, so it moves with the card and goes away with it. It sits left of the
card (the right is where a node's output preview goes, the card's top right its badge);
where another card stands there (a branch beside the main chain) it moves to the right,
and where both sides are taken it stays out of the way. Its text is laid out only when it
is first drawn, and it draws nothing when zoomed out below `COST_LOD`, so a
10,000-node graph opens as fast as before. View ▸ Show layer costs turns them off and on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QAction, QPainter, QPainterPath, QStaticText
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from dlstudio.graph import ShapeReport
from dlstudio.graph.cost import NodeCost, cost_parts, format_size, node_cost
from dlstudio.ui.canvas.lod import level_of_detail, pixel_font
from dlstudio.ui.canvas.node_item import NODE_HEIGHT, NODE_WIDTH, NodeItem, PortItem, static_text
from dlstudio.ui.canvas.scene import CanvasScene

if TYPE_CHECKING:
    from dlstudio.ui.main_window import MainWindow

GAP = 6.0  # between the card and the text
WIDTH = 84.0  # room the text may take on either side
LINE = 12.0
FONT_PX = 10  # as the card's own parameters
COST_LOD = 0.6  # below this zoom the 10-pixel text is too small to read: not drawn
SETTING = "canvas/show_costs"
LEFT, RIGHT, NOWHERE = "left", "right", ""


def side_rect(side: str, width: float = WIDTH) -> QRectF:
    """Where text `width` wide goes, in the card's coordinates (its centre is 0, 0)."""
    x = -NODE_WIDTH / 2 - GAP - width if side == LEFT else NODE_WIDTH / 2 + GAP
    return QRectF(x, -NODE_HEIGHT / 2, width, NODE_HEIGHT)


BOUNDS = side_rect(LEFT).united(side_rect(RIGHT))


class CostLabel(QGraphicsItem):
    """One node's cost in up to three right-aligned lines beside its card."""

    def __init__(self, parent: NodeItem) -> None:
        super().__init__(parent)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(-1)  # under its card's ports and a preview beside it
        self.cost: NodeCost | None = None
        self.side = LEFT
        self._lines: list[QStaticText] | None = None  # laid out when first drawn

    def set_cost(self, cost: NodeCost | None) -> None:
        if cost == self.cost:
            return
        self.cost, self._lines = cost, None
        self.setToolTip(_tooltip(cost))
        self.update()

    def parts(self) -> list[str]:
        """The lines shown: '320 params', '195 k MACs', '86.5 kB' (zeros left out)."""
        return [] if self.cost is None else cost_parts(self.cost)

    def text(self) -> str:
        return " · ".join(self.parts())

    # ----- QGraphicsItem -------------------------------------------------------------
    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return BOUNDS

    def shape(self) -> QPainterPath:
        """Only the side written on, so the card keeps its own tooltip and clicks."""
        path = QPainterPath()
        if self.side and self.parts():
            path.addRect(side_rect(self.side, self._width()))
        return path

    def _width(self) -> float:
        """How wide the text is drawn (the room it may take until it is laid out)."""
        if not self._lines:
            return WIDTH
        return min(WIDTH, max(line.size().width() for line in self._lines) + 1)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        if self.cost is None or level_of_detail(option, painter) < COST_LOD:
            return
        if self._lines is None:
            font = pixel_font(FONT_PX)
            self._lines = [static_text(part, font) for part in self.parts()]
        if not self._lines:
            return
        side = self._free_side()
        if side != self.side:
            self.side = side  # shape() follows; the bounds never change
        if not side:
            return
        area = side_rect(side, self._width())
        painter.setFont(pixel_font(FONT_PX))
        painter.setPen(self.scene().colors.color("text_dim"))
        top = -len(self._lines) * LINE / 2
        for index, line in enumerate(self._lines):
            width = line.size().width()
            x = area.right() - width if side == LEFT else area.left()
            painter.drawStaticText(QPointF(x, top + index * LINE), line)

    def _free_side(self) -> str:
        """Left unless a card (or something drawn beside one) is there, then right; the
        right is also taken where a card stands close enough to write its own cost to
        its left, into the same gap (a branch beside the next column of a snake)."""
        for side, reach in ((LEFT, 0.0), (RIGHT, GAP + WIDTH)):
            area = self.mapRectToScene(side_rect(side, self._width()))
            wide = area.adjusted(0, 0, reach, 0)
            if not any(_blocks(item, self, wide) for item in self.scene().items(wide)):
                return side
        return NOWHERE


def _blocks(item: QGraphicsItem, label: CostLabel, area: QRectF) -> bool:
    """Whether `item` stands in `area` (scene units), where `label` would write."""
    if isinstance(item, NodeItem):  # its card, not the margin round it
        return item is not label.parentItem() and item.sceneBoundingRect().adjusted(
            2, 2, -2, -2).intersects(area)
    parent = item.parentItem()
    return (isinstance(parent, NodeItem) and not isinstance(item, (PortItem, CostLabel))
            and item.isVisible())


def _tooltip(cost: NodeCost | None) -> str:
    if cost is None:
        return ""
    memory = (f"its output takes {format_size(cost.activation_bytes)}"
              if cost.activation_bytes else "its output is a view of its input (no memory)")
    return (f"{cost.params:,} parameters, {cost.macs:,} multiply-adds (MACs), {memory}; "
            "for one sample")


class _Watcher(QGraphicsItem):
    """Spans the scene and draws nothing: it is asked to paint whatever part of the
    scene a view draws, and hands that part to the overlay, so labels are made only for
    the cards someone looks at closely enough to read them (none at a fitted 10,000)."""

    def __init__(self, overlay: CostOverlay, extent: QRectF) -> None:
        super().__init__()
        self._overlay, self._extent = overlay, extent
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(-3)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return self._extent

    def shape(self) -> QPainterPath:
        return QPainterPath()  # never under the mouse

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        if level_of_detail(option, painter) >= COST_LOD:
            self._overlay.seen(option.exposedRect)


class CostOverlay(QObject):
    """Keeps a `CostLabel` on the cards of the followed scene that have been drawn
    close enough to read, while shown; their costs follow the shape report."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.scene: CanvasScene | None = None
        self.shown = True
        self.labels: dict[str, CostLabel] = {}
        self.action: QAction | None = None  # View ▸ Show layer costs
        self._watcher: _Watcher | None = None
        self._seen: list[QRectF] = []  # drawn areas whose cards may need labels
        self._label_timer = QTimer(self)  # labels are made after the paint, not in it
        self._label_timer.setSingleShot(True)
        self._label_timer.setInterval(0)
        self._label_timer.timeout.connect(self._on_label_timer_timeout)
        self._shapes_shown: object = None  # the labels show costs of these shapes

    def follow(self, scene: CanvasScene) -> None:
        """Label `scene` (the open project's canvas)."""
        if scene is self.scene:
            return
        if self.scene is not None:
            self._disconnect()
        self.scene, self.labels, self._seen = scene, {}, []
        self._watcher = _Watcher(self, scene.sceneRect())
        scene.addItem(self._watcher)
        self._shapes_shown = scene.document.report.shapes
        scene.document.report_updated.connect(self._on_document_report_updated)
        scene.document.graph.events.node_moved.connect(self._on_graph_node_moved)

    def set_shown(self, shown: bool) -> None:
        if shown == self.shown:
            return
        self.shown = shown
        if self.scene is None:
            return
        if not shown:
            for label in self.labels.values():
                if label.scene() is not None:
                    self.scene.removeItem(label)
            self.labels = {}
        self._watcher.update()  # drawn again: labels come back for what is in view

    def seen(self, area: QRectF) -> None:
        """A view drew `area` (scene units) close up: label its cards soon."""
        if self.shown:
            self._seen.append(QRectF(area))
            self._label_timer.start()

    def _on_label_timer_timeout(self) -> None:
        scene, areas, self._seen = self.scene, self._seen, []
        if scene is None or not self.shown:
            return
        reach = GAP + WIDTH  # a card just outside the area may write into it
        report = scene.document.report
        for area in areas:
            for item in scene.items(area.adjusted(-reach - NODE_WIDTH, 0, reach, 0)):
                if isinstance(item, NodeItem) and item.node_id not in self.labels \
                        and item.node_id in scene.nodes:
                    label = CostLabel(item)
                    label.set_cost(node_cost(scene.document.graph, report, item.node_id))
                    self.labels[item.node_id] = label

    def _on_document_report_updated(self, report: ShapeReport) -> None:
        """New shapes: the labels made so far take their nodes' new costs (a label whose
        node is gone went with its card)."""
        scene = self.scene
        # The same shapes checked against other data (a data set chosen): costs stand.
        if scene is None or report.shapes is self._shapes_shown:
            return
        self._shapes_shown = report.shapes
        graph = scene.document.graph
        self.labels = {node_id: label for node_id, label in self.labels.items()
                       if node_id in scene.nodes and label.parentItem() is scene.nodes[node_id]}
        for node_id, label in self.labels.items():
            label.set_cost(node_cost(graph, report, node_id))
        self._watcher.update()  # new cards get theirs when next drawn

    def _on_graph_node_moved(self, node: object, old: object, new: object) -> None:
        """A card moved: labels near where it was and is choose their side again."""
        scene = self.scene
        if scene is None or not self.labels:
            return
        reach = NODE_WIDTH + 2 * (GAP + WIDTH)
        for x, y in (old, new):
            area = QRectF(x - reach, y - NODE_HEIGHT, 2 * reach, 2 * NODE_HEIGHT)
            for item in scene.items(area):
                if isinstance(item, CostLabel):
                    item.update()

    def _disconnect(self) -> None:
        scene = self.scene
        scene.document.report_updated.disconnect(self._on_document_report_updated)
        scene.document.graph.events.node_moved.disconnect(self._on_graph_node_moved)
        if self._watcher is not None and self._watcher.scene() is scene:
            scene.removeItem(self._watcher)
        self._watcher = None

def install_cost_overlay(window: MainWindow) -> CostOverlay:
    """Layer costs on `window`'s canvas, and View ▸ Show layer costs (remembered)."""
    overlay = CostOverlay(window)
    overlay.shown = _remembered(window)
    view = window.view
    overlay.follow(view.canvas_scene)
    window.document_changed.connect(lambda _document: overlay.follow(view.canvas_scene))
    menu = window.workspaces.menu
    action = QAction("Show layer costs", window)
    action.setObjectName("action_show_layer_costs")
    action.setCheckable(True)
    action.setChecked(overlay.shown)
    action.setStatusTip("Write each layer's parameters, multiply-adds and activation memory "
                        "(one sample) beside its card")
    action.toggled.connect(lambda on: _set_shown(window, overlay, on))
    if menu is not None:
        menu.addSeparator()
        menu.addAction(action)
    overlay.action = action
    return overlay


def _remembered(window: MainWindow) -> bool:
    return str(window.settings.value(SETTING, True)).lower() not in ("false", "0")


def _set_shown(window: MainWindow, overlay: CostOverlay, on: bool) -> None:
    window.settings.setValue(SETTING, on)
    overlay.set_shown(on)
