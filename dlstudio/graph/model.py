"""The network as data: Graph, Node and Edge, and the one API that edits them.

Every edit goes through a Graph method that validates it, applies it and emits an
event, so views (the canvas, summaries) and the undo stack follow one source of truth.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from dlstudio.graph.catalogue import _CATALOGUE, LayerSpec, layer_spec
from dlstudio.graph.errors import GraphError
from dlstudio.graph.events import Event
from dlstudio.graph.names import base_name, check_name
from dlstudio.graph.order import cycle_through, kahn_order, reachable
from dlstudio.graph.wiring import EdgeTable
from dlstudio.graph.wording import plain

Position = tuple[float, float]


@dataclass
class Node:
    """One layer. `params` always holds every parameter of its type, validated."""

    id: str
    type: str
    name: str
    params: dict[str, Any]
    position: Position = (0.0, 0.0)

    @property
    def spec(self) -> LayerSpec:
        # Read on every shape, port and count of every node: a registered type is taken
        # straight from the table (layer_spec first imports the catalogue each call).
        return _spec_of(self.type)

    @property
    def input_ports(self) -> tuple[str, ...]:
        return self.spec.input_ports(self.params)

    @property
    def output_ports(self) -> tuple[str, ...]:
        return ("out",) if self.spec.has_output else ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "type": self.type, "name": self.name,
            "params": {k: list(v) if isinstance(v, tuple) else v for k, v in self.params.items()},
            "position": [self.position[0], self.position[1]],
        }


@dataclass(frozen=True)
class Edge:
    """A wire from a node's output port to another node's input port."""

    id: str
    src: str
    dst: str
    src_port: str = "out"
    dst_port: str = "in"

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "src": self.src, "src_port": self.src_port,
                "dst": self.dst, "dst_port": self.dst_port}


@dataclass
class GraphEvents:
    """What a graph announces. `changed` follows every other event."""

    node_added: Event = field(default_factory=Event)
    node_removed: Event = field(default_factory=Event)
    edge_added: Event = field(default_factory=Event)
    edge_removed: Event = field(default_factory=Event)
    param_changed: Event = field(default_factory=Event)
    node_moved: Event = field(default_factory=Event)
    node_renamed: Event = field(default_factory=Event)
    changed: Event = field(default_factory=Event)


class WireError(GraphError):
    """A wire of a saved graph that cannot be made; `index` is its place in the list."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index


