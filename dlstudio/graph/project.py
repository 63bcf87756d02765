"""Project files (.dlstudio): the graph, the dataset choice and the training settings.

A project file is UTF-8 JSON with a format_version (docs/project-format.md). Loading
checks every field and refuses a bad file with one ProjectError naming the file and the
field; nothing in a file is ever executed. Saving is atomic: the old file survives any
error.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any

from dlstudio.atomic import write_atomic
from dlstudio.graph.catalogue import LayerSpec, layer_spec, layer_types
from dlstudio.graph.errors import GraphError, ParamError, ProjectError
from dlstudio.graph.migrations import CURRENT_VERSION, format_version, migrate
from dlstudio.graph.model import Graph, WireError
from dlstudio.graph.names import check_name
from dlstudio.graph.project_text import join_path, printable, refuse_lone_surrogates

__all__ = [
    "CURRENT_VERSION", "Project", "ProjectError", "load_project", "project_from_dict",
    "project_to_dict", "save_project",
]

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_NODES = 10_000
MAX_EDGES = 20_000
MAX_SETTINGS = 200
MAX_NAME = 200
MAX_TEXT = 10_000
MAX_NOTES = 1_000_000
MIN_INT, MAX_INT = -(2**63), 2**63 - 1
MAX_COORDINATE = 1e9

TOP_KEYS = ("format_version", "name", "notes", "dataset", "training", "graph")
NODE_KEYS = ("id", "type", "name", "params", "position")
EDGE_KEYS = ("id", "src", "src_port", "dst", "dst_port")
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}\Z")
_join = join_path

Scalar = str | int | float | bool | None
PathLike = str | os.PathLike[str]


@dataclass
class Project:
    """Everything a .dlstudio file holds. `dataset` and `training` are flat key/values."""

    graph: Graph = field(default_factory=Graph)
    name: str = "untitled"
    dataset: dict[str, Scalar] = field(default_factory=dict)
    training: dict[str, Scalar] = field(default_factory=dict)
    notes: str = ""


# ----- files -------------------------------------------------------------------------
def save_project(project: Project, path: PathLike) -> None:
    """Write `project` to `path` atomically; on any error the old file is untouched.

    Whatever cannot be written (a value load would refuse, text that is not Unicode, a
    full disk, a file name the system cannot take) raises ProjectError, never anything
    else that a user could cause.
    """
    shown = printable(str(path))
    try:
        text = json.dumps(project_to_dict(project), indent=2, ensure_ascii=False,
                          allow_nan=False) + "\n"
    except ProjectError as error:
        raise error.in_file(shown) from None
    except (ValueError, TypeError) as error:  # project_to_dict checked all it knows of
        raise ProjectError(f"cannot save: a value cannot be written as JSON ({error})",
                           path=shown) from None
    try:
        write_atomic(path, text)
    except OSError as error:
        raise ProjectError(f"cannot save: {error.strerror or error}", path=shown) from None
    except ValueError as error:  # UnicodeEncodeError, a NUL byte: the name, not the data
        raise ProjectError(f"cannot save: the file name cannot be used ({_reason(error)})",
                           path=shown) from None


def load_project(path: PathLike) -> Project:
    """Read a project file of any supported version, refusing a bad one with ProjectError."""
    try:
        return project_from_dict(_read_json(path))
    except ProjectError as error:
        raise error.in_file(printable(str(path))) from None


def _read_json(path: PathLike) -> Any:
    try:
        with open(path, "rb") as stream:
            if os.fstat(stream.fileno()).st_size > MAX_FILE_BYTES:
                raise _too_large()
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise ProjectError(f"cannot read the file: {error.strerror or error}") from None
    except ValueError as error:  # UnicodeEncodeError, a NUL byte: the name cannot be used
        raise ProjectError(f"cannot read the file: its name cannot be used "
                           f"({_reason(error)})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise _too_large()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ProjectError(f"not UTF-8 text (bad byte at offset {error.start}): "
                           "this is not a DL Studio project file") from None
    if not text.strip():
        raise ProjectError("the file is empty")
    try:
        return json.loads(text, parse_constant=_refuse_constant,
                          object_pairs_hook=_object_without_repeats)
    except ProjectError:
        raise
    except json.JSONDecodeError as error:
        raise ProjectError(f"not valid JSON at line {error.lineno}, column {error.colno} "
                           f"({error.msg}): the file is damaged or cut short") from None
    except RecursionError:
        raise ProjectError("values nested too deeply: this is not a DL Studio project "
                           "file") from None
    except ValueError:  # an integer with thousands of digits
        raise ProjectError("holds a number with thousands of digits: this is not a "
                           "DL Studio project file") from None


def _reason(error: ValueError) -> str:
    if isinstance(error, UnicodeError):
        return "it holds characters that are not valid Unicode text"
    return str(error)


def _too_large() -> ProjectError:
    return ProjectError(f"the file is larger than {MAX_FILE_BYTES // 2**20} MB: this is not "
                        "a DL Studio project file")


def _refuse_constant(word: str) -> Any:
    raise ProjectError(f"{word} is not a number a project file may hold")


def _object_without_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ProjectError(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


# ----- plain data ----------------------------------------------------------------------
def project_to_dict(project: Project) -> dict[str, Any]:
    """The JSON data of `project` in the current format (checked like a loaded file:
    the graph's values were checked by the graph as they were set, the rest here)."""
    data = {
        "format_version": CURRENT_VERSION,
        "name": _text(project.name, "name", MAX_NAME),
        "notes": _text(project.notes, "notes", MAX_NOTES),
        "dataset": _dataset(project.dataset),
        "training": _settings(project.training, "training"),
        "graph": project.graph.to_dict(),
    }
    for kind in ("nodes", "edges"):
        for index, item in enumerate(data["graph"][kind]):
            _ident(item["id"], f"graph.{kind}[{index}].id")
    refuse_lone_surrogates(data)
    return data


def project_from_dict(data: Any) -> Project:
    """A Project from JSON data of any supported version; ProjectError names the field."""
    if not isinstance(data, dict):
        raise ProjectError(f"a project file holds one JSON object {{...}}, not {_kind(data)}")
    refuse_lone_surrogates(data)  # named as in the file, before any upgrade
    version = format_version(data)
    data = migrate(data)
    try:
        return _project(data)
    except RecursionError:  # json.loads let it through, but its message would not fit
        raise ProjectError("values nested too deeply: this is not a DL Studio project "
                           "file") from None
    except ProjectError as error:
        if version == CURRENT_VERSION:
            raise
        raise ProjectError(f"{error.problem} (field as in format version {CURRENT_VERSION}, "
                           f"which this version {version} file was upgraded to)",
                           error.field) from None


def _project(data: dict[str, Any]) -> Project:
    _known_keys(data, TOP_KEYS, "")
    if "graph" not in data:
        raise ProjectError("is missing: a project holds a graph", "graph")
    return Project(
        name=_text(data.get("name", "untitled"), "name", MAX_NAME),
        notes=_text(data.get("notes", ""), "notes", MAX_NOTES),
        dataset=_dataset(data.get("dataset", {})),
        training=_settings(data.get("training", {}), "training"),
        graph=_graph(data["graph"]),
    )


def _dataset(value: Any) -> dict[str, Scalar]:
    settings = _settings(value, "dataset")
    if not isinstance(settings.get("spec", ""), str):
        raise ProjectError("must be a data spec such as builtin:digits", "dataset.spec")
    return settings


def _settings(value: Any, where: str) -> dict[str, Scalar]:
    """A flat object of plain values (the dataset choice, the training settings)."""
    settings = _object(value, where)
    if len(settings) > MAX_SETTINGS:
        raise ProjectError(f"has {len(settings)} entries; at most {MAX_SETTINGS} are allowed",
                           where)
    for key, item in settings.items():
        if not isinstance(key, str) or not _KEY.match(key):
            raise ProjectError("setting names are letters, digits, _ . - (at most 64, "
                               "starting with a letter or _)", _join(where, str(key)))
        _scalar(item, _join(where, key))
    return dict(settings)


def _scalar(value: Any, where: str) -> None:
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if not MIN_INT <= value <= MAX_INT:
            raise ProjectError("is too large a number (whole numbers are kept within 64 "
                               "bits)", where)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ProjectError("must be a finite number", where)
    elif isinstance(value, str):
        _text(value, where, MAX_TEXT)
    else:
        raise ProjectError(f"must be a plain value (text, number, true/false or null), "
                           f"not {_kind(value)}", where)


def _text(value: Any, where: str, limit: int) -> str:
    if not isinstance(value, str):
        raise ProjectError(f"must be text, not {_kind(value)}", where)
    if len(value) > limit:
        raise ProjectError(f"is {len(value)} characters long; at most {limit} are allowed",
                           where)
    return value


# ----- the graph -----------------------------------------------------------------------
def _graph(value: Any) -> Graph:
    """Check every node and wire with its JSON path, then build through the graph API."""
    data = _object(value, "graph")
    _known_keys(data, ("nodes", "edges"), "graph")
    nodes = [_node(item, f"graph.nodes[{i}]")
             for i, item in enumerate(_list(data.get("nodes", []), "graph.nodes", MAX_NODES))]
    edges = [_edge(item, f"graph.edges[{i}]")
             for i, item in enumerate(_list(data.get("edges", []), "graph.edges", MAX_EDGES))]
    _unique(nodes, "id", "graph.nodes")
    _unique(nodes, "name", "graph.nodes")
    _unique(edges, "id", "graph.edges")
    ids = {node["id"] for node in nodes}
    for index, edge in enumerate(edges):
        for end in ("src", "dst"):
            if edge[end] not in ids:
                raise ProjectError(f"there is no node with id {edge[end]!r} in graph.nodes",
                                   f"graph.edges[{index}].{end}")
    try:  # one linear pass: a cycle is found once, not by a path search per wire
        return Graph.from_dict({"nodes": nodes, "edges": edges}, checked=True)
    except WireError as error:  # unknown port, occupied input, self loop, cycle
        raise ProjectError(str(error), f"graph.edges[{error.index}]") from None
    except GraphError as error:  # every node was checked above; kept for the guarantee
        raise ProjectError(str(error), "graph.nodes") from None


def _node(value: Any, where: str) -> dict[str, Any]:
    node = _object(value, where)
    _known_keys(node, NODE_KEYS, where)
    node_id = _ident(_required(node, "id", where), f"{where}.id")
    type_name = _required(node, "type", where)
    try:
        spec = layer_spec(type_name) if isinstance(type_name, str) else None
    except KeyError:
        spec = None
    if spec is None:
        raise ProjectError(f"unknown layer type {type_name!r}; known types: "
                           + ", ".join(layer_types()), f"{where}.type")
    name = _required(node, "name", where)
    try:
        check_name(name)
    except GraphError as error:
        raise ProjectError(str(error), f"{where}.name") from None
    params = {key: _check_param(spec, name, key, item, _join(f"{where}.params", key))
              for key, item in _object(node.get("params", {}), f"{where}.params").items()}
    position = _position(node.get("position", [0.0, 0.0]), f"{where}.position")
    return {"id": node_id, "type": type_name, "name": name, "params": params,
            "position": position}


def _check_param(spec: LayerSpec, name: str, key: str, value: Any, where: str) -> Any:
    """The value in its canonical form (the graph takes it as it is), or ProjectError
    naming the field."""
    try:
        return spec.param(key).validate(value)
    except KeyError:
        known = ", ".join(p.name for p in spec.params) or "none"
        raise ProjectError(f'{spec.type} "{name}" has no parameter {key!r} '
                           f"(its parameters: {known})", where) from None
    except ParamError as error:
        raise ProjectError(f'{spec.type} "{name}": {error}', where) from None
    except RecursionError:  # a list nested hundreds deep cannot even be quoted
        raise ProjectError(f'{spec.type} "{name}": {key} is nested too deeply; a '
                           "parameter is one value or a list of whole numbers", where) from None


def _position(value: Any, where: str) -> list[float]:
    if (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool)
                    and abs(v) <= MAX_COORDINATE for v in value)):
        return [float(v) for v in value]
    raise ProjectError(f"must be two numbers [x, y], each between -{MAX_COORDINATE:.0f} and "
                       f"{MAX_COORDINATE:.0f}", where)


