"""The main window's actions: text, shortcut, icon and tooltip, in one table.

Menus, the tool bar and Help > Keyboard shortcuts all read these same QActions, so a
shortcut is defined once. Icons are drawn (dlstudio.ui.icons): sharp at any DPI and in
the theme's colours.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QWidget

from dlstudio.ui.icons import line_icon


@dataclass(frozen=True)
class ActionSpec:
    key: str
    text: str
    shortcuts: tuple[str, ...] = ()
    tip: str = ""
    icon: str = ""  # a drawing of dlstudio.ui.icons
    checkable: bool = False


ACTION_SPECS: tuple[ActionSpec, ...] = (
    # File
    ActionSpec("new", "&New", ("Ctrl+N",), "Start an empty project", "new"),
    ActionSpec("new_from_template", "New from &template…", ("Ctrl+Shift+N",),
               "Start from one of the built-in networks", "template"),
    ActionSpec("open", "&Open…", ("Ctrl+O",), "Open a .dlstudio project", "open"),
    ActionSpec("save", "&Save", ("Ctrl+S",), "Save the project", "save"),
    ActionSpec("save_as", "Save &as…", ("Ctrl+Shift+S",), "Save the project to a new file"),
    ActionSpec("export", "&Export…", ("Ctrl+E",),
               "Export the network to ONNX, TorchScript, a state_dict or PyTorch source"),
    ActionSpec("close", "&Close", ("Ctrl+W",), "Close the project"),
    ActionSpec("quit", "&Quit", ("Ctrl+Q",), "Quit DL Studio"),
    # Edit (undo and redo come from the undo group, with these shortcuts)
    ActionSpec("cut", "Cu&t", ("Ctrl+X",), "Cut the selected layers"),
    ActionSpec("copy", "&Copy", ("Ctrl+C",), "Copy the selected layers"),
    ActionSpec("paste", "&Paste", ("Ctrl+V",), "Paste layers"),
    ActionSpec("duplicate", "D&uplicate", ("Ctrl+D",), "Duplicate the selected layers"),
    ActionSpec("delete", "&Delete", ("Delete", "Backspace"), "Delete the selected layers",
               "delete"),
    ActionSpec("select_all", "Select &all", ("Ctrl+A",), "Select every layer"),
    ActionSpec("rename", "&Rename layer", ("F2",), "Rename the selected layer"),
    ActionSpec("auto_layout", "Auto &layout", ("Ctrl+L",),
               "Arrange the layers from top to bottom", "layout"),
    # Train
    ActionSpec("train", "&Train", ("F5",), "Train the network on the chosen data", "train"),
    # View
    ActionSpec("fit", "&Fit to view", ("F",), "Show the whole network", "fit"),
    ActionSpec("dark_theme", "&Dark theme", ("Ctrl+Shift+D",), "Switch between light and "
               "dark", checkable=True),
    ActionSpec("reset_layout", "&Reset layout", (),
               "Put every panel of every workspace back where it was on the first launch"),
    ActionSpec("follow_training", "Show &Train when a run starts", (),
               "Switch to the Train workspace when training starts", checkable=True),
    # Help
    ActionSpec("lessons", "&Lessons", ("Ctrl+Shift+L",),
               "Guided lessons from the classic exercises, checked as you work", "template"),
    ActionSpec("shortcuts", "&Keyboard shortcuts", ("Ctrl+/", "F1"),
               "Every shortcut of the window", "keyboard"),
    ActionSpec("about", "&About DL Studio"),
)

UNDO_SHORTCUTS = ("Ctrl+Z",)
REDO_SHORTCUTS = ("Ctrl+Shift+Z", "Ctrl+Y")


def create_actions(parent: QWidget) -> dict[str, QAction]:
    """Every action of the window by key; the caller connects and places them."""
    actions = {}
    for spec in ACTION_SPECS:
        icon = line_icon(spec.icon) if spec.icon else QIcon()
        action = QAction(icon, spec.text, parent)
        action.setObjectName(f"action_{spec.key}")
        if spec.shortcuts:
            action.setShortcuts([QKeySequence(s) for s in spec.shortcuts])
        tip = spec.tip or spec.text.replace("&", "").rstrip("…")
        if spec.shortcuts:
            tip += f" ({spec.shortcuts[0]})"
        action.setToolTip(tip)
        action.setStatusTip(spec.tip)
        action.setCheckable(spec.checkable)
        actions[spec.key] = action
    return actions


def set_shortcuts(action: QAction, shortcuts: tuple[str, ...]) -> None:
    action.setShortcuts([QKeySequence(s) for s in shortcuts])
