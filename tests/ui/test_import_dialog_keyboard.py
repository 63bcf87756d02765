"""The Import dialog by keyboard: arrows choose the class (its declared shape follows),
Alt+S goes to the input shape, a bad shape is said and keeps the dialog open, Escape
runs nothing."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from dlstudio.ui.byom.import_dialog import PythonImportDialog

SOURCE = '''
from torch import nn


class Small(nn.Module):
    input_shapes = [(3, 32, 32)]


class Other(nn.Module):
    pass
'''


def test_the_dialog_works_from_the_keyboard(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "models.py"
    path.write_text(SOURCE)
    dialog = PythonImportDialog(path, ["Small", "Other"])
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
    assert dialog.focusWidget() is dialog.classes
    assert dialog.shape_edit.text() == "3,32,32"

    qtbot.keyClick(dialog.classes, Qt.Key.Key_Down)
    assert dialog.class_name() == "Other" and dialog.shape_edit.text() == ""
    qtbot.keyClick(dialog.classes, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
    assert dialog.focusWidget() is dialog.shape_edit
    qtbot.keyClicks(dialog.shape_edit, "3,x")
    qtbot.keyClick(dialog.shape_edit, Qt.Key.Key_Return)
    assert dialog.isVisible() and "whole numbers" in dialog.problem.text()
    qtbot.keyClick(dialog.shape_edit, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and dialog.result() == PythonImportDialog.DialogCode.Rejected
