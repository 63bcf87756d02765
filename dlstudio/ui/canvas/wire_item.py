"""A wire on the canvas: a curve from an output port to an input port, labelled with
the shape of the tensor that flows along it (32×13×13).

A wire that runs far across turns at rounded corners instead of curving: a long, shallow
antialiased curve costs Qt's raster engine about a millisecond per frame, straight runs
almost nothing.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from dlstudio.graph.layout import BAND_GAP, LANE_SPACING, NODE_HEIGHT, RANK_SPACING, SKIP_ROOM
from dlstudio.ui.canvas.lod import TEXT_LOD, level_of_detail, pixel_font
from dlstudio.ui.canvas.node_item import NODE_WIDTH, PortItem

SKIP_LANE = NODE_WIDTH / 2 + SKIP_ROOM * 0.6  # right of the cards a skip wire passes
RANK_GAP = RANK_SPACING - NODE_HEIGHT  # between a card and the one below: wires turn here
CLIMB_DROP = 26.0  # how far below its source a climbing wire turns (room for its label)
FAR = 1.5 * LANE_SPACING  # across more than this, a wire turns at corners


@cache
def label_font() -> QFont:
    return pixel_font(11)


def wire_path(start: QPointF, end: QPointF) -> QPainterPath:
    """A curve from an output (bottom of a card) down to an input (top of a card).

    A wire that skips ranks runs down a lane beside the cards it passes, not through
    them; one that climbs back up (to the next band of a wrapped layout) goes down, across
    into the gap left of its target's band, up, and in from above. One that runs far across
    (a fork into many branches, a merge of many) turns in the gap below its source.
    """
    path = QPainterPath(start)
    dy = end.y() - start.y()
    if dy < 0:
        lane = end.x() - NODE_WIDTH / 2 - BAND_GAP / 2
        below, above = start.y() + CLIMB_DROP, end.y() - 20
        _corner_line(path, [start, QPointF(start.x(), below), QPointF(lane, below),
                            QPointF(lane, above), QPointF(end.x(), above), end])
        return path
    if dy > RANK_SPACING:  # skips a rank: x + block(x) has it straight under a card
        same_column = abs(end.x() - start.x()) < NODE_WIDTH / 2  # e.g. to Add's 1st input
        lane = start.x() + SKIP_LANE if same_column else max(start.x(), end.x())
        if max(abs(lane - start.x()), abs(end.x() - lane)) > FAR:
            below, above = start.y() + RANK_GAP / 2, end.y() - RANK_GAP / 2
            _corner_line(path, [start, QPointF(start.x(), below), QPointF(lane, below),
                                QPointF(lane, above), QPointF(end.x(), above), end])
            return path
        turn = RANK_SPACING / 2
        if abs(lane - start.x()) > 1:
            path.cubicTo(start + QPointF(0, turn), QPointF(lane, start.y()),
                         QPointF(lane, start.y() + turn))
        path.lineTo(lane, end.y() - turn)
        path.cubicTo(QPointF(lane, end.y()), end - QPointF(0, turn), end)
        return path
    if abs(end.x() - start.x()) > FAR:
        turn = start.y() + min(dy, RANK_GAP) / 2
        _corner_line(path, [start, QPointF(start.x(), turn), QPointF(end.x(), turn), end])
        return path
    bend = max(20.0, dy * 0.5)
    path.cubicTo(start + QPointF(0, bend), end - QPointF(0, bend), end)
    return path


def label_centre(start: QPointF, end: QPointF) -> QPointF:
    """Where a wire's shape label goes: just below its source's output, in the gap
    between ranks. Not mid-wire: the gap between two bands is narrower than a label, and a
    skip wire's lane runs close beside the cards. The wires leaving one output carry the
    same tensor, so their labels coincide and read as one."""
    drop = CLIMB_DROP if end.y() < start.y() else RANK_GAP
    return QPointF(start.x(), start.y() + drop / 2)


def _corner_line(path: QPainterPath, points: list[QPointF]) -> None:
    """Straight segments through `points` with small rounded corners."""
    radius = 8.0
    for index in range(1, len(points) - 1):
        before, corner, after = points[index - 1], points[index], points[index + 1]
        path.lineTo(_towards(corner, before, radius))
        path.quadTo(corner, _towards(corner, after, radius))
    path.lineTo(points[-1])


def _towards(origin: QPointF, target: QPointF, distance: float) -> QPointF:
    delta = target - origin
    length = max(1e-6, (delta.x() ** 2 + delta.y() ** 2) ** 0.5)
    step = min(distance, length / 2) / length
    return origin + delta * step


class WireItem(QGraphicsItem):
    """One edge of the graph; it follows its ports whenever a node moves."""

    def __init__(self, edge_id: str, source: PortItem, target: PortItem) -> None:
        super().__init__()
        self.edge_id, self.source, self.target = edge_id, source, target
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(-1)
        self.label = ""
        self._path = QPainterPath()
        self._label_rect = QRectF()
        self._bounds = QRectF()
        self._hit: QPainterPath | None = None
        self.adjust()

    def set_label(self, text: str) -> None:
        """A new label moves no port: the curve stays (10,000 of them were redrawn on open)."""
        if text != self.label:
            self.label = text
            self.prepareGeometryChange()
            self._hit = None
            self._place_label()

    def adjust(self) -> None:
        """Recompute the curve from the ports' current scene positions."""
        self.prepareGeometryChange()
        start, end = self.source.scenePos(), self.target.scenePos()
        self._path = wire_path(start, end)
        self._hit = None
        self._ends = start, end
        self._place_label()

    def _place_label(self) -> None:
        start, end = self._ends
        if self.label:
            middle = label_centre(start, end)
            width = QFontMetricsF(label_font()).horizontalAdvance(self.label) + 10
            self._label_rect = QRectF(middle.x() - width / 2, middle.y() - 8, width, 16)
        else:
            self._label_rect = QRectF()
        bounds = self._path.boundingRect()
        if self.label:
            bounds = bounds.united(self._label_rect)
        self._bounds = bounds.adjusted(-4, -4, 4, 4)
        scene = self.scene()
        if scene is not None:
            scene.overview.invalidate()

    @property
    def path(self) -> QPainterPath:
        return self._path

    @property
    def label_rect(self) -> QRectF:
        """Where the shape label is drawn (scene coordinates; empty without a label)."""
        return self._label_rect

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        if self._hit is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(10)
            self._hit = stroker.createStroke(self._path)
            if self.label:
                self._hit.addRect(self._label_rect)
        return self._hit

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        colors = self.scene().colors
        lod = level_of_detail(option, painter)
        selected = self.isSelected()
        pen = QPen(colors.color("wire_selected" if selected else "wire"), 2.5 if selected else 1.6)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        if lod >= TEXT_LOD and self.label:
            painter.setPen(QPen(pen.color(), 1.0))
            painter.setBrush(colors.color("wire_label_fill"))
            painter.drawRoundedRect(self._label_rect, 4, 4)
            painter.setPen(colors.color("wire_label_text"))
            painter.setFont(label_font())
            painter.drawText(self._label_rect, Qt.AlignmentFlag.AlignCenter, self.label)


class WireOverview(QGraphicsItem):
    """Every wire as one path, drawn instead of the wire items when zoomed out.

    Hundreds of wire items cost one Python paint call each per frame; one combined path
    costs one, which keeps a zoomed-out frame of a big graph fast.
    """

    def __init__(self, wires: dict[str, WireItem], extent: QRectF) -> None:
        super().__init__()
        self._wires, self._extent = wires, extent
        self._path: QPainterPath | None = None
        self.setZValue(-2)
        self.setVisible(False)

    def invalidate(self) -> None:
        self._path = None
        if self.isVisible():
            self.update()

    def boundingRect(self) -> QRectF:
        return self._extent

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        if self._path is None:
            self._path = QPainterPath()
            for wire in self._wires.values():
                self._path.addPath(wire.path)
        colors = self.scene().colors
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(colors.color("wire"), 1.6))
        painter.drawPath(self._path)
        painter.setPen(QPen(colors.color("wire_selected"), 2.5))
        for wire in self._wires.values():
            if wire.isSelected():
                painter.drawPath(wire.path)
