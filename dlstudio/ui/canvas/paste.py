"""Where pasted nodes land: under the mouse when it is over the canvas, else beside the
originals, and a step further along with each paste that follows, never on top of the
last copy. Plain arithmetic on scene points, so it is tested without a view."""

from __future__ import annotations

from typing import Any

PASTE_STEP = 40.0

Point = tuple[float, float]


class PastePlacement:
    """Remembers the last paste, so that pasting again at the same place steps on."""

    def __init__(self) -> None:
        self._count = 0
        self._last_at: Point | None = None

    def reset(self) -> None:
        """Start over (something new was copied, or another document is shown)."""
        self._count, self._last_at = 0, None

    def next_offset(self, data: dict[str, Any], mouse_at: Point | None) -> Point:
        """How far to move the copied nodes: their middle to `mouse_at` (a scene point),
        or, with no mouse over the canvas, one more step from where they were copied."""
        if mouse_at is not None:
            if self._last_at != mouse_at:
                self._last_at, self._count = mouse_at, 0
            centre = _centre(data)
            step = PASTE_STEP * self._count
            self._count += 1
            return mouse_at[0] - centre[0] + step, mouse_at[1] - centre[1] + step
        self._last_at = None
        self._count += 1
        step = PASTE_STEP * self._count
        return step, step


def _centre(data: dict[str, Any]) -> Point:
    """The middle of the copied nodes' positions."""
    points = [tuple(item.get("position", (0.0, 0.0))) for item in data["nodes"]]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
