"""Project format versions and the steps that bring an older file up to date.

Each step turns the plain JSON data of version N into version N + 1, so a file of any
supported version is upgraded by running the steps in a chain, and a new version is one
new step. The layouts are described in docs/project-format.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dlstudio.graph.errors import ProjectError
from dlstudio.graph.project_text import join_path

CURRENT_VERSION = 2
OLDEST_VERSION = 1

Data = dict[str, Any]


def format_version(data: Data) -> int:
    """The file's format_version, refused if missing, malformed or newer than this app."""
    if "format_version" not in data:
        raise ProjectError("is missing: a DL Studio project names its format_version",
                           "format_version")
    version = data["format_version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise ProjectError(f"must be a whole number such as {CURRENT_VERSION}", "format_version")
    if version > CURRENT_VERSION:
        raise ProjectError(
            f"the file was made by a newer DL Studio (format version {version}; this one "
            f"reads versions {OLDEST_VERSION} to {CURRENT_VERSION}): update DL Studio to open it",
            "format_version")
    if version < OLDEST_VERSION:
        raise ProjectError(f"there is no format version {version}", "format_version")
    return version


def migrate(data: Data) -> Data:
    """`data` in the layout of CURRENT_VERSION; the input is left unchanged."""
    version = format_version(data)
    while version < CURRENT_VERSION:
        data = UPGRADES[version](data)
        version += 1
    return data


# ----- version 1 -> 2 ----------------------------------------------------------------
# Version 1 kept nodes in an object keyed by id with "x"/"y", wires as "from": "n1.out",
# "to": "n2.in" strings without ids. Some builds also wrote "notes" and a node
# "position" as version 2 spells them; those are carried over, not dropped. A key
# version 1 never had is refused here, in version 1 terms, as in any version.

V1_TOP_KEYS = ("format_version", "name", "notes", "dataset", "training", "graph")
V1_GRAPH_KEYS = ("nodes", "edges")
V1_NODE_KEYS = ("type", "name", "params", "x", "y", "position")
V1_EDGE_KEYS = ("from", "to")


def _v1_to_v2(data: Data) -> Data:
    _v1_known_keys(data, V1_TOP_KEYS, "")
    if "graph" not in data:
        raise ProjectError("is missing: a project holds a graph", "graph")
    graph = data["graph"]
    if not isinstance(graph, dict):
        raise ProjectError("must be an object with nodes and edges", "graph")
    _v1_known_keys(graph, V1_GRAPH_KEYS, "graph")
    graph = {"nodes": _v1_nodes_as_list(graph.get("nodes", {})),
             "edges": _v1_edges_with_ports(graph.get("edges", []))}
    return {**data, "format_version": 2, "graph": graph, "notes": data.get("notes", "")}


def _v1_nodes_as_list(nodes: Any) -> list[Data]:
    if not isinstance(nodes, dict):
        raise ProjectError("a version 1 file keeps its nodes in an object keyed by id",
                           "graph.nodes")
    result = []
    for node_id, node in nodes.items():
        where = join_path("graph.nodes", node_id)
        if not isinstance(node, dict):
            raise ProjectError("must be an object with type, name and params", where)
        _v1_known_keys(node, V1_NODE_KEYS, where)
        rest = {k: v for k, v in node.items() if k not in ("x", "y", "position")}
        result.append({**rest, "id": node_id, "position": _v1_position(node, where)})
    return result


def _v1_position(node: Data, where: str) -> Any:
    """[x, y] from "x"/"y", or the node's own "position" (checked later, as in v2)."""
    if "position" not in node:
        return [_v1_coordinate(node, "x", where), _v1_coordinate(node, "y", where)]
    if "x" in node or "y" in node:
        raise ProjectError('holds both "position" and "x"/"y": keep one of them',
                           f"{where}.position")
    return node["position"]


def _v1_coordinate(node: Data, key: str, where: str) -> float:
    value = node.get(key, 0.0)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProjectError("must be a number (a canvas coordinate)", f"{where}.{key}")
    return value


def _v1_edges_with_ports(edges: Any) -> list[Data]:
    if not isinstance(edges, list):
        raise ProjectError("must be a list of wires", "graph.edges")
    result = []
    for index, edge in enumerate(edges):
        where = f"graph.edges[{index}]"
        if not isinstance(edge, dict):
            raise ProjectError('must be an object like {"from": "n1.out", "to": "n2.in"}',
                               where)
        _v1_known_keys(edge, V1_EDGE_KEYS, where)
        src, src_port = _v1_endpoint(edge, "from", where)
        dst, dst_port = _v1_endpoint(edge, "to", where)
        result.append({"id": f"e{index + 1}", "src": src, "src_port": src_port,
                       "dst": dst, "dst_port": dst_port})
    return result


def _v1_endpoint(edge: Data, key: str, where: str) -> tuple[str, str]:
    value = edge.get(key)
    node_id, dot, port = value.rpartition(".") if isinstance(value, str) else ("", "", "")
    if not (node_id and dot and port):
        raise ProjectError('must be "node_id.port", e.g. "n1.out"', f"{where}.{key}")
    return node_id, port


def _v1_known_keys(data: Data, allowed: tuple[str, ...], where: str) -> None:
    for key in data:
        if key not in allowed:
            raise ProjectError(f"unknown field in a version 1 file; expected "
                               f"{', '.join(allowed)}", join_path(where, key))


UPGRADES: dict[int, Callable[[Data], Data]] = {1: _v1_to_v2}
