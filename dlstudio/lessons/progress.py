"""What the learner has so far, for a step whose check is not met yet (or just met):
the trained w and b, the best metric reached. Shown under the step in the panel."""

from __future__ import annotations

from typing import Any

from dlstudio.lessons.checks import matching_runs
from dlstudio.lessons.state import LessonState, metric_values


def progress(check: dict[str, Any] | None, state: LessonState) -> str:
    """One line, or "" when the check has nothing to measure yet."""
    if not check:
        return ""
    (kind, arg), = check.items()
    if kind == "trained_weights" and state.read_weights is not None:
        for run in reversed(matching_runs({"finished": True}, state)):
            tensors = state.read_weights(run)
            values = [(name, tensors.get(f"{arg['node']}.{name}")) for name in arg["values"]]
            if all(v is not None and len(v) == 1 for _, v in values):
                shown = ", ".join(f"{name} = {v[0]:.3f}" for name, v in values)  # type: ignore[index]
                return f"Last finished run: {arg['node']} has {shown}."
        return ""
    if kind == "run_metric":
        best: float | None = None
        higher = "at_least" in arg
        for run in matching_runs(arg.get("where"), state):
            values = metric_values(run, arg["name"])
            if arg.get("of") == "last":
                values = values[-1:]
            for value in values:
                if best is None or (value > best if higher else value < best):
                    best = value
        return "" if best is None else f"Best {arg['name']} so far: {best:.4g}."
    return ""
