"""Automatic top-to-bottom layout: the canvas's "auto layout" command and the templates.

Layers are stacked in data-flow order, as Netron draws models. Each node goes one rank
below its furthest predecessor (longest path). Across, a node takes the lane of its main
input (the deepest one; the first input port on a tie), and a fork's other branches take
the next free lanes to the right, so a chain reads straight down and branches sit side by
side.

A long chain (VGG16, ResNet-18) would be a column far taller than a screen, so ranks are
cut into bands placed side by side (a snake), preferring cuts where a single wire runs
from one rank to the next; the number of bands is the fewest that keep the text legible
when the whole graph is fitted to a canvas of a laptop window (about 1000x600 pixels).
Deterministic, Qt-free and linear in the size of the graph.
"""

from __future__ import annotations

import heapq

from dlstudio.graph.model import Graph, Position

NODE_WIDTH = 150.0  # a card, as the canvas draws it
NODE_HEIGHT = 52.0
RANK_SPACING = 80.0  # between ranks: the card plus room for the wire's shape label
LANE_SPACING = 170.0  # between side-by-side branches
SKIP_ROOM = 36.0  # right of a lane: a skip wire bulges out there, beside the cards
BAND_GAP = 50.0  # between two bands of a snake: room for the wire that climbs back up
VIEW = (1000.0, 600.0)  # the canvas a fit-to-view should read well in
COMFORTABLE_SCALE = 0.7  # use more bands only while fitting would zoom out below this
MAX_BANDS = 12  # past this a graph cannot be read whole anyway; the canvas simplifies it


def layered_layout(graph: Graph) -> dict[str, Position]:
    """A position (the card's centre) for every node: ranks down, lanes across."""
    successors: dict[str, list[str]] = {node_id: [] for node_id in graph.nodes}
    predecessors: dict[str, list[str]] = {node_id: [] for node_id in graph.nodes}
    for edge in _edges_in_port_order(graph):
        successors[edge[0]].append(edge[1])
        predecessors[edge[1]].append(edge[0])
    order = _topological(list(graph.nodes), successors, predecessors)
    rank: dict[str, int] = {}
    for node_id in order:
        rank[node_id] = max((rank[p] + 1 for p in predecessors[node_id] if p in rank),
                            default=0)
    lane = _lanes(order, rank, successors, predecessors)
    bands = _best_bands(rank, lane, successors)
    return _place(rank, lane, bands)


def apply_layout(graph: Graph) -> dict[str, Position]:
    """Move every node to its laid-out position (one `node_moved` event per node moved)."""
    positions = layered_layout(graph)
    for node_id, position in positions.items():
        graph.move_node(node_id, position)
    return positions


def fit_scale(positions: dict[str, Position], view: tuple[float, float] = VIEW,
              margin: float = 30.0) -> float:
    """The zoom at which these positions, as cards, fill a view of `view` pixels."""
    if not positions:
        return 1.0
    xs = [x for x, _ in positions.values()]
    ys = [y for _, y in positions.values()]
    width = max(xs) - min(xs) + NODE_WIDTH + 2 * margin
    height = max(ys) - min(ys) + NODE_HEIGHT + 2 * margin
    return min(view[0] / width, view[1] / height)


def _edges_in_port_order(graph: Graph) -> list[tuple[str, str]]:
    """(src, dst) pairs with each node's inputs in port order, so the main input is first."""
    edges = []
    for node_id, node in graph.nodes.items():
        ports = list(node.input_ports)
        into = sorted(graph.edges_into(node_id),
                      key=lambda e: ports.index(e.dst_port) if e.dst_port in ports else 99)
        edges += [(e.src, node_id) for e in into]
    return edges


