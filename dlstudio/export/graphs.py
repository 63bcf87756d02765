"""Does a project's graph still describe the network a checkpoint was trained as?

Exporting a checkpoint's weights under a project's graph is only right when both graphs
compute the same thing: same nodes (by name) with the same types and parameters, wired
the same way. Canvas positions and node ids do not matter.
"""

from __future__ import annotations

from typing import Any

from dlstudio.graph import Graph


def graph_differences(ours: Graph, theirs: Graph, labels: tuple[str, str] = ("the first graph",
                      "the second graph"), limit: int = 5) -> list[str]:
    """Up to `limit` differences in words, the graphs called by `labels`; empty when the
    networks match."""
    first, second = labels
    a, b = _nodes(ours), _nodes(theirs)
    found = [f'node "{name}" is only in {first}' for name in a if name not in b]
    found += [f'node "{name}" is only in {second}' for name in b if name not in a]
    for name in (n for n in a if n in b):
        (type_a, params_a), (type_b, params_b) = a[name], b[name]
        if type_a != type_b:
            found.append(f'node "{name}" is a {type_a} in {first}, a {type_b} in {second}')
            continue
        found += [f'node "{name}": {key} is {params_a.get(key)!r} in {first}, '
                  f"{params_b.get(key)!r} in {second}"
                  for key in sorted(set(params_a) | set(params_b))
                  if params_a.get(key) != params_b.get(key)]
    wires_a, wires_b = _wires(ours), _wires(theirs)
    found += [f"wire {wire} is only in {first}" for wire in sorted(wires_a - wires_b)]
    found += [f"wire {wire} is only in {second}" for wire in sorted(wires_b - wires_a)]
    return found[:limit]


def _nodes(graph: Graph) -> dict[str, tuple[str, dict[str, Any]]]:
    return {node.name: (node.type, _plain(node.params)) for node in graph.nodes.values()}


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    """Lists and tuples compare equal (JSON gives lists, the catalogue tuples)."""
    return {key: tuple(value) if isinstance(value, list) else value
            for key, value in params.items()}


def _wires(graph: Graph) -> set[str]:
    name = {node.id: node.name for node in graph.nodes.values()}
    return {f"{name[e.src]}.{e.src_port} -> {name[e.dst]}.{e.dst_port}"
            for e in graph.edges.values()}
