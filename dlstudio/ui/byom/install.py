"""The Bring-your-own-model actions in a window's File menu, wired to the Train
settings' "Start from" row."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from dlstudio.ui.byom.import_model import ModelImporter
from dlstudio.ui.byom.load_weights import WeightsLoader
from dlstudio.ui.main_window import MainWindow
from dlstudio.ui.shortcuts import LABEL_PROPERTY
from dlstudio.ui.training.settings_form import SettingsForm


@dataclass
class Byom:
    """What `install_byom` added to a window (for tests and screenshots)."""

    loader: WeightsLoader
    importer: ModelImporter
    actions: dict[str, QAction]


def install_byom(window: MainWindow, form: SettingsForm) -> Byom:
    """Add Import… (after Open recent) and Load weights… (after Export…) to the File
    menu; Load weights… is also the Train settings' "Start from" row's Load button."""
    loader = WeightsLoader(window, form)
    importer = ModelImporter(window)
    import_action = _action(window, "import_model", "&Import…", "Ctrl+I",
                            "Import a PyTorch class (.py, runs the file) or an ONNX file "
                            "(runs nothing) as a new project")
    import_action.triggered.connect(lambda: importer.import_model())
    load = _action(window, "load_weights", "Load &weights…", "Ctrl+Shift+W",
                   "Train from the weights of a .pt/.pth file, matched to the layers by "
                   "name or structure")
    load.triggered.connect(lambda: loader.load())
    file_menu = _file_menu(window)
    after_export = file_menu.actions()[file_menu.actions().index(
        window.action_map["export"]) + 1]
    file_menu.insertAction(after_export, load)
    recent = window.recent_menu.menuAction()
    file_menu.insertAction(file_menu.actions()[file_menu.actions().index(recent) + 1],
                           import_action)
    return Byom(loader, importer, {"import_model": import_action, "load_weights": load})


def _action(window: MainWindow, key: str, text: str, shortcut: str, tip: str) -> QAction:
    action = QAction(text, window)
    action.setObjectName(f"action_{key}")
    action.setShortcut(QKeySequence(shortcut))
    action.setToolTip(f"{tip} ({shortcut})")
    action.setStatusTip(tip)
    action.setProperty(LABEL_PROPERTY, text.replace("&", "").rstrip("…"))
    window.action_map[key] = action
    window.addAction(action)  # its shortcut works with the menu bar hidden
    return action


def _file_menu(window: MainWindow) -> QMenu:
    for action in window.menuBar().actions():
        if action.menu() is not None and action.text() == "&File":
            return action.menu()
    raise LookupError("the window has no File menu")