def _edge(value: Any, where: str) -> dict[str, str]:
    edge = _object(value, where)
    _known_keys(edge, EDGE_KEYS, where)
    return {
        "id": _ident(_required(edge, "id", where), f"{where}.id"),
        "src": _text(_required(edge, "src", where), f"{where}.src", 64),
        "dst": _text(_required(edge, "dst", where), f"{where}.dst", 64),
        "src_port": _text(edge.get("src_port", "out"), f"{where}.src_port", 64),
        "dst_port": _text(edge.get("dst_port", "in"), f"{where}.dst_port", 64),
    }


def _unique(items: list[dict[str, Any]], key: str, where: str) -> None:
    first: dict[Any, int] = {}
    for index, item in enumerate(items):
        value = item[key]
        if value in first:
            raise ProjectError(f"{key} {value!r} is already used by {where}[{first[value]}]",
                               f"{where}[{index}].{key}")
        first[value] = index


# ----- small checks ------------------------------------------------------------------
def _ident(value: Any, where: str) -> str:
    if isinstance(value, str) and _ID.match(value):
        return value
    raise ProjectError("must be an id of letters, digits, _ and - (at most 64), e.g. n3",
                       where)


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProjectError(f"must be an object {{...}}, not {_kind(value)}", where)
    return value


def _list(value: Any, where: str, limit: int) -> list[Any]:
    if not isinstance(value, list):
        raise ProjectError(f"must be a list [...], not {_kind(value)}", where)
    if len(value) > limit:
        raise ProjectError(f"has {len(value)} items; at most {limit} are allowed", where)
    return value


def _required(data: dict[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise ProjectError("is missing", _join(where, key))
    return data[key]


def _known_keys(data: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in data:
        if key not in allowed:
            raise ProjectError(f"unknown field; expected {', '.join(allowed)}",
                               _join(where, key))


def _kind(value: Any) -> str:
    kinds = {dict: "an object", list: "a list", str: "text", bool: "true/false",
             type(None): "null", int: "a number", float: "a number"}
    return kinds.get(type(value), type(value).__name__)
