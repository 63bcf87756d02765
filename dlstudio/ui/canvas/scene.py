"""The canvas scene: a live view of one Document's graph, and the gestures that edit it.

It subscribes to the graph's events and keeps a node id -> item and edge id -> item map;
items never change the model. A gesture (dragging a wire, finishing a move) becomes one
GraphEditor call, whose undo command changes the model, whose events update the items.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSceneHelpEvent,
    QGraphicsSceneMouseEvent,
)

from dlstudio.graph import Edge, Node, ShapeReport, format_shape
from dlstudio.ui.canvas import describe
from dlstudio.ui.canvas.colors import CanvasColors, canvas_colors
from dlstudio.ui.canvas.grid import GRID
from dlstudio.ui.canvas.lod import TEXT_LOD
from dlstudio.ui.canvas.node_item import NodeItem, PortItem
from dlstudio.ui.canvas.wire_item import WireItem, WireOverview, wire_path
from dlstudio.ui.document import Document

EXTENT = 100_000.0  # the scene is this far each way, so panning never hits a wall


class CanvasScene(QGraphicsScene):
    """Graph items for one document; emits what the view should tell the user."""

    connection_refused = Signal(str, QPointF)  # reason, where the wire was dropped
    rename_requested = Signal(str)  # node id

    def __init__(self, document: Document, colors: CanvasColors | None = None) -> None:
        super().__init__()
        self.setSceneRect(-EXTENT, -EXTENT, 2 * EXTENT, 2 * EXTENT)
        self.document = document
        self.colors = colors or canvas_colors(False)
        self.snap_to_grid = True
        self.ports_shown = True
        self.nodes: dict[str, NodeItem] = {}
        self.wires: dict[str, WireItem] = {}
        self.overview = WireOverview(self.wires, self.sceneRect())
        self.addItem(self.overview)
        self._wire_drag: tuple[PortItem, QGraphicsPathItem, set[tuple[str, str]]] | None = None
        self._press_positions: dict[str, tuple[float, float]] | None = None
        self._syncing_selection = False
        self._shapes_shown: dict[str, Any] | None = None  # ports and wires show these
        graph = document.graph
        for node in graph.nodes.values():
            self._on_graph_node_added(node)
        for edge in graph.edges.values():
            self._on_graph_edge_added(edge)
        self._on_document_report_updated(document.report)
        self._subscriptions = [
            (graph.events.node_added, self._on_graph_node_added),
            (graph.events.node_removed, self._on_graph_node_removed),
            (graph.events.edge_added, self._on_graph_edge_added),
            (graph.events.edge_removed, self._on_graph_edge_removed),
            (graph.events.param_changed, self._on_graph_param_changed),
            (graph.events.node_renamed, self._on_graph_node_renamed),
            (graph.events.node_moved, self._on_graph_node_moved),
        ]
        for event, handler in self._subscriptions:
            event.connect(handler)
        document.report_updated.connect(self._on_document_report_updated)
        document.selection_changed.connect(self._on_document_selection_changed)
        self.selectionChanged.connect(self._on_scene_selection_changed)

    def detach(self) -> None:
        """Stop following the document (before this scene is dropped)."""
        for event, handler in self._subscriptions:
            event.disconnect(handler)
        self._subscriptions = []
        self.document.report_updated.disconnect(self._on_document_report_updated)
        self.document.selection_changed.disconnect(self._on_document_selection_changed)
        self.selectionChanged.disconnect(self._on_scene_selection_changed)

    # ----- appearance ----------------------------------------------------------------
    def set_colors(self, colors: CanvasColors) -> None:
        self.colors = colors
        self.setBackgroundBrush(colors.color("background"))
        for item in self.items():
            item.update()

    def set_zoom(self, zoom: float) -> None:
        """Follow the view's zoom: zoomed out, ports are hidden (too small to see or hit)
        and the wires are drawn as one overview path."""
        shown = zoom >= TEXT_LOD
        if shown != self.ports_shown:
            self.ports_shown = shown
            for item in self.nodes.values():
                for port in item.ports():
                    port.setVisible(shown)
            for wire in self.wires.values():
                wire.setVisible(shown)
            self.overview.setVisible(not shown)
            self.overview.invalidate()

    def snapped(self, item: QGraphicsItem, position: QPointF) -> QPointF:
        """Where a node being dragged by the user lands: on the grid when snapping."""
        if not (self.snap_to_grid and self._press_positions is not None and item.isSelected()):
            return position
        return QPointF(round(position.x() / GRID) * GRID, round(position.y() / GRID) * GRID)

    # ----- selection -----------------------------------------------------------------
    def selected_node_ids(self) -> list[str]:
        return [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]

    def selected_edge_ids(self) -> list[str]:
        return [i.edge_id for i in self.selectedItems() if isinstance(i, WireItem)]

    def select_nodes(self, node_ids: list[str]) -> None:
        self._syncing_selection = True
        self.clearSelection()
        for node_id in node_ids:
            if node_id in self.nodes:
                self.nodes[node_id].setSelected(True)
        self._syncing_selection = False
        self._on_scene_selection_changed()

    def _on_scene_selection_changed(self) -> None:
        if not self._syncing_selection:
            self.document.set_selection(self.selected_node_ids())

    def _on_document_selection_changed(self, ids: list[str]) -> None:
        if sorted(ids) != sorted(self.selected_node_ids()):
            self.select_nodes(ids)

    # ----- model events -> items -----------------------------------------------------
    def _on_graph_node_added(self, node: Node) -> None:
        item = NodeItem(node)
        for port in item.ports():
            port.setVisible(self.ports_shown)
        self.nodes[node.id] = item
        self.addItem(item)

    def _on_graph_node_removed(self, node: Node) -> None:
        item = self.nodes.pop(node.id)
        self.removeItem(item)

    def _on_graph_edge_added(self, edge: Edge) -> None:
        source, target = self.nodes[edge.src], self.nodes[edge.dst]
        wire = WireItem(edge.id, source.output, target.inputs[edge.dst_port])
        source.wires.append(wire)
        target.wires.append(wire)
        self.wires[edge.id] = wire
        wire.setVisible(self.ports_shown)
        self.addItem(wire)
        self.overview.invalidate()

    def _on_graph_edge_removed(self, edge: Edge) -> None:
        wire = self.wires.pop(edge.id)
        for node_id in (edge.src, edge.dst):
            if node_id in self.nodes:
                self.nodes[node_id].wires.remove(wire)
        self.removeItem(wire)
        self.overview.invalidate()

    def _on_graph_param_changed(self, node: Node, key: str, old: Any, new: Any) -> None:
        item = self.nodes[node.id]
        item.sync(node)  # may add input ports (an Add node given more inputs)
        for port in item.ports():
            port.setVisible(self.ports_shown)

    def _on_graph_node_renamed(self, node: Node, old: str, new: str) -> None:
        self.nodes[node.id].sync(node)

    def _on_graph_node_moved(self, node: Node, old: Any, new: Any) -> None:
        item = self.nodes[node.id]
        if (item.pos().x(), item.pos().y()) != new:
            item.setPos(*new)

    def _on_document_report_updated(self, report: ShapeReport) -> None:
        graph = self.document.graph
        by_node: dict[str, list[Any]] = {}
        for problem in report.problems:
            if problem.node_id is not None:
                by_node.setdefault(problem.node_id, []).append(problem)
        for node_id, item in self.nodes.items():
            problems = by_node.get(node_id, [])
            severity = None
            if problems:
                severity = "error" if any(p.severity == "error" for p in problems) else "warning"
            shape = report.shapes.get(node_id)
            item.set_report(format_shape(shape) if shape is not None else "?", severity,
                            [p.message for p in problems])
        if report.shapes is self._shapes_shown:
            return  # the same graph checked against other data: ports and wires stay
        self._shapes_shown = report.shapes
        incoming = {(e.dst, e.dst_port): e for e in graph.edges.values()}
        for node_id, item in self.nodes.items():
            if item.output is not None:
                item.output.set_kind(describe.output_kind(graph, report, node_id), partial(
                    describe.output_tooltip, graph, report, node_id))
            for port, port_item in item.inputs.items():
                edge = incoming.get((node_id, port))
                port_item.set_kind(describe.input_kind(graph, report, edge), partial(
                    describe.input_tooltip, graph, report, port, edge))
        for edge_id, wire in self.wires.items():
            shape = report.edge_shape(graph.edges[edge_id])
            wire.set_label(format_shape(shape) if shape is not None else "")

    # ----- gestures ------------------------------------------------------------------
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        port = self._port_at(event.scenePos())
        if event.button() == Qt.MouseButton.LeftButton and port is not None:
            if port.is_output:
                self._start_wire(port)
            event.accept()
            return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._press_positions = {
                i.node_id: (i.pos().x(), i.pos().y())
                for i in self.selectedItems() if isinstance(i, NodeItem)}

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._wire_drag is None:
            super().mouseMoveEvent(event)
            return
        source, preview, _accepted = self._wire_drag
        preview.setPath(wire_path(source.scenePos(), event.scenePos()))
        event.accept()

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._wire_drag is not None:
            self._finish_wire(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        pressed, self._press_positions = self._press_positions, None
        if pressed:
            moves = {}
            for node_id, old in pressed.items():
                item = self.nodes.get(node_id)
                if item is not None and (item.pos().x(), item.pos().y()) != old:
                    moves[node_id] = (old, (item.pos().x(), item.pos().y()))
            if moves:
                self.document.editor.move_nodes(moves)

    def helpEvent(self, event: QGraphicsSceneHelpEvent) -> None:  # noqa: N802 - Qt's name
        port = self._port_at(event.scenePos())
        if port is not None:
            port.toolTip()  # a port builds its tooltip text only now, when it is shown
        super().helpEvent(event)

    def _port_at(self, position: QPointF) -> PortItem | None:
        for item in self.items(position):
            if isinstance(item, PortItem) and item.isVisible():
                return item
        return None

    def _start_wire(self, source: PortItem) -> None:
        accepted = describe.accepting_ports(self.document.graph, self.document.current_report(),
                                            source.node_id)
        for item in self.nodes.values():  # show, before the drop, which ports refuse it
            for port_item in item.ports():
                welcome = port_item is source or (
                    not port_item.is_output and (item.node_id, port_item.port) in accepted)
                port_item.set_highlighted(welcome and port_item is not source)
                port_item.set_dimmed(not welcome)
        preview = QGraphicsPathItem()
        pen = QPen(self.colors.color("wire_selected"), 2.0, Qt.PenStyle.DashLine)
        preview.setPen(pen)
        preview.setZValue(10)
        preview.setPath(wire_path(source.scenePos(), source.scenePos()))
        self.addItem(preview)
        self._wire_drag = (source, preview, accepted)

    def _finish_wire(self, position: QPointF) -> None:
        source, preview, accepted = self._wire_drag
        self._wire_drag = None
        self.removeItem(preview)
        for item in self.nodes.values():
            for port_item in item.ports():
                port_item.set_highlighted(False)
                port_item.set_dimmed(False)
        target = self._target_port(position, accepted)
        if target is None or target is source:
            return
        if target.is_output:
            self.connection_refused.emit(
                "a wire goes from an output (right side) to an input (left side)", position)
            return
        reason = self.document.editor.connect(source.node_id, target.node_id, "out",
                                              target.port)
        if reason is not None:
            self.connection_refused.emit(reason, position)

    def _target_port(self, position: QPointF, accepted: set[tuple[str, str]]
                     ) -> PortItem | None:
        """The input under the cursor; dropped on a node's body, its first free input."""
        port = self._port_at(position)
        if port is not None:
            return port
        for item in self.items(position):
            if isinstance(item, NodeItem) and item.inputs:
                free = [p for p in item.inputs.values() if (item.node_id, p.port) in accepted]
                return free[0] if free else next(iter(item.inputs.values()))
        return None
