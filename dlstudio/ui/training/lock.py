"""While a run trains, the graph cannot be edited and the canvas says so.

The trainer works on its own copy of the graph, so this is about clarity, not safety:
the canvas stops taking editing gestures (it can still be panned, zoomed and fitted),
the palette, the inspector, the edit actions and undo are switched off, and a banner
over the canvas says why. The same banner later says when edits made the trained
weights stale.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QWidget

EDIT_ACTIONS = ("cut", "paste", "delete", "duplicate", "rename", "auto_layout")
# Keys that only look around: fit (F), pan (space, arrows), zoom (+/-).
VIEW_KEYS = {Qt.Key.Key_F, Qt.Key.Key_Space, Qt.Key.Key_Left, Qt.Key.Key_Right,
             Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Plus, Qt.Key.Key_Minus,
             Qt.Key.Key_Equal}
LOCK_COLOUR = "#9a4d00"  # white text reads on both over light and dark canvases
NOTICE_COLOUR = "#b3261e"
BLOCKED_EVENTS = {QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop,
                  QEvent.Type.MouseButtonDblClick}


class Banner(QLabel):
    """A strip of text at the top of the canvas; a click hides a notice (not the lock)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.dismissable = False
        self.hide()

    def show_text(self, text: str, colour: str, dismissable: bool) -> None:
        self.dismissable = dismissable
        hint = "  (click to hide)" if dismissable else ""
        self.setText(text + hint)
        self.setStyleSheet(f"background: {colour}; color: white; padding: 6px 12px; "
                           "border-radius: 4px; font-weight: 600;")
        self.place()
        self.show()
        self.raise_()

    def place(self) -> None:
        parent = self.parentWidget()
        if parent is None:
            return
        width = min(parent.width() - 24, 760)
        self.setFixedWidth(max(width, 200))
        self.adjustSize()
        self.move((parent.width() - self.width()) // 2, 10)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if self.dismissable:
            self.hide()
        event.accept()


class GraphLock(QObject):
    """Locks the editing parts of a MainWindow (`view`, `palette_panel`, `inspector`,
    `action_map`, `undo_group`, `document`) and shows the banner over its canvas."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.locked = False
        self.banner = Banner(window.view)
        self._enabled: dict[str, bool] = {}
        window.view.installEventFilter(self)
        window.view.viewport().installEventFilter(self)

    def set_locked(self, locked: bool) -> None:
        if locked == self.locked:
            return
        self.locked = locked
        w = self.window
        w.view.setInteractive(not locked)
        w.palette_panel.setEnabled(not locked)
        w.inspector.setEnabled(not locked)
        if locked:
            self._enabled = {key: w.action_map[key].isEnabled() for key in EDIT_ACTIONS}
            for key in EDIT_ACTIONS:
                w.action_map[key].setEnabled(False)
            w.undo_group.setActiveStack(None)
            self.banner.show_text("Training: the graph is locked until the run ends or "
                                  "is stopped.", LOCK_COLOUR, False)
        else:
            for key, enabled in self._enabled.items():
                w.action_map[key].setEnabled(enabled)
            w.undo_group.setActiveStack(w.document.undo_stack)
            self.banner.hide()

    def show_notice(self, text: str) -> None:
        """A notice over the canvas (stale weights) that a click hides; "" hides it."""
        if self.locked:
            return
        if not text:
            self.banner.hide()
            return
        self.banner.show_text(text, NOTICE_COLOUR, True)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if event.type() == QEvent.Type.Resize and self.banner.isVisible():
            self.banner.place()
        if not self.locked:
            return False
        if event.type() in BLOCKED_EVENTS:
            event.ignore()
            return True
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            plain = event.modifiers() in (Qt.KeyboardModifier.NoModifier,
                                          Qt.KeyboardModifier.KeypadModifier)
            if not (plain and event.key() in VIEW_KEYS):
                self.window.statusBar().showMessage(
                    "The graph cannot be edited while it trains: stop the run first.", 4000)
                return True
        return False
