"""How values read in messages: plain words a learner types, never Python reprs.

A refusal that says `shape=['1', '28', 'abc']` teaches Python, not the fix; these
helpers write `shape="1, 28, abc"` and "an image" instead.
"""

from __future__ import annotations

import math
from typing import Any

VOWELS = ("a", "e", "i", "o", "u")


def article(word: str) -> str:
    """'a' or 'an' for `word` as it is said ("an image", "an 8-dimensional input")."""
    lowered = word.lower()
    if lowered.startswith(("one", "uni", "use")):
        return "a"
    if lowered[:1].isdigit():
        number = lowered.split("-")[0].split(" ")[0]
        return "an" if number.startswith("8") or number in ("11", "18") else "a"
    return "an" if lowered.startswith(VOWELS) else "a"


def with_article(word: str) -> str:
    return f"{article(word)} {word}"


def plain(value: Any) -> str:
    """A value as a learner would type it: 1, 28, 28 for a list, "abc" for text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, list | tuple):
        return ", ".join(f"({plain(v)})" if isinstance(v, list | tuple) else _bare(v)
                         for v in value) or "nothing"
    if isinstance(value, dict):
        return "a table of " + ", ".join(str(k) for k in value)
    return str(value)


def _bare(value: Any) -> str:
    """An item of a list: text as typed, without quotes (the list is already one value)."""
    return value if isinstance(value, str) else plain(value)
