"""Automatic left-to-right layout: the canvas's "auto layout" command and the templates.

A simple Sugiyama-style layering: each node goes one column right of its furthest
predecessor (longest path), and nodes within a column are ordered by the mean height of
their predecessors (barycentre), which keeps wires from crossing in the common cases.
Linear in the size of the graph, so hundreds of nodes lay out instantly.
"""

from __future__ import annotations

from dlstudio.graph.model import Graph, Position

LAYER_SPACING = 260.0  # between columns: a node is 160 px wide, the rest holds the wire label
ROW_SPACING = 120.0  # between nodes of one column (multiples of the 20 px canvas grid)


def layered_layout(graph: Graph) -> dict[str, Position]:
    """A position for every node: columns by longest path, rows by barycentre."""
    successors: dict[str, list[str]] = {node_id: [] for node_id in graph.nodes}
    predecessors: dict[str, list[str]] = {node_id: [] for node_id in graph.nodes}
    for edge in graph.edges.values():
        successors[edge.src].append(edge.dst)
        predecessors[edge.dst].append(edge.src)

    layer: dict[str, int] = {}
    for node_id in _topological(successors, predecessors):
        layer[node_id] = max((layer[p] + 1 for p in predecessors[node_id] if p in layer),
                             default=0)

    columns: dict[int, list[str]] = {}
    for node_id in graph.nodes:  # insertion order breaks ties, so builders control rows
        columns.setdefault(layer[node_id], []).append(node_id)

    positions: dict[str, Position] = {}
    for index in sorted(columns):
        column = columns[index]
        if index > 0:
            column.sort(key=lambda n: _barycentre(predecessors[n], positions))
        middle = (len(column) - 1) / 2
        for row, node_id in enumerate(column):
            positions[node_id] = (index * LAYER_SPACING, (row - middle) * ROW_SPACING)
    return positions


def apply_layout(graph: Graph) -> dict[str, Position]:
    """Move every node to its layered position (one `node_moved` event per node moved)."""
    positions = layered_layout(graph)
    for node_id, position in positions.items():
        graph.move_node(node_id, position)
    return positions


def _topological(successors: dict[str, list[str]],
                 predecessors: dict[str, list[str]]) -> list[str]:
    """Kahn's order. A Graph refuses cycles; should one slip in, its nodes go last."""
    indegree = {node_id: len(preds) for node_id, preds in predecessors.items()}
    ready = [node_id for node_id, degree in indegree.items() if degree == 0]
    order: list[str] = []
    while ready:
        current = ready.pop()
        order.append(current)
        for nxt in successors[current]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
    placed = set(order)
    return order + [node_id for node_id in successors if node_id not in placed]


def _barycentre(preds: list[str], positions: dict[str, Position]) -> float:
    heights = [positions[p][1] for p in preds if p in positions]
    return sum(heights) / len(heights) if heights else 0.0
