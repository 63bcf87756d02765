"""What the canvas says about nodes, ports and wires: plain text and kinds, no drawing.

Kept apart from the items so the wording and the wiring rules can be tested directly.
"""

from __future__ import annotations

from typing import Any

from dlstudio.graph import Edge, Graph, Node, ShapeReport, format_shape
from dlstudio.graph.inference import connection_shape_problem
from dlstudio.graph.shape_text import Shape

# Short names keep a node's key parameters on one or two lines.
_SHORT = {"kernel_size": "k", "stride": "s", "padding": "pad", "dilation": "dil",
          "return_sequences": "seq", "vocab_size": "vocab"}
_KIND_WORDS = {"image": "image", "sequence": "sequence", "vector": "vector",
               "tokens": "token ids", "unknown": "unknown shape"}


def param_items(node: Node) -> list[str]:
    """The node's key parameters as short 'name=value' pieces, in catalogue order."""
    pieces = []
    for key in node.spec.key_params:
        value = node.params.get(key)
        label = _SHORT.get(key, key)
        if key == "stride" and value == 0 and "kernel_size" in node.params:
            value = node.params["kernel_size"]  # pooling: 0 means "the window size"
        if isinstance(value, bool):
            pieces.append(label if value else f"no {label}")
        elif isinstance(value, (tuple, list)):
            pieces.append(f"{label}={format_shape(tuple(value))}")
        elif isinstance(value, float):
            pieces.append(f"{label}={value:g}")
        else:
            pieces.append(f"{label}={value}")
    return pieces


def shape_kind(shape: Shape | None, node: Node | None = None) -> str:
    """image / sequence / vector / tokens / unknown, from the rank of a shape."""
    if shape is None:
        return "unknown"
    if node is not None and node.type == "Input" and node.params.get("kind") == "tokens":
        return "tokens"
    return {3: "image", 2: "sequence", 1: "vector"}.get(len(shape), "unknown")


def output_kind(graph: Graph, report: ShapeReport, node_id: str) -> str:
    return shape_kind(report.shapes.get(node_id), graph.nodes[node_id])


def input_kind(graph: Graph, report: ShapeReport, edge: Edge | None) -> str:
    """The kind arriving at an input port through `edge` (None: not connected)."""
    return "unknown" if edge is None else output_kind(graph, report, edge.src)


def output_tooltip(graph: Graph, report: ShapeReport, node_id: str) -> str:
    shape = report.shapes.get(node_id)
    kind = _KIND_WORDS[output_kind(graph, report, node_id)]
    if shape is None:
        return "output: shape not known yet (fix the problems upstream)\nDrag to an input to wire"
    return f"output: {kind} {format_shape(shape)}\nDrag to an input to wire"


def input_tooltip(graph: Graph, report: ShapeReport, port: str, edge: Edge | None) -> str:
    if edge is None:
        return f"input {port}: not connected\nDrag an output here to wire it"
    source = graph.nodes[edge.src]
    shape = report.shapes.get(edge.src)
    kind = _KIND_WORDS[output_kind(graph, report, edge.src)]
    return f"input {port} ← {source.name}: {kind} {format_shape(shape)}"


def node_tooltip(node: Node, messages: list[str]) -> str:
    lines = [f"{node.type} {node.name}", node.spec.help]
    lines += [f"⚠ {m}" for m in messages]
    return "\n".join(lines)


def accepting_ports(graph: Graph, report: ShapeReport, src: str) -> set[tuple[str, str]]:
    """Every (node id, input port) a wire from `src` would be accepted by.

    One pass over the graph (ancestors found once), so highlighting the targets while
    dragging a wire stays instant on large graphs.
    """
    predecessors: dict[str, list[str]] = {}
    occupied: set[tuple[str, str]] = set()
    for edge in graph.edges.values():
        predecessors.setdefault(edge.dst, []).append(edge.src)
        occupied.add((edge.dst, edge.dst_port))
    upstream, todo = set(), [src]
    while todo:
        current = todo.pop()
        if current not in upstream:
            upstream.add(current)
            todo.extend(predecessors.get(current, ()))
    accepted = set()
    for node in graph.nodes.values():
        if node.id in upstream:
            continue
        for port in node.input_ports:
            if (node.id, port) in occupied:
                continue
            if connection_shape_problem(graph, report, src, node.id, port) is None:
                accepted.add((node.id, port))
    return accepted


def selection_data(graph: Graph, node_ids: list[str]) -> dict[str, Any]:
    """The chosen nodes and the wires among them, as plain data for the clipboard."""
    chosen = [i for i in node_ids if i in graph.nodes]
    inside = set(chosen)
    return {
        "nodes": [graph.nodes[i].to_dict() for i in chosen],
        "edges": [e.to_dict() for e in graph.edges.values()
                  if e.src in inside and e.dst in inside],
    }
