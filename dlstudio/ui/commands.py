"""The one editing API of the UI: each GraphEditor method is exactly one undo step.

Commands are tiny: `redo` and `undo` call Graph edit methods only, and the graph's events
update the canvas and the panels. Several model edits that form one gesture (deleting
nodes with their wires, pasting, laying out) are recorded as one macro.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand, QUndoStack

from dlstudio.graph import Graph, GraphError, ShapeReport, infer_shapes
from dlstudio.graph.events import Event
from dlstudio.graph.inference import connection_shape_problem
from dlstudio.graph.layout import RANK_SPACING, layered_layout
from dlstudio.graph.names import check_name

Position = tuple[float, float]


class AddNodeCommand(QUndoCommand):
    """Adds one node; the id and name chosen on the first redo are reused afterwards."""

    def __init__(self, graph: Graph, type_name: str, position: Position,
                 params: dict[str, Any] | None = None, name: str | None = None,
                 node_id: str | None = None) -> None:
        super().__init__()
        self.graph, self.type_name, self.position = graph, type_name, position
        self.params, self.name, self.node_id = dict(params or {}), name, node_id

    def redo(self) -> None:
        node = self.graph.add_node(self.type_name, name=self.name, params=self.params,
                                   position=self.position, node_id=self.node_id)
        self.node_id, self.name = node.id, node.name
        self.setText(f"Add {self.type_name} {node.name}")

    def undo(self) -> None:
        self.graph.remove_node(self.node_id)


class RemoveNodeCommand(QUndoCommand):
    """Removes a node whose wires are already gone; undo brings it back with its id."""

    def __init__(self, graph: Graph, node_id: str) -> None:
        node = graph.node(node_id)
        super().__init__(f"Remove {node.type} {node.name}")
        self.graph, self.saved = graph, node.to_dict()

    def redo(self) -> None:
        self.graph.remove_node(self.saved["id"])

    def undo(self) -> None:
        s = self.saved
        self.graph.add_node(s["type"], name=s["name"], params=s["params"],
                            position=tuple(s["position"]), node_id=s["id"])


class ConnectCommand(QUndoCommand):
    def __init__(self, graph: Graph, src: str, dst: str, src_port: str, dst_port: str,
                 edge_id: str | None = None) -> None:
        super().__init__(f"Connect {graph.node(src).name} → {graph.node(dst).name}")
        self.graph, self.args, self.edge_id = graph, (src, dst, src_port, dst_port), edge_id

    def redo(self) -> None:
        self.edge_id = self.graph.connect(*self.args, edge_id=self.edge_id).id

    def undo(self) -> None:
        self.graph.disconnect(self.edge_id)


class DisconnectCommand(QUndoCommand):
    def __init__(self, graph: Graph, edge_id: str) -> None:
        edge = graph.edges[edge_id]
        super().__init__(f"Disconnect {graph.node(edge.src).name} → {graph.node(edge.dst).name}")
        self.graph, self.edge = graph, edge

    def redo(self) -> None:
        self.graph.disconnect(self.edge.id)

    def undo(self) -> None:
        e = self.edge
        self.graph.connect(e.src, e.dst, e.src_port, e.dst_port, edge_id=e.id)


class SetParamCommand(QUndoCommand):
    def __init__(self, graph: Graph, node_id: str, key: str, old: Any, new: Any) -> None:
        shown = ", ".join(map(str, new)) if isinstance(new, tuple) else new
        super().__init__(f"Set {graph.node(node_id).name}.{key} = {shown}")
        self.graph, self.node_id, self.key, self.old, self.new = graph, node_id, key, old, new

    def redo(self) -> None:
        self.graph.set_param(self.node_id, self.key, self.new)

    def undo(self) -> None:
        self.graph.set_param(self.node_id, self.key, self.old)


class RenameCommand(QUndoCommand):
    def __init__(self, graph: Graph, node_id: str, old: str, new: str) -> None:
        super().__init__(f"Rename {old} → {new}")
        self.graph, self.node_id, self.old, self.new = graph, node_id, old, new

    def redo(self) -> None:
        self.graph.rename_node(self.node_id, self.new)

    def undo(self) -> None:
        self.graph.rename_node(self.node_id, self.old)


class MoveCommand(QUndoCommand):
    """Moves nodes between two sets of positions: a finished drag, or a layout."""

    def __init__(self, graph: Graph, moves: dict[str, tuple[Position, Position]],
                 text: str) -> None:
        super().__init__(text)
        self.graph, self.moves = graph, dict(moves)

    def redo(self) -> None:
        for node_id, (_old, new) in self.moves.items():
            self.graph.move_node(node_id, new)

    def undo(self) -> None:
        for node_id, (old, _new) in self.moves.items():
            self.graph.move_node(node_id, old)


class GraphEditor:
    """Turns user gestures into undoable model edits, refusing what the graph refuses."""

    def __init__(self, graph: Graph, undo_stack: QUndoStack,
                 report: Callable[[], ShapeReport] | None = None) -> None:
        self.graph, self.undo_stack = graph, undo_stack
        self._report = report or (lambda: infer_shapes(graph))
        # After an auto layout, whoever asked for it: the canvas fits the new arrangement.
        self.laid_out = Event()

    # ----- nodes ---------------------------------------------------------------------
    def add_node(self, type_name: str, position: Position,
                 params: dict[str, Any] | None = None) -> str:
        """Add a node; raises GraphError (and records nothing) for a bad type or value."""
        Graph().add_node(type_name, params=params, position=position)  # validates only
        command = AddNodeCommand(self.graph, type_name, position, params)
        self.undo_stack.push(command)
        return command.node_id

    def delete_nodes(self, node_ids: list[str], edge_ids: list[str] | tuple[str, ...] = ()
                     ) -> None:
        """Delete nodes with all their wires (and any extra wires) as one step."""
        nodes = [i for i in dict.fromkeys(node_ids) if i in self.graph.nodes]
        wires = [e.id for e in self.graph.edges.values() if e.src in nodes or e.dst in nodes]
        wires += [e for e in edge_ids if e in self.graph.edges and e not in wires]
        if not nodes and not wires:
            return
        if nodes:
            names = self.graph.node(nodes[0]).name if len(nodes) == 1 else f"{len(nodes)} nodes"
        else:
            names = "wire" if len(wires) == 1 else f"{len(wires)} wires"
        self.undo_stack.beginMacro(f"Delete {names}")
        for edge_id in wires:
            self.undo_stack.push(DisconnectCommand(self.graph, edge_id))
        for node_id in nodes:
            self.undo_stack.push(RemoveNodeCommand(self.graph, node_id))
        self.undo_stack.endMacro()

    def set_param(self, node_id: str, key: str, value: Any) -> None:
        """Change one parameter; an invalid value raises GraphError and records nothing."""
        node = self.graph.node(node_id)
        old = node.params.get(key)
        self.graph.set_param(node_id, key, value)  # validates; applied here, then undone
        new = node.params[key]
        if new == old:
            return
        self.graph.set_param(node_id, key, old)
        self.undo_stack.push(SetParamCommand(self.graph, node_id, key, old, new))

    def set_trainable(self, changes: list[tuple[str, bool]], text: str) -> None:
        """Freeze or unfreeze several layers (dlstudio.graph.freeze) as one step."""
        changes = [(i, on) for i, on in changes if i in self.graph.nodes]
        if not changes:
            return
        self.undo_stack.beginMacro(text)
        for node_id, trainable in changes:
            old = self.graph.node(node_id).params.get("trainable", True)
            self.undo_stack.push(SetParamCommand(self.graph, node_id, "trainable", old,
                                                 trainable))
        self.undo_stack.endMacro()

    def rename(self, node_id: str, name: str) -> None:
        """Rename a node; a bad or taken name raises GraphError and records nothing."""
        node = self.graph.node(node_id)
        old = node.name
        if name == old:
            return
        self.graph.rename_node(node_id, name)
        self.graph.rename_node(node_id, old)
        self.undo_stack.push(RenameCommand(self.graph, node_id, old, name))

    def move_nodes(self, moves: dict[str, tuple[Position, Position]]) -> None:
        """Record a finished drag: id -> (old, new) position, as one step."""
        moves = {i: (tuple(o), tuple(n)) for i, (o, n) in moves.items()
                 if i in self.graph.nodes and tuple(o) != tuple(n)}
        if not moves:
            return
        first = self.graph.node(next(iter(moves))).name
        text = f"Move {first}" if len(moves) == 1 else f"Move {len(moves)} nodes"
        self.undo_stack.push(MoveCommand(self.graph, moves, text))

    def auto_layout(self) -> None:
        """Arrange every node top to bottom in data-flow order, as one step."""
        positions = layered_layout(self.graph)
        moves = {i: (self.graph.nodes[i].position, p) for i, p in positions.items()
                 if self.graph.nodes[i].position != p}
        if moves:
            self.undo_stack.push(MoveCommand(self.graph, moves, "Auto layout"))
        self.laid_out.emit()

    def insert_after(self, node_id: str, type_name: str, params: dict[str, Any] | None = None,
                     text: str | None = None) -> str:
        """Put a new node on every wire out of `node_id`, as one step: it goes just below
        the node and the nodes downstream of it (and lower) move down one rank to make
        room. Returns the new node's id; a bad type or value raises GraphError first."""
        node = self.graph.node(node_id)
        Graph().add_node(type_name, params=params)  # validates only
        if "out" not in node.output_ports:
            raise GraphError(f"{node.name} has no output to insert after")
        wires = [e for e in self.graph.edges_out_of(node_id) if e.src_port == "out"]
        x, y = node.position
        moves = {i: (p, (p[0], p[1] + RANK_SPACING)) for i in self._downstream(node_id)
                 if (p := self.graph.nodes[i].position)[1] > y}
        self.undo_stack.beginMacro(text or f"Insert {type_name} after {node.name}")
        try:
            if moves:
                self.undo_stack.push(MoveCommand(self.graph, moves, "Make room"))
            add = AddNodeCommand(self.graph, type_name, (x, y + RANK_SPACING), params)
            self.undo_stack.push(add)
            for edge in wires:
                self.undo_stack.push(DisconnectCommand(self.graph, edge.id))
            self.undo_stack.push(ConnectCommand(self.graph, node_id, add.node_id, "out", "in"))
            for edge in wires:
                self.undo_stack.push(ConnectCommand(self.graph, add.node_id, edge.dst,
                                                    "out", edge.dst_port))
        finally:
            self.undo_stack.endMacro()
        return add.node_id

    def replace_node(self, node_id: str, type_name: str, params: dict[str, Any] | None = None,
                     text: str | None = None) -> None:
        """Swap a node for one of another type (ReLU -> LeakyReLU) with the same id, name,
        position and wires, as one step; the types must have the same ports."""
        node = self.graph.node(node_id)
        probe = Graph().add_node(type_name, params=params)  # validates only
        if (probe.input_ports, probe.output_ports) != (node.input_ports, node.output_ports):
            raise GraphError(f"a {type_name} does not have the ports of {node.name}")
        wires = self.graph.edges_into(node_id) + self.graph.edges_out_of(node_id)
        self.undo_stack.beginMacro(text or f"Make {node.name} a {type_name}")
        try:
            for edge in wires:
                self.undo_stack.push(DisconnectCommand(self.graph, edge.id))
            self.undo_stack.push(RemoveNodeCommand(self.graph, node_id))
            self.undo_stack.push(AddNodeCommand(self.graph, type_name, node.position, params,
                                                name=node.name, node_id=node.id))
            for edge in wires:
                self.undo_stack.push(ConnectCommand(self.graph, edge.src, edge.dst,
                                                    edge.src_port, edge.dst_port, edge.id))
        finally:
            self.undo_stack.endMacro()

    def _downstream(self, node_id: str) -> set[str]:
        """Every node reachable from `node_id` along wires (not itself)."""
        seen: set[str] = set()
        todo = [e.dst for e in self.graph.edges_out_of(node_id)]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(e.dst for e in self.graph.edges_out_of(current))
        return seen

    # ----- wires ---------------------------------------------------------------------
    def connection_problem(self, src: str, dst: str, src_port: str = "out",
                           dst_port: str = "in") -> str | None:
        """Why this wire would be refused (structure, then shapes), or None."""
        problem = self.graph.connection_problem(src, dst, src_port, dst_port)
        if problem is None:
            problem = connection_shape_problem(self.graph, self._report(), src, dst, dst_port)
        return problem

    def connect(self, src: str, dst: str, src_port: str = "out",
                dst_port: str = "in") -> str | None:
        """Wire two nodes; returns None when made, else the reason it was refused."""
        problem = self.connection_problem(src, dst, src_port, dst_port)
        if problem is None:
            self.undo_stack.push(ConnectCommand(self.graph, src, dst, src_port, dst_port))
        return problem

    def disconnect(self, edge_id: str) -> None:
        if edge_id in self.graph.edges:
            self.undo_stack.push(DisconnectCommand(self.graph, edge_id))

    # ----- clipboard -----------------------------------------------------------------
    def paste(self, data: dict[str, Any], offset: Position) -> list[str]:
        """Add copied nodes shifted by `offset`, with fresh ids and names, and the wires
        among them, as one step. Returns the new node ids in the order given."""
        items = data.get("nodes", [])
        if not items:
            return []
        _check_pasted(data)
        self.undo_stack.beginMacro(f"Paste {len(items)} node{'s' if len(items) > 1 else ''}")
        new_ids: dict[str, str] = {}
        try:  # every step was checked on a scratch graph, so none fails half-way
            for item in items:
                x, y = item.get("position", (0.0, 0.0))
                name = self._fresh_name(str(item.get("name", "")), item["type"])
                command = AddNodeCommand(self.graph, item["type"],
                                         (x + offset[0], y + offset[1]), item.get("params"),
                                         name=name)
                self.undo_stack.push(command)
                new_ids[item["id"]] = command.node_id
            for edge in data.get("edges", []):
                if edge["src"] in new_ids and edge["dst"] in new_ids:
                    self.undo_stack.push(ConnectCommand(
                        self.graph, new_ids[edge["src"]], new_ids[edge["dst"]],
                        edge.get("src_port", "out"), edge.get("dst_port", "in")))
        finally:
            self.undo_stack.endMacro()
        return list(new_ids.values())

    def _fresh_name(self, name: str, type_name: str) -> str:
        """The copied name if free, else the next free `stem_N` (conv1 -> conv1_1)."""
        taken = {n.name for n in self.graph.nodes.values()}
        if name not in taken:
            candidate = name
        else:
            match = re.fullmatch(r"(.*?)_(\d+)", name)
            stem, index = (match.group(1), int(match.group(2)) + 1) if match else (name, 1)
            while f"{stem}_{index}" in taken:
                index += 1
            candidate = f"{stem}_{index}"
        try:
            return check_name(candidate)
        except GraphError:  # too long, or not a name at all: fall back to conv2d_3
            return self.graph.unique_name(type_name)


def _check_pasted(data: dict[str, Any]) -> None:
    """Build the pasted nodes and wires in a scratch graph; raise GraphError if refused."""
    probe = Graph()
    try:
        for item in data["nodes"]:
            probe.add_node(item["type"], params=item.get("params"), node_id=item["id"],
                           position=tuple(item.get("position", (0.0, 0.0))))
        for edge in data.get("edges", []):
            if edge["src"] in probe.nodes and edge["dst"] in probe.nodes:
                probe.connect(edge["src"], edge["dst"], edge.get("src_port", "out"),
                              edge.get("dst_port", "in"))
    except GraphError:
        raise
    except (KeyError, TypeError, ValueError) as error:
        raise GraphError(f"the clipboard does not hold DL Studio nodes ({error})") from None
