"""The workspaces of the window and the bar that switches them (Ctrl+1, Ctrl+2, ...).

It owns the saved layouts. Each workspace's state is stored under its own key with the
layout version and the list of its panels; a state saved by another version or with
another set of panels is dropped whole and the default is built, never patched. A
workspace restores its state (or builds its default) the first time it is shown, when
every panel exists and the window has its real size.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QStackedWidget, QToolBar, QWidget

from dlstudio.ui.workspaces.base import Workspace

LAYOUT_VERSION = 2  # 1 was the single layout of DL Studio 0.1 (key window/state)
LEGACY_KEYS = ("window/state",)
CURRENT_KEY = "workspaces/current"


def _state_key(key: str) -> str:
    return f"workspaces/{key}/state"


def _panels_key(key: str) -> str:
    return f"workspaces/{key}/panels"


class WorkspaceSwitcher(QObject):
    """A stack of Workspace pages, the bar over them and their saved layouts."""

    switched = Signal(str)  # the key of the workspace now shown

    def __init__(self, settings: QSettings, parent: QWidget) -> None:
        super().__init__(parent)
        self.settings = settings
        self.stack = QStackedWidget(parent)
        self.stack.setObjectName("workspace_stack")
        self.workspaces: dict[str, Workspace] = {}
        self.bar = QToolBar("Workspaces", parent)
        self.bar.setObjectName("toolbar_workspaces")
        self.bar.setMovable(False)
        self.bar.setFloatable(False)
        self.bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.group = QActionGroup(self)
        self.group.setExclusive(True)
        self.actions: dict[str, QAction] = {}
        self._prepared: set[str] = set()
        self.menu: QMenu | None = None  # where workspaces added later list themselves
        self.menu_anchor: QAction | None = None
        self._current = ""
        for key in LEGACY_KEYS:
            settings.remove(key)

    def add(self, key: str, title: str, tip: str) -> Workspace:
        """A new, empty workspace; its bar button and shortcut Ctrl+<position>."""
        workspace = Workspace(key, title)
        self.workspaces[key] = workspace
        self.stack.addWidget(workspace)
        number = len(self.workspaces)
        action = QAction(title, self)
        action.setObjectName(f"action_workspace_{key}")
        action.setCheckable(True)
        action.setShortcut(QKeySequence(f"Ctrl+{number}"))
        action.setToolTip(f"{tip} (Ctrl+{number})")
        action.setStatusTip(tip)
        action.triggered.connect(lambda _=False, k=key: self.show(k))
        self.group.addAction(action)
        self.bar.addAction(action)
        parent = self.parent()
        if isinstance(parent, QWidget):
            parent.addAction(action)  # its shortcut works with the bar hidden
        if self.menu is not None:
            self.menu.insertAction(self.menu_anchor, action)
        self.actions[key] = action
        if not self._current:
            self._current = key
            action.setChecked(True)
        return workspace

    @property
    def current(self) -> Workspace:
        return self.workspaces[self._current]

    @property
    def current_key(self) -> str:
        return self._current

    def docks(self) -> dict[str, object]:
        """Every panel of every workspace by name."""
        found: dict[str, object] = {}
        for workspace in self.workspaces.values():
            found.update(workspace.docks)
        return found

    def workspace_of(self, panel: str) -> Workspace | None:
        return next((w for w in self.workspaces.values() if panel in w.docks), None)

    def show(self, key: str) -> None:
        """Switch to the workspace `key` (its panels are restored on its first showing)."""
        if key not in self.workspaces:
            return
        if key != self._current:
            self.current.hide_floating()
            self._current = key
        self.prepare(key)
        self.stack.setCurrentWidget(self.workspaces[key])
        self.workspaces[key].show_floating()
        self.actions[key].setChecked(True)
        self.switched.emit(key)

    def prepare(self, key: str) -> None:
        """The first showing of a workspace: its saved layout, or else its default."""
        if key in self._prepared:
            return
        self._prepared.add(key)
        workspace = self.workspaces[key]
        workspace.resize(self.stack.size())
        if not self._restore(workspace):
            workspace.apply_default_layout()

    def _restore(self, workspace: Workspace) -> bool:
        state = self.settings.value(_state_key(workspace.key))
        panels = self.settings.value(_panels_key(workspace.key))
        if state is None:
            return False
        fits = (isinstance(state, QByteArray) and panels == workspace.panel_signature()
                and workspace.restore_layout(state, LAYOUT_VERSION))
        if not fits:  # another version or another set of panels: drop it whole
            self.settings.remove(_state_key(workspace.key))
            self.settings.remove(_panels_key(workspace.key))
        return fits

    def save(self) -> None:
        """Store the layout of every workspace that was shown (the others keep theirs)."""
        for key in self._prepared:
            workspace = self.workspaces[key]
            self.settings.setValue(_state_key(key), workspace.save_layout(LAYOUT_VERSION))
            self.settings.setValue(_panels_key(key), workspace.panel_signature())
        self.settings.setValue(CURRENT_KEY, self._current)

    def saved_current(self) -> str:
        key = self.settings.value(CURRENT_KEY)
        return key if isinstance(key, str) and key in self.workspaces else ""

    def reset(self) -> None:
        """Every workspace back to its first-launch layout; saved layouts forgotten."""
        for key, workspace in self.workspaces.items():
            self.settings.remove(_state_key(key))
            self.settings.remove(_panels_key(key))
            workspace.resize(self.stack.size())
            workspace.apply_default_layout()
            self._prepared.add(key)
