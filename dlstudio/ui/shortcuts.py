"""Help > Keyboard shortcuts: every shortcut of the window, read from its actions.

The list is built from the live QActions, so it can never disagree with what the keys
do; the mouse gestures of the canvas, which are not actions, are added by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

LABEL_PROPERTY = "shortcut_label"
CANVAS_GESTURES: tuple[tuple[str, str], ...] = (
    ("Zoom around the cursor", "Mouse wheel"),
    ("Pan the canvas", "Middle drag, or Space + drag"),
    ("Select several nodes", "Drag on empty canvas, or Ctrl + click"),
    ("Connect two layers", "Drag from an output port to an input port"),
    ("Node menu: freeze up to here, train from here…",
     "Right-click a node, or Menu / Shift+F10 on the selected one"),
    ("Add a layer", "Drag it from the palette onto the canvas"),
)


@dataclass(frozen=True)
class ShortcutRow:
    section: str
    action: str
    keys: str


def shortcut_rows(menus: Iterable[tuple[str, Iterable[QAction]]]) -> list[ShortcutRow]:
    """One row per action that has a shortcut, grouped by menu, then the canvas gestures."""
    rows = []
    for section, actions in menus:
        for action in actions:
            keys = [k.toString(QKeySequence.SequenceFormat.NativeText)
                    for k in action.shortcuts() if not k.isEmpty()]
            if keys:
                # Undo/Redo texts name the next step; their fixed label is a property.
                label = action.property(LABEL_PROPERTY) or action.text().replace("&", "")
                rows.append(ShortcutRow(section, label, ", ".join(keys)))
    rows += [ShortcutRow("Canvas", what, keys) for what, keys in CANVAS_GESTURES]
    return rows


class ShortcutsDialog(QDialog):
    """A read-only table of shortcuts."""

    def __init__(self, rows: list[ShortcutRow], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(560, 560)
        self.table = QTableWidget(len(rows), 3, self)
        self.table.setHorizontalHeaderLabels(["Where", "Action", "Keys"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        for row, item in enumerate(rows):
            for column, text in enumerate((item.section, item.action, item.keys)):
                self.table.setItem(row, column, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, parent=self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
