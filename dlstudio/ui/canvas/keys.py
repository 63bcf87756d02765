"""The canvas's own keys: which of its commands a key press runs.

The main window's menus carry the same shortcuts; these make them work when the canvas is
used on its own (tests, an embedded view) and add the keys no menu shows (F, Backspace,
the Menu key).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QKeySequence

if TYPE_CHECKING:
    from dlstudio.ui.canvas.view import CanvasView

Key, Mod = Qt.Key, Qt.KeyboardModifier


def key_action(view: CanvasView, event: QKeyEvent) -> Callable[[], object] | None:
    """The command `event` asks the canvas for; None when the key is not the canvas's."""
    undo_stack = view.document.undo_stack
    keys = QKeySequence.StandardKey
    standard = {
        keys.Undo: undo_stack.undo, keys.Redo: undo_stack.redo,
        keys.SelectAll: view.select_all, keys.Copy: view.copy, keys.Cut: view.cut,
        keys.Paste: view.paste, keys.Delete: view.delete_selected,
    }
    for key, action in standard.items():
        if event.matches(key):
            return action
    combo = event.keyCombination()
    plain = {
        (Key.Key_F, Mod.NoModifier): view.fit_all,
        (Key.Key_F2, Mod.NoModifier): view.rename_selected,
        (Key.Key_Backspace, Mod.NoModifier): view.delete_selected,
        (Key.Key_D, Mod.ControlModifier): view.duplicate,
        (Key.Key_Y, Mod.ControlModifier): undo_stack.redo,
        (Key.Key_F10, Mod.ShiftModifier): view.keyboard_menu,
        (Key.Key_Menu, Mod.NoModifier): view.keyboard_menu,
        (Key.Key_Z, Mod.ControlModifier | Mod.ShiftModifier): undo_stack.redo,
    }
    return plain.get((combo.key(), combo.keyboardModifiers()))
