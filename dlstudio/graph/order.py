"""The order data flows in, and the cycles that stop it: linear and without recursion.

Loading, checking and compiling all order the graph; a 10,000-node chain must neither
take quadratic time nor hit Python's recursion limit, so every walk here is a loop over
the wire indexes of `EdgeTable`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from dlstudio.graph.wiring import EdgeTable


def kahn_order(node_ids: Iterable[str], edges: EdgeTable) -> tuple[list[str], set[str]]:
    """Kahn's topological order of `node_ids`, and the ids it cannot place (those on a
    cycle or downstream of one). Ready nodes are taken first in, first out, in the
    order the nodes were given, so the order is stable from one run to the next."""
    indegree = {node_id: len(edges.incoming.get(node_id, ())) for node_id in node_ids}
    ready = deque(node_id for node_id, degree in indegree.items() if degree == 0)
    order: list[str] = []
    while ready:
        current = ready.popleft()
        order.append(current)
        for edge in edges.out_of(current):
            if edge.dst in indegree:
                indegree[edge.dst] -= 1
                if indegree[edge.dst] == 0:
                    ready.append(edge.dst)
    placed = set(order)
    return order, {node_id for node_id in indegree if node_id not in placed}


def cycle_through(left_over: set[str], edges: EdgeTable) -> list[str]:
    """One cycle among the nodes Kahn could not place, as node ids in wire order.

    Each of them keeps a feeder that is left over too, so walking back from any of them
    along such feeders must come round to a node already seen: that loop is a cycle.
    Empty when `left_over` is empty.
    """
    if not left_over:
        return []
    current = min(left_over)
    seen: dict[str, int] = {}
    path: list[str] = []
    while current not in seen:
        seen[current] = len(path)
        path.append(current)
        current = next(e.src for e in edges.into(current) if e.src in left_over)
    loop = path[seen[current]:]
    loop.reverse()  # we walked against the wires
    return loop


def nodes_on_cycles(left_over: set[str], edges: EdgeTable) -> set[str]:
    """The nodes that lie on a cycle (not merely downstream of one): those in a strongly
    connected group of more than one node among `left_over` (Kosaraju, with loops)."""
    finished: list[str] = []
    visited: set[str] = set()
    for start in sorted(left_over):
        if start in visited:
            continue
        visited.add(start)
        stack = [(start, iter(list(edges.out_of(start))))]
        while stack:
            node, wires = stack[-1]
            for edge in wires:
                if edge.dst in left_over and edge.dst not in visited:
                    visited.add(edge.dst)
                    stack.append((edge.dst, iter(list(edges.out_of(edge.dst)))))
                    break
            else:
                stack.pop()
                finished.append(node)
    on_cycle: set[str] = set()
    assigned: set[str] = set()
    for root in reversed(finished):
        if root in assigned:
            continue
        group, todo = [root], [root]
        assigned.add(root)
        while todo:
            for edge in edges.into(todo.pop()):
                if edge.src in left_over and edge.src not in assigned:
                    assigned.add(edge.src)
                    group.append(edge.src)
                    todo.append(edge.src)
        if len(group) > 1 or any(e.dst == root for e in edges.out_of(root)):
            on_cycle.update(group)
    return on_cycle


def reachable(start: str, goal: str, edges: EdgeTable) -> bool:
    """True when `goal` can be reached from `start` along wires.

    Two walks in turn, one down the wires from `start`, one up them from `goal`; they
    stop when they meet or when either runs out. Either way the work is at most twice
    the smaller of the two regions, so checking a wire next to the Input of a
    10,000-node graph does not visit everything after it. No recursion.
    """
    if start == goal:
        return True
    down, up = {start}, {goal}
    down_todo, up_todo = [start], [goal]
    while down_todo and up_todo:
        for edge in edges.out_of(down_todo.pop()):
            if edge.dst in up:
                return True
            if edge.dst not in down:
                down.add(edge.dst)
                down_todo.append(edge.dst)
        for edge in edges.into(up_todo.pop()):
            if edge.src in down:
                return True
            if edge.src not in up:
                up.add(edge.src)
                up_todo.append(edge.src)
    return False
