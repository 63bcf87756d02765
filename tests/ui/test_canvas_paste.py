"""Where pasted nodes land, without a view: the arithmetic behind Edit > Paste."""

from __future__ import annotations

from dlstudio.ui.canvas.paste import PASTE_STEP, PastePlacement

COPIED = {"nodes": [{"position": (100.0, 0.0)}, {"position": (300.0, 80.0)}]}


def test_under_the_mouse_the_copied_nodes_middle_lands_there_then_steps_on() -> None:
    placement = PastePlacement()
    assert placement.next_offset(COPIED, (500.0, 500.0)) == (300.0, 460.0)
    assert placement.next_offset(COPIED, (500.0, 500.0)) == (300.0 + PASTE_STEP,
                                                             460.0 + PASTE_STEP)
    assert placement.next_offset(COPIED, (0.0, 0.0)) == (-200.0, -40.0)  # moved: start over


def test_without_the_mouse_each_paste_steps_further_from_the_originals() -> None:
    placement = PastePlacement()
    offsets = [placement.next_offset(COPIED, None) for _ in range(3)]
    assert offsets == [(PASTE_STEP * n, PASTE_STEP * n) for n in (1, 2, 3)]
    placement.reset()
    assert placement.next_offset(COPIED, None) == (PASTE_STEP, PASTE_STEP)
