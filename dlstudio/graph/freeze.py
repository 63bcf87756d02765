"""Freezing a range of layers, as transfer learning does it: "freeze up to here" keeps
everything that feeds a node (and the node) fixed, "train from here" trains the node and
everything it feeds and fixes the rest.

Both only work out which layers change; the caller applies the changes (the app as one
undoable step, the command line directly), so the rule lives in one place.
"""

from __future__ import annotations

from collections.abc import Callable

from dlstudio.graph.errors import GraphError
from dlstudio.graph.model import Graph

# (node id, new value of its "trainable" parameter)
Change = tuple[str, bool]


def freeze_until(graph: Graph, node_id: str) -> list[Change]:
    """Freeze `node_id` and every layer upstream of it; every other layer trains."""
    upstream = _reachable(graph, node_id, forwards=False)
    return _changes(graph, lambda ident: ident not in upstream)


def train_from(graph: Graph, node_id: str) -> list[Change]:
    """Train `node_id` and every layer downstream of it; every other layer is frozen."""
    downstream = _reachable(graph, node_id, forwards=True)
    return _changes(graph, lambda ident: ident in downstream)


def apply_changes(graph: Graph, changes: list[Change]) -> None:
    """Set each layer's `trainable` as the rule said: the command line's direct
    counterpart of the app's undoable step."""
    for node_id, trainable in changes:
        graph.set_param(node_id, "trainable", trainable)


def freeze_until_name(graph: Graph, name: str) -> list[Change]:
    """`freeze_until` for a node named by the user (`--freeze-until block4_pool`);
    GraphError names the node when there is none."""
    try:
        node = graph.node_by_name(name)
    except GraphError:
        raise GraphError(f"--freeze-until: there is no node named {name!r}") from None
    return freeze_until(graph, node.id)


def _reachable(graph: Graph, start: str, *, forwards: bool) -> set[str]:
    graph.node(start)  # GraphError for an unknown id
    seen, todo = set(), [start]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        edges = graph.edges_out_of(current) if forwards else graph.edges_into(current)
        todo.extend(edge.dst if forwards else edge.src for edge in edges)
    return seen


def _changes(graph: Graph, trains: Callable[[str], bool]) -> list[Change]:
    changes = []
    for node in graph.nodes.values():
        if not node.spec.has_weights:
            continue
        wanted = trains(node.id)
        if node.params.get("trainable", True) != wanted:
            changes.append((node.id, wanted))
    return changes
