"""The mistakes grid fills its width: as many columns as fit, from the tiles' own width
(a fixed guess, sized for a vector's values, put 3 digit pictures where 4 fit and left a
column's gap at the right at 1920×1080), and no tile runs past the right edge."""

from __future__ import annotations

import numpy as np
import pytest

from dlstudio.ui.training.dashboard.mistakes import MistakesPanel
from dlstudio.ui.training.probe import Mistake, MistakeReport


def _report(pictures: bool) -> MistakeReport:
    image = np.linspace(0, 1, 28 * 28).reshape(28, 28) if pictures else None
    text = None if pictures else "-0.0184, 0.974, 0.5, 0.25, 0.125"
    mistakes = tuple(Mistake(i, "3", "8", 0.7, image, text) for i in range(16))
    return MistakeReport(epoch=2, checked=64, wrong=16, mistakes=mistakes)


@pytest.mark.parametrize("width", [330, 345, 420, 520])
@pytest.mark.parametrize("pictures", [True, False])
def test_columns_fill_the_width(qtbot, width: int, pictures: bool) -> None:
    panel = MistakesPanel()
    qtbot.addWidget(panel)
    panel.resize(width, 500)
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_report(_report(pictures))
    qtbot.wait(30)
    viewport = panel.scroll.viewport().width()
    rights = [tile.geometry().right() for tile in panel.tiles]
    assert max(rights) < viewport  # nothing runs off the right edge
    columns = len({tile.geometry().left() for tile in panel.tiles})
    tile = panel.tile_width()
    spacing = panel._grid.horizontalSpacing()
    gap = viewport - max(rights)
    assert gap < tile + spacing + panel._grid.contentsMargins().right(), \
        f"{columns} columns leave {gap} px: room for one more"
