"""Export refusals, each naming what is wrong: the node, the file, the missing package."""

from __future__ import annotations

import re


class ExportError(ValueError):
    """The export cannot be made or did not pass its checks; nothing was written."""


class ExportCancelled(ExportError):
    """The caller's cancel flag stopped the export between two stages; nothing was written."""


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def root_reason(error: BaseException, limit: int = 300) -> str:
    """The first line of the innermost cause: what torch's long reports boil down to."""
    cause = error
    while cause.__cause__ is not None:
        cause = cause.__cause__
    lines = [line.strip() for line in _ANSI.sub("", str(cause)).splitlines() if line.strip()]
    text = lines[0] if lines else type(cause).__name__
    return text if len(text) <= limit else text[:limit - 1] + "…"