class Graph:
    """A directed acyclic graph of layers."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self._edges = EdgeTable()
        self.events = GraphEvents()
        self._next_id = 1

    @property
    def edges(self) -> EdgeTable:
        """The wires by id; also indexed by node, whoever changes them."""
        return self._edges

    @edges.setter
    def edges(self, value: dict[str, Edge]) -> None:
        self._edges = value if isinstance(value, EdgeTable) else EdgeTable(value)

    # ----- queries -------------------------------------------------------------------
    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise GraphError(f"there is no node with id {node_id!r}") from None

    def node_by_name(self, name: str) -> Node:
        for node in self.nodes.values():
            if node.name == name:
                return node
        raise GraphError(f"there is no node named {name!r}")

    def nodes_of_type(self, type_name: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.type == type_name]

    def edges_into(self, node_id: str) -> list[Edge]:
        return list(self._edges.into(node_id))

    def edges_out_of(self, node_id: str) -> list[Edge]:
        return list(self._edges.out_of(node_id))

    def edge_into(self, node_id: str, port: str) -> Edge | None:
        for edge in self._edges.into(node_id):
            if edge.dst_port == port:
                return edge
        return None

    def has_path(self, start: str, goal: str) -> bool:
        """True when `goal` can be reached from `start` along wires: one walk over the
        wire index, O(nodes + wires), with no recursion however long the chain."""
        return reachable(start, goal, self._edges)

    def __len__(self) -> int:
        return len(self.nodes)

    # ----- edits ---------------------------------------------------------------------
    def add_node(self, type_name: str, *, name: str | None = None,
                 params: dict[str, Any] | None = None, position: Position = (0.0, 0.0),
                 node_id: str | None = None) -> Node:
        """Add a layer; unknown types, bad names and bad parameter values are refused."""
        name = self._check_unique(check_name(name)) if name else None
        return self._add(type_name, name, params, position, node_id)

    def _add(self, type_name: str, name: str | None, params: dict[str, Any] | None,
             position: Position, node_id: str | None, *, checked: bool = False) -> Node:
        """add_node once the name is known to be free (or None: pick one); `checked`:
        every value in `params` is already in its validated, canonical form."""
        try:
            spec = _spec_of(type_name)
        except KeyError:
            raise GraphError(f"unknown layer type {type_name!r}") from None
        if node_id is not None and node_id in self.nodes:
            raise GraphError(f"a node with id {node_id!r} already exists")
        name = name or self.unique_name(spec.type)
        values = spec.defaults()
        for key, value in (params or {}).items():
            values[key] = value if checked else self._validated(spec, name, key, value)
        node_id = node_id or self._new_id("n")
        self._bump_counter(node_id)
        node = Node(node_id, spec.type, name, values, _position(position))
        self.nodes[node.id] = node
        self._emit(self.events.node_added, node)
        return node

    def remove_node(self, node_id: str) -> Node:
        """Remove a node and the wires attached to it."""
        node = self.node(node_id)
        attached = {**self._edges.incoming.get(node_id, {}),
                    **self._edges.outgoing.get(node_id, {})}
        for edge_id in sorted(attached, key=self._edges.position):
            self.disconnect(edge_id)
        del self.nodes[node_id]
        self._emit(self.events.node_removed, node)
        return node

    def connect(self, src: str, dst: str, src_port: str = "out", dst_port: str = "in",
                edge_id: str | None = None) -> Edge:
        """Wire src's output to dst's input; refuses what would break the graph."""
        problem = self.connection_problem(src, dst, src_port, dst_port)
        if problem:
            raise GraphError(problem)
        if edge_id is not None and edge_id in self.edges:
            raise GraphError(f"a wire with id {edge_id!r} already exists")
        edge_id = edge_id or self._new_id("e")
        self._bump_counter(edge_id)
        edge = Edge(edge_id, src, dst, src_port, dst_port)
        self.edges[edge.id] = edge
        self._emit(self.events.edge_added, edge)
        return edge

    def connection_problem(self, src: str, dst: str, src_port: str = "out",
                           dst_port: str = "in") -> str | None:
        """Why a wire cannot be made (structure only), or None if it can."""
        problem = self._wire_problem(src, dst, src_port, dst_port)
        if problem is None and self.has_path(dst, src):
            source, target = self.nodes[src], self.nodes[dst]
            return f'wiring "{source.name}" to "{target.name}" would make a cycle'
        return problem

    def _wire_problem(self, src: str, dst: str, src_port: str, dst_port: str) -> str | None:
        """connection_problem without the cycle check: lookups only, O(wires at dst)."""
        if src not in self.nodes or dst not in self.nodes:
            return "both ends of a wire must be nodes of this graph"
        source, target = self.nodes[src], self.nodes[dst]
        if src_port not in source.output_ports:
            return f'{source.type} "{source.name}" has no output port {src_port!r}'
        if dst_port not in target.input_ports:
            return f'{target.type} "{target.name}" has no input port {dst_port!r}'
        if src == dst:
            return f'cannot wire "{source.name}" to itself'
        occupied = self.edge_into(dst, dst_port)
        if occupied is not None:
            feeder = self.nodes[occupied.src].name
            return (f'input {dst_port!r} of "{target.name}" is already fed by "{feeder}": '
                    "remove that wire first")
        return None

    def disconnect(self, edge_id: str) -> Edge:
        try:
            edge = self.edges.pop(edge_id)
        except KeyError:
            raise GraphError(f"there is no wire with id {edge_id!r}") from None
        self._emit(self.events.edge_removed, edge)
        return edge

    def set_param(self, node_id: str, key: str, value: Any) -> None:
        node = self.node(node_id)
        new = self._validated(node.spec, node.name, key, value)
        old = node.params[key]
        if new == old:
            return
        ports_after = node.spec.input_ports({**node.params, key: new})
        stranded = [e.dst_port for e in self.edges_into(node_id) if e.dst_port not in ports_after]
        if stranded:
            raise GraphError(f'{node.type} "{node.name}": disconnect {", ".join(stranded)} '
                             f"before setting {key}={new}")
        node.params[key] = new
        self._emit(self.events.param_changed, node, key, old, new)

    def move_node(self, node_id: str, position: Position) -> None:
        node = self.node(node_id)
        old, node.position = node.position, _position(position)
        if old != node.position:
            self._emit(self.events.node_moved, node, old, node.position)

    def rename_node(self, node_id: str, name: str) -> None:
        node = self.node(node_id)
        if name == node.name:
            return
        new = self._check_unique(check_name(name))
        old, node.name = node.name, new
        self._emit(self.events.node_renamed, node, old, new)

    # ----- names and ids -------------------------------------------------------------
    def unique_name(self, type_name: str) -> str:
        """The first free name like conv2d_1, conv2d_2, ..."""
        stem = base_name(type_name)
        taken = {n.name for n in self.nodes.values()}
        index = 1
        while f"{stem}_{index}" in taken:
            index += 1
        return f"{stem}_{index}"

    def _check_unique(self, name: str) -> str:
        if any(n.name == name for n in self.nodes.values()):
            raise GraphError(f"the name {name!r} is already used by another node")
        return name

    def _new_id(self, prefix: str) -> str:
        taken = self.nodes if prefix == "n" else self.edges
        while f"{prefix}{self._next_id}" in taken:
            self._next_id += 1
        return f"{prefix}{self._next_id}"

    def _bump_counter(self, ident: str) -> None:
        digits = ident[1:]
        if digits.isdigit():
            self._next_id = max(self._next_id, int(digits) + 1)

    @staticmethod
    def _validated(spec: LayerSpec, name: str, key: str, value: Any) -> Any:
        try:
            param = spec.param(key)
        except KeyError:
            raise GraphError(f'{spec.type} "{name}" has no parameter {key!r}') from None
        try:
            return param.validate(value)
        except GraphError as error:
            raise type(error)(f'{spec.type} "{name}": {error}') from None

    def _emit(self, event: Event, *args: Any) -> None:
        event.emit(*args)
        self.events.changed.emit()

    # ----- copies and plain data -----------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"nodes": [n.to_dict() for n in self.nodes.values()],
                "edges": [e.to_dict() for e in self.edges.values()]}

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, checked: bool = False) -> Graph:
        """Rebuild a graph from `to_dict` output; every value is validated again, unless
        `checked` says the caller has done so, naming the field (project files).

        Linear in the size of the graph, whatever the order of the wires: each wire is
        checked with lookups (its ends, its ports, a free input), and cycles are looked
        for once at the end with Kahn's order rather than with a path search per wire
        (which made a 10,000-node file take hours). A bad wire raises WireError with
        its index; a cycle names the wire of the cycle listed last, as adding the wires
        one by one would have.
        """
        graph = cls()
        names: set[str] = set()
        for item in data.get("nodes", []):
            name = check_name(item["name"])
            if name in names:
                raise GraphError(f"the name {name!r} is already used by another node")
            names.add(name)
            graph._add(item["type"], name, item.get("params", {}),
                       tuple(item.get("position", (0.0, 0.0))), item["id"], checked=checked)
        index_of: dict[str, int] = {}
        for index, item in enumerate(data.get("edges", [])):
            edge = graph._load_wire(item, index)
            index_of[edge.id] = index
        _, left_over = kahn_order(graph.nodes, graph._edges)
        if left_over:
            loop = cycle_through(left_over, graph._edges)
            ring = set(zip(loop, loop[1:] + loop[:1], strict=True))
            last = max((e for e in graph._edges.values() if (e.src, e.dst) in ring),
                       key=lambda e: index_of[e.id])
            source, target = graph.nodes[last.src], graph.nodes[last.dst]
            raise WireError(f'wiring "{source.name}" to "{target.name}" would make a cycle',
                            index_of[last.id])
        return graph

    def _load_wire(self, item: dict[str, Any], index: int) -> Edge:
        """One wire of from_dict: every check of connect but the cycle, and no event."""
        src, dst = item["src"], item["dst"]
        src_port, dst_port = item.get("src_port", "out"), item.get("dst_port", "in")
        problem = self._wire_problem(src, dst, src_port, dst_port)
        edge_id = item.get("id")
        if problem is None and edge_id is not None and edge_id in self._edges:
            problem = f"a wire with id {edge_id!r} already exists"
        if problem:
            raise WireError(problem, index)
        edge_id = edge_id or self._new_id("e")
        self._bump_counter(edge_id)
        edge = Edge(edge_id, src, dst, src_port, dst_port)
        self._edges[edge_id] = edge
        return edge

    def copy(self) -> Graph:
        """An independent copy with the same ids (and no subscribers)."""
        clone = Graph()
        clone.nodes = {k: copy.deepcopy(v) for k, v in self.nodes.items()}
        clone.edges = EdgeTable(self.edges)
        clone._next_id = self._next_id
        return clone


def _spec_of(type_name: str) -> LayerSpec:
    """layer_spec, without its import on every call once the type is registered."""
    found = _CATALOGUE.get(type_name)
    return found if found is not None else layer_spec(type_name)


def _position(value: Any) -> Position:
    try:
        x, y = value
        x, y = float(x), float(y)
    except (TypeError, ValueError, OverflowError):
        raise GraphError(f"a position is two numbers (x, y); got {plain(value)}") from None
    if x != x or y != y or abs(x) > 1e9 or abs(y) > 1e9:
        raise GraphError(f"a position must be finite; got {plain(value)}")
    return (x, y)
