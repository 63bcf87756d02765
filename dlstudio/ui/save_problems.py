"""Why a save failed, in one line, and the text a file cannot hold.

A save can fail on the disk (a read-only folder, a name too long, a folder where the file
should be) or on the project itself: a lone surrogate (half of a UTF-16 pair, e.g. from a
file name that is not UTF-8) cannot be written as UTF-8. Every save path of the app turns
its error into one line with `save_failure_reason`; the autosave keeps a recovery copy of
such a project anyway, with those characters replaced by U+FFFD (`replace_unwritable`).
No Qt here: this is plain data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from dlstudio.graph import Graph
from dlstudio.graph.project import Project, ProjectError

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")


def unwritable_fields(project: Project) -> list[str]:
    """Where the project holds text UTF-8 cannot encode, e.g. ["notes", "graph.nodes[2]
    .params.label"]; empty when it can be written."""
    return [where for where, text in _texts(project) if _SURROGATE.search(text)]


def replace_unwritable(project: Project) -> Project:
    """A copy of `project` with every unwritable character replaced by U+FFFD."""
    return Project(graph=Graph.from_dict(_clean(project.graph.to_dict())),
                   name=_clean(project.name), dataset=_clean(dict(project.dataset)),
                   training=_clean(dict(project.training)), notes=_clean(project.notes))


def shown_path(path: object, limit: int = 160) -> str:
    """A path for a message: printable (a name that is not UTF-8 shows escapes) and, when
    very long, its start and end around an ellipsis."""
    text = str(path).encode("utf-8", "backslashreplace").decode("utf-8")
    if len(text) <= limit:
        return text
    keep = (limit - 1) // 2
    return f"{text[:keep]}…{text[-keep:]}"


def save_failure_reason(error: BaseException, project: Project | None = None) -> str:
    """One line saying why a save failed, without the file's path (the caller names it)."""
    fields = unwritable_fields(project) if project is not None else []
    if fields:
        first = fields[0] + (f" (and {len(fields) - 1} more)" if len(fields) > 1 else "")
        return (f"{first} holds a character that cannot be written to a file "
                f"(half of a UTF-16 pair); remove it and save again")
    if isinstance(error, ProjectError):
        problem = error.problem.removeprefix("cannot save: ")
        reason = ": ".join(part for part in (error.field, problem) if part)
    elif isinstance(error, OSError):
        reason = error.strerror or str(error)
    elif isinstance(error, UnicodeError):
        reason = "the project holds a character that cannot be written to a file"
    else:
        reason = str(error) or type(error).__name__
    return " ".join(reason.split()) or "unknown error"


def _texts(project: Project) -> Iterator[tuple[str, str]]:
    yield "name", project.name
    yield "notes", project.notes
    yield from _walk(dict(project.dataset), "dataset")
    yield from _walk(dict(project.training), "training")
    yield from _walk(project.graph.to_dict(), "graph")


def _walk(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and _SURROGATE.search(key):
                yield f"{where} (a key)", key
            yield from _walk(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _walk(item, f"{where}[{index}]")


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub(REPLACEMENT, value)
    if isinstance(value, dict):
        return {_clean(key): _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_clean(item) for item in value)
    return value
