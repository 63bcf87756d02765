"""A run's JSON files (settings.json, history.json): the run format, numbers JSON can
hold, and one-line errors that name the file and the field. Split from runs.py, which
keeps the runs themselves; no Qt and no torch.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from dlstudio.atomic import write_atomic

RUN_FORMAT = 1


class RunError(ValueError):
    """A run folder that cannot be read or written; the message names the file."""


def json_safe(value: Any) -> Any:
    """NaN and infinities (a diverged loss) become null: JSON has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def write_run_json(path: Path, data: dict[str, Any]) -> None:
    try:
        write_atomic(path, json.dumps(json_safe(data), indent=1, allow_nan=False) + "\n")
    except (OSError, TypeError, ValueError) as error:
        raise RunError(f"cannot write {path}: {error}") from None


def read_run_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise RunError(f"cannot read {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise RunError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise RunError(f"{path}: expected a JSON object")
    if data.get("format") != RUN_FORMAT:
        raise RunError(f"{path}: field 'format' is {data.get('format')!r}; this DL Studio "
                       f"reads run format {RUN_FORMAT}")
    return data


def best_epoch(path: Path) -> int | None:
    """The best epoch the trainer's own history.json names, if it can be read."""
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("best_epoch")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def json_field(data: dict[str, Any], key: str, kind: type, where: Path) -> Any:
    if key not in data:
        raise RunError(f"{where}: field {key!r} is missing")
    value = data[key]
    if not isinstance(value, kind):
        raise RunError(f"{where}: field {key!r} should be a {kind.__name__}")
    return value
