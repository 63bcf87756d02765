"""A node on the canvas: type, name, key parameters, output shape, typed ports, a badge.

A view of one graph node. It never edits the model: the scene feeds it what to show
(`sync` from the node, `set_report` from the shape report) and turns gestures on it
into GraphEditor calls. Its painting is cached per zoom level, and its text is laid out
once per change (QStaticText), so redrawing the cache after a zoom step stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QStaticText,
    QTransform,
)
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from dlstudio.graph import Node, layout
from dlstudio.ui.canvas.describe import node_tooltip, param_items
from dlstudio.ui.canvas.lod import DETAIL_LOD, TEXT_LOD, level_of_detail, pixel_font

if TYPE_CHECKING:
    from dlstudio.ui.canvas.wire_item import WireItem

NODE_WIDTH = layout.NODE_WIDTH
HEADER = 16.0  # the category band: type and key parameters
NAME_LINE = 18.0
SHAPE_LINE = 16.0
NODE_HEIGHT = HEADER + NAME_LINE + SHAPE_LINE + 2  # as the layout expects
DIMMED_OPACITY = 0.2
PORT_RADIUS = 5.5
PORT_HIT = 9.0
SIDE = 7.0
LOCK_SPACE = 16.0  # room the frozen mark takes in the header
PORT_BOUNDS = QRectF(-PORT_HIT, -PORT_HIT, 2 * PORT_HIT, 2 * PORT_HIT)


@cache
def fonts() -> dict[str, QFont]:
    """The canvas fonts, made once (a QFont needs a running application)."""
    # Name and shape are large for the card, so they stay legible when a whole VGG16 or
    # ResNet-18 is fitted to a laptop-sized canvas (the layout aims at half size or more).
    return {"type": pixel_font(10, bold=True), "name": pixel_font(14, bold=True),
            "params": pixel_font(10), "shape": pixel_font(14), "badge": pixel_font(11, True)}


_POSITION_CHANGE = QGraphicsItem.GraphicsItemChange.ItemPositionChange
_POSITION_HAS_CHANGED = QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged


def header_params(pieces: list[str], font: QFont, width: float) -> str:
    """Key parameters on one line after the type, cut at the end when too long."""
    return QFontMetricsF(font).elidedText("  ".join(pieces), Qt.TextElideMode.ElideRight,
                                          width)


def static_text(text: str, font: QFont) -> QStaticText:
    """`text` laid out once in `font`, as plain text (a name is never read as markup)."""
    laid_out = QStaticText(text)
    laid_out.setTextFormat(Qt.TextFormat.PlainText)
    laid_out.setPerformanceHint(QStaticText.PerformanceHint.AggressiveCaching)
    laid_out.prepare(QTransform(), font)
    return laid_out


def draw_line(painter: QPainter, text: QStaticText, rect: QRectF) -> None:
    """Draw one laid-out line at the left of `rect`, centred vertically."""
    top = rect.top() + (rect.height() - text.size().height()) / 2
    painter.drawStaticText(QPointF(rect.left(), top), text)


class PortItem(QGraphicsItem):
    """An input or output port, coloured by the kind of tensor it carries."""

    def __init__(self, node_item: NodeItem, port: str, is_output: bool) -> None:
        super().__init__(node_item)
        self.node_item, self.port, self.is_output = node_item, port, is_output
        self.kind = "unknown"
        self.highlighted = False
        self._tip: Callable[[], str] | None = None  # builds the tooltip when it is asked for
        self.setZValue(1)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    @property
    def node_id(self) -> str:
        return self.node_item.node_id

    def boundingRect(self) -> QRectF:  # asked for thousands of times a frame: made once
        return PORT_BOUNDS

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(self.boundingRect())
        return path

    def set_kind(self, kind: str, tooltip: Callable[[], str]) -> None:
        """`tooltip` builds the text only when someone hovers or asks: building 20,000 of
        them on every shape report made opening a 10,000-node project ~1 s slower."""
        if kind != self.kind:
            self.kind = kind
            self.update()
        self._tip = tooltip

    def toolTip(self) -> str:  # noqa: N802 - Qt's name; the scene asks it before a tooltip
        if self._tip is not None:
            try:
                text = self._tip()
            except KeyError:  # a node removed since the report: its new report is queued
                return super().toolTip()
            self._tip = None
            if text != super().toolTip():
                self.setToolTip(text)
        return super().toolTip()

    def set_dimmed(self, on: bool) -> None:
        """Faded while a wire is dragged that this port would refuse."""
        self.setOpacity(DIMMED_OPACITY if on else 1.0)

    @property
    def dimmed(self) -> bool:
        return self.opacity() < 1.0

    def set_highlighted(self, on: bool) -> None:
        if on != self.highlighted:
            self.highlighted = on
            self.update()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        if level_of_detail(option, painter) < TEXT_LOD:
            return
        colors = self.scene().colors
        if self.highlighted:
            painter.setPen(QPen(colors.color("accept"), 2.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(QPointF(0, 0), PORT_HIT - 1.5, PORT_HIT - 1.5)
        painter.setPen(QPen(colors.color("node_fill"), 1.5))
        painter.setBrush(colors.port(self.kind))
        painter.drawEllipse(QPointF(0, 0), PORT_RADIUS, PORT_RADIUS)


class NodeItem(QGraphicsItem):
    """One layer drawn as a card; its position is its centre."""

    def __init__(self, node: Node) -> None:
        super().__init__()
        self.node_id = node.id
        flags = QGraphicsItem.GraphicsItemFlag
        self.setFlags(flags.ItemIsSelectable | flags.ItemIsMovable
                      | flags.ItemSendsGeometryChanges)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.wires: list[WireItem] = []
        self.inputs: dict[str, PortItem] = {}
        self.output: PortItem | None = None
        self.type_name, self.category = node.type, node.spec.category
        self.name = node.name
        self.shape_text = "?"
        self.severity: str | None = None
        self.frozen = False  # a layer with weights whose trainable is off: a lock shows
        self.messages: list[str] = []
        self._node = node
        self._params_text = ""
        self._lines: dict[str, QStaticText] | None = None  # laid out when first drawn
        self._rect = QRectF()
        self._bounds = QRectF()
        self.sync(node)
        self.setPos(*node.position)

    # ----- what it shows -------------------------------------------------------------
    def sync(self, node: Node) -> None:
        """Take name, parameters and ports from the node (after a rename or a param edit)."""
        self._node, self.name = node, node.name
        self.frozen = node.spec.has_weights and node.params.get("trainable", True) is False
        type_width = QFontMetricsF(fonts()["type"]).horizontalAdvance(node.type) + 6
        marks = 14 + (LOCK_SPACE if self.frozen else 0)
        self._params_text = header_params(param_items(node), fonts()["params"],
                                          NODE_WIDTH - 2 * SIDE - type_width - marks)
        wanted = node.input_ports
        for port in [p for p in self.inputs if p not in wanted]:
            item = self.inputs.pop(port)
            item.setParentItem(None)
            if item.scene() is not None:
                item.scene().removeItem(item)
        for port in wanted:
            if port not in self.inputs:
                self.inputs[port] = PortItem(self, port, is_output=False)
        self.inputs = {port: self.inputs[port] for port in wanted}
        if node.output_ports and self.output is None:
            self.output = PortItem(self, "out", is_output=True)
        self._relayout()
        self._refresh_tooltip()
        self._lay_out_text()

    def set_report(self, shape_text: str, severity: str | None, messages: list[str]) -> None:
        if (shape_text, severity, messages) == (self.shape_text, self.severity, self.messages):
            return
        self.shape_text, self.severity, self.messages = shape_text, severity, messages
        self._refresh_tooltip()
        self._lay_out_text()
        self.update()

    def _lay_out_text(self) -> None:
        """Forget the laid-out lines: the next paint lays them out again. Only the cards
        drawn with text pay for it (opening 10,000 nodes laid out 40,000 lines twice)."""
        self._lines = None

    def _text_lines(self) -> dict[str, QStaticText]:
        if self._lines is None:
            self._lines = self._laid_out_lines()
        return self._lines

    def _laid_out_lines(self) -> dict[str, QStaticText]:
        f, width = fonts(), NODE_WIDTH - 2 * SIDE
        shape = QFontMetricsF(f["shape"]).elidedText(
            f"→ {self.shape_text}", Qt.TextElideMode.ElideRight, width)
        return {"type": static_text(self.type_name, f["type"]),
                "params": static_text(self._params_text, f["params"]),
                "name": static_text(self.elided_name(f["name"], width), f["name"]),
                "shape": static_text(shape, f["shape"])}

    def _refresh_tooltip(self) -> None:
        tip = node_tooltip(self._node, self.messages)
        if self.frozen:
            tip += "\n🔒 Frozen: its weights stay as they are in training (trainable off)"
        self.setToolTip(tip)

    def _relayout(self) -> None:
        rect = QRectF(-NODE_WIDTH / 2, -NODE_HEIGHT / 2, NODE_WIDTH, NODE_HEIGHT)
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect, self._bounds = rect, rect.adjusted(-2, -2, 2, 2)
        # Data flows down: inputs along the top edge, the output at the bottom.
        count = len(self.inputs)
        for index, item in enumerate(self.inputs.values()):
            item.setPos(rect.left() + rect.width() * (index + 1) / (count + 1), rect.top())
        if self.output is not None:
            self.output.setPos(0, rect.bottom())
        for wire in self.wires:
            wire.adjust()
        self.update()

    def ports(self) -> list[PortItem]:
        return list(self.inputs.values()) + ([self.output] if self.output else [])

    def name_rect(self) -> QRectF:
        """Where the name is drawn, in item coordinates (the in-place editor goes here)."""
        top = self._rect.top() + HEADER + 1
        return QRectF(self._rect.left() + SIDE, top, NODE_WIDTH - 2 * SIDE, NAME_LINE)

    def shape_rect(self) -> QRectF:
        """Where the output shape is drawn, in item coordinates."""
        return self.name_rect().translated(0, NAME_LINE).adjusted(0, 0, 0, SHAPE_LINE - NAME_LINE)

    # ----- QGraphicsItem -------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self._rect, 6, 6)
        return path

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        # Called 14 times per card as a scene is built: the two changes it handles are
        # told apart before anything else is looked up.
        if change is _POSITION_CHANGE:
            scene = self.scene()
            if scene is not None:
                return scene.snapped(self, value)
        elif change is _POSITION_HAS_CHANGED:
            for wire in self.wires:
                wire.adjust()
        return super().itemChange(change, value)

    def mouseDoubleClickEvent(self, event: Any) -> None:
        self.scene().rename_requested.emit(self.node_id)
        event.accept()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        colors = self.scene().colors
        lod = level_of_detail(option, painter)
        rect = self._rect
        if self.isSelected():
            border = QPen(colors.color("node_selected"), 2.5)
        elif self.severity == "error":
            border = QPen(colors.color("error"), 1.5)
        else:
            border = QPen(colors.color("node_border"), 1.0)
        painter.setPen(border)
        if lod < DETAIL_LOD:  # an overview: a block in its category's colour
            painter.setBrush(colors.category(self.category))
            painter.drawRoundedRect(rect, 6, 6)
            return
        painter.setBrush(colors.color("node_fill"))
        painter.drawRoundedRect(rect, 6, 6)
        header = QRectF(rect.left(), rect.top(), rect.width(), HEADER)
        painter.save()
        painter.setClipRect(header)
        painter.setBrush(colors.category(self.category))
        painter.drawRoundedRect(rect, 6, 6)
        painter.restore()
        if lod >= TEXT_LOD:
            self._paint_text(painter, colors)
        else:
            self._paint_big_name(painter, colors, lod)
        if self.severity is not None:
            self._paint_badge(painter, colors)
        if self.frozen:
            self._paint_lock(painter, colors)

    def _paint_text(self, painter: QPainter, colors: Any) -> None:
        rect, f, lines = self._rect, fonts(), self._text_lines()
        header = QRectF(rect.left() + SIDE, rect.top(), rect.width() - 2 * SIDE - 14, HEADER)
        painter.setPen(colors.color("header_text"))
        painter.setFont(f["type"])
        draw_line(painter, lines["type"], header)
        if self._params_text:
            painter.setFont(f["params"])
            type_width = lines["type"].size().width() + 6
            draw_line(painter, lines["params"], header.adjusted(type_width, 0, 0, 0))
        painter.setPen(colors.color("text"))
        painter.setFont(f["name"])
        draw_line(painter, lines["name"], self.name_rect())
        kind = self.output.kind if self.output is not None else "unknown"
        painter.setPen(colors.port(kind) if kind != "unknown" else colors.color("text_dim"))
        painter.setFont(f["shape"])
        draw_line(painter, lines["shape"], self.shape_rect())

    def elided_name(self, font: QFont, width: float) -> str:
        """The name as drawn: cut at the end, since its start says which block it is in."""
        return QFontMetricsF(font).elidedText(self.name, Qt.TextElideMode.ElideRight, width)

    def _paint_big_name(self, painter: QPainter, colors: Any, lod: float) -> None:
        """Zoomed out, only the name, drawn large enough to read (~10 screen pixels)."""
        font = QFont(fonts()["name"])
        font.setPixelSize(max(1, round(10 / lod)))
        body = self._rect.adjusted(4, HEADER, -4, 0)
        name = self.elided_name(font, body.width())
        painter.setPen(colors.color("text"))
        painter.setFont(font)
        painter.drawText(body, Qt.AlignmentFlag.AlignCenter, name)

    def _paint_badge(self, painter: QPainter, colors: Any) -> None:
        centre = QPointF(self._rect.right() - 11, self._rect.top() + HEADER / 2)
        painter.setPen(QPen(QColor("#ffffff"), 1.5))
        painter.setBrush(QBrush(colors.color("error" if self.severity == "error"
                                             else "warning")))
        painter.drawEllipse(centre, 8, 8)
        painter.setFont(fonts()["badge"])
        painter.drawText(QRectF(centre.x() - 8, centre.y() - 8, 16, 16),
                         Qt.AlignmentFlag.AlignCenter, "!")

    def _paint_lock(self, painter: QPainter, colors: Any) -> None:
        """A padlock in the header (left of a problem badge): this layer is frozen."""
        right = self._rect.right() - (30 if self.severity is not None else 11)
        centre = QPointF(right, self._rect.top() + HEADER / 2)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        ink = colors.color("header_text")
        painter.setPen(QPen(ink, 1.6))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawArc(QRectF(centre.x() - 3.2, centre.y() - 6.5, 6.4, 8.0), 0, 180 * 16)
        painter.drawLine(QPointF(centre.x() - 3.2, centre.y() - 2.5),
                         QPointF(centre.x() - 3.2, centre.y() - 0.5))
        painter.drawLine(QPointF(centre.x() + 3.2, centre.y() - 2.5),
                         QPointF(centre.x() + 3.2, centre.y() - 0.5))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(ink)
        painter.drawRoundedRect(QRectF(centre.x() - 5, centre.y() - 1, 10, 7.5), 1.5, 1.5)
        painter.restore()
