"""The learning-rate finder from the keyboard: when the test ends, Enter applies the
suggested rate (one undo step; Ctrl+Z takes it back)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from dlstudio.ui.training.lr_finder_dialog import LrFinderDialog, shown_rate

WAIT_MS = 90_000


def test_enter_uses_the_suggestion_when_the_test_ends(workbench, qtbot) -> None:
    window, bench = workbench
    window.files.new_from_template("xor")
    form = bench.training.panel.form
    before = form.values()
    window.show_workspace("train")
    qtbot.mouseClick(form.find_lr_button, Qt.MouseButton.LeftButton)
    (dialog,) = [d for d in window.findChildren(LrFinderDialog) if d.isVisible()]
    qtbot.waitUntil(lambda: dialog.result is not None and not dialog.running,
                    timeout=WAIT_MS)
    assert dialog.use_button.isDefault()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    qtbot.keyClick(dialog.focusWidget() or dialog, Qt.Key.Key_Return)
    assert not dialog.isVisible()
    assert form.values()["lr"] == pytest.approx(shown_rate(dialog.result.suggestion))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.keyClick(form.find_lr_button, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert form.values() == before