def _lanes(order: list[str], rank: dict[str, int], successors: dict[str, list[str]],
           predecessors: dict[str, list[str]]) -> dict[str, int]:
    """A lane per node: its main (deepest) input's lane if free, else the next free one
    right."""
    lane: dict[str, int] = {}
    taken: set[tuple[int, int]] = set()  # (rank, lane)
    next_source = 0
    for node_id in order:
        preds = predecessors[node_id]
        if not preds:
            wanted = next_source
            next_source += 1
        else:
            # The main input is the deepest one: a skip wire (`x + block(x)` in either
            # order) comes from higher up and must not pull the join into its lane.
            main = max(preds, key=lambda p: rank[p])
            inherits = next(s for s in successors[main] if s in lane or s == node_id)
            wanted = lane[main] if inherits == node_id else lane[main] + 1
        while (rank[node_id], wanted) in taken:
            wanted += 1
        lane[node_id] = wanted
        taken.add((rank[node_id], wanted))
    return lane


def _best_bands(rank: dict[str, int], lane: dict[str, int],
                successors: dict[str, list[str]]) -> list[int]:
    """The first rank of each band: the fewest bands that fit comfortably, else the best."""
    count = max(rank.values(), default=-1) + 1
    clean = _clean_cuts(rank, successors, count)
    best: tuple[float, list[int]] = (-1.0, [0])
    for bands in range(1, min(count, MAX_BANDS) + 1):
        starts = _cut(count, bands, clean)
        scale = fit_scale(_place(rank, lane, starts))
        if scale >= COMFORTABLE_SCALE:
            return starts
        if scale > best[0]:
            best = (scale, starts)
    return best[1]


def _clean_cuts(rank: dict[str, int], successors: dict[str, list[str]],
                count: int) -> set[int]:
    """Ranks r where one wire alone crosses from rank r-1 to r: a neat place to wrap."""
    crossing: dict[int, int] = {r: 0 for r in range(1, count)}
    short: dict[int, bool] = {r: True for r in range(1, count)}
    for src, dsts in successors.items():
        for dst in dsts:
            for r in range(rank[src] + 1, rank[dst] + 1):
                crossing[r] += 1
                short[r] = short[r] and rank[dst] == r and rank[src] == r - 1
    return {r for r in crossing if crossing[r] == 1 and short[r]}


def _cut(count: int, bands: int, clean: set[int]) -> list[int]:
    """Band starts for about `count / bands` ranks each, moved to a clean cut nearby."""
    size = -(-count // bands)
    starts = [0]
    while starts[-1] + size < count:
        target = starts[-1] + size
        near = [r for r in range(target - 4, target + 4) if r in clean and r > starts[-1]]
        starts.append(min(near, key=lambda r: abs(r - target)) if near else target)
    return starts


def _place(rank: dict[str, int], lane: dict[str, int],
           starts: list[int]) -> dict[str, Position]:
    """Positions for a snake whose bands begin at the ranks in `starts`."""
    band_of = {node_id: sum(1 for s in starts if s <= r) - 1 for node_id, r in rank.items()}
    widest = [0] * len(starts)
    for node_id, band in band_of.items():
        widest[band] = max(widest[band], lane[node_id])
    offsets, x = [], 0.0
    for lanes in widest:
        offsets.append(x)
        x += lanes * LANE_SPACING + NODE_WIDTH + SKIP_ROOM + BAND_GAP
    return {node_id: (offsets[band_of[node_id]] + lane[node_id] * LANE_SPACING,
                      (rank[node_id] - starts[band_of[node_id]]) * RANK_SPACING)
            for node_id in rank}


def _topological(nodes: list[str], successors: dict[str, list[str]],
                 predecessors: dict[str, list[str]]) -> list[str]:
    """Kahn's order, earliest-added first. A Graph refuses cycles; should one slip in,
    its nodes go last."""
    indegree = {node_id: len(predecessors[node_id]) for node_id in nodes}
    position = {node_id: index for index, node_id in enumerate(nodes)}
    ready = [(position[n], n) for n in nodes if indegree[n] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, current = heapq.heappop(ready)
        order.append(current)
        for nxt in successors[current]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                heapq.heappush(ready, (position[nxt], nxt))
    placed = set(order)
    return order + [node_id for node_id in nodes if node_id not in placed]
