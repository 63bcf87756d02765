"""Text in project files: JSON paths for messages, and refusing text that is not Unicode.

JSON may spell a lone UTF-16 surrogate ("\\ud800"); Python reads it into a str that can
never be written back as UTF-8. Such a file would open and then fail on every save, so
the whole file (keys too) is checked once, at load and again at save.
"""

from __future__ import annotations

import json
import re
from typing import Any

from dlstudio.graph.errors import ProjectError

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}\Z")
_SURROGATE = re.compile("[\ud800-\udfff]")


def join_path(where: str, key: object) -> str:
    """A JSON path: graph.nodes[3].params.kernel_size, or ["odd key"] when needed.

    The odd key is written with JSON escapes, so a path is always printable text.
    """
    text = key if isinstance(key, str) else str(key)
    if _KEY.match(text):
        return f"{where}.{text}" if where else text
    return f"{where}[{json.dumps(text[:40])}]"


def refuse_lone_surrogates(data: Any, where: str = "") -> None:
    """Raise ProjectError naming a key or text that holds a lone surrogate (the keys of
    an object before what is under them). Iterative: deep nesting cannot exhaust the
    stack."""
    try:  # the common case at C speed: all of it encodes, so there is nothing to name
        json.dumps(data, ensure_ascii=False).encode("utf-8")
        return
    except (ValueError, TypeError, RecursionError):  # UnicodeEncodeError among them
        pass  # find it (or let the field checks name what JSON cannot hold)
    stack: list[tuple[Any, Any]] = [(data, where)]
    seen: set[int] = set()  # data built in code may hold one list twice, or itself
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict | list | tuple):
            if id(value) in seen:
                continue
            seen.add(id(value))
        if isinstance(value, str):
            _check_text(value, path, "holds")
        elif isinstance(value, dict):
            items = list(value.items())
            for key, item in reversed(items):
                stack.append((item, (path, key)))
            for key, _item in items:  # a bad key is named before anything under it
                if isinstance(key, str):
                    _check_text(key, (path, key), "is a key that holds")
        elif isinstance(value, list | tuple):
            stack.extend((item, (path, index)) for index, item in reversed(
                list(enumerate(value))))


def _check_text(text: str, path: Any, verb: str) -> None:
    match = _SURROGATE.search(text)
    if match is None:
        return
    code = f"\\u{ord(match.group()):04x}"
    raise ProjectError(f"{verb} a lone surrogate {code} (not valid Unicode text: such text "
                       "cannot be saved as UTF-8); remove it or write the whole character",
                       _spell(path))


def _spell(path: Any) -> str:
    """The JSON path of a (parent, key) chain, built only when something is refused."""
    parts: list[Any] = []
    while isinstance(path, tuple):
        path, key = path
        parts.append(key)
    text = path
    for key in reversed(parts):
        text = f"{text}[{key}]" if isinstance(key, int) else join_path(text, key)
    return text


def printable(text: str) -> str:
    """`text` (a path, an error's words) as it can be printed: what UTF-8 cannot encode
    (lone surrogates) becomes escapes. The command line's `cli.safe_text.shown` escapes
    terminal controls on top of this."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text
