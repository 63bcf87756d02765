"""What a check may say about one value: equal to it, at least, at most, one of, not.

A teacher writes `"optimizer": "sgd"` for equality, or an object such as
`{"at_least": 0.0001}` or `{"one_of": ["adam", "rmsprop"]}`; the same rules serve
settings, layer parameters and metrics.
"""

from __future__ import annotations

import math
from typing import Any

from dlstudio.lessons.errors import LessonError, join

OPERATORS = ("at_least", "at_most", "one_of", "not")


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(
        value)


def check_condition(condition: Any, where: str) -> None:
    """Refuse a condition that is neither a plain value nor an object of OPERATORS."""
    if isinstance(condition, dict):
        if not condition:
            raise LessonError("an empty condition: write a value or at_least / at_most / "
                              "one_of / not", where)
        for key, value in condition.items():
            if key not in OPERATORS:
                raise LessonError(f"{key!r} is not a condition; use "
                                  + ", ".join(OPERATORS), join(where, key))
            if key in ("at_least", "at_most") and not is_number(value):
                raise LessonError(f"must be a number, not {value!r}", join(where, key))
            if key == "one_of" and (not isinstance(value, list) or not value):
                raise LessonError("must be a list of values", join(where, key))
        return
    if isinstance(condition, list) or (isinstance(condition, float)
                                       and not math.isfinite(condition)):
        raise LessonError(f"{condition!r} is not a value a condition may hold", where)


def holds(condition: Any, value: Any) -> bool:
    """Whether `value` meets `condition` (a missing value meets nothing)."""
    if not isinstance(condition, dict):
        return _same(value, condition)
    for key, limit in condition.items():
        if key == "at_least" and not (is_number(value) and value >= limit):
            return False
        if key == "at_most" and not (is_number(value) and value <= limit):
            return False
        if key == "one_of" and not any(_same(value, item) for item in limit):
            return False
        if key == "not" and _same(value, limit):
            return False
    return True


def describe_condition(condition: Any) -> str:
    """'= sgd', '≥ 0.97', 'one of adam, rmsprop' for docs and the panel."""
    if not isinstance(condition, dict):
        return f"= {_word(condition)}"
    parts = []
    for key, value in condition.items():
        if key == "at_least":
            parts.append(f"≥ {_word(value)}")
        elif key == "at_most":
            parts.append(f"≤ {_word(value)}")
        elif key == "one_of":
            parts.append("one of " + ", ".join(_word(v) for v in value))
        else:
            parts.append(f"not {_word(value)}")
    return " and ".join(parts)


def _same(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, bool) or isinstance(value, bool):
        return value is wanted
    if is_number(wanted) and is_number(value):
        return math.isclose(float(value), float(wanted), rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(wanted, list) and isinstance(value, (list, tuple)):
        return list(value) == wanted
    return bool(value == wanted)


def _word(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None:
        return "none"
    return str(value) if value != "" else "empty"


def check_object(value: Any, where: str, known: tuple[str, ...], required: tuple[str, ...] = ()
                 ) -> dict[str, Any]:
    """Refuse anything but an object of `known` keys that holds the `required` ones."""
    if not isinstance(value, dict):
        raise LessonError(f"must be an object with {', '.join(known)}", where)
    for key in value:
        if key not in known:
            raise LessonError(f"{key!r} is not known here; use {', '.join(known)}",
                              join(where, key))
    for key in required:
        if key not in value:
            raise LessonError(f"{key!r} is missing", where)
    return value


def check_count(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise LessonError(f"must be a whole number ≥ 0, not {value!r}", where)
