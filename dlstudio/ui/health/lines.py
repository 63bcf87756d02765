"""Training health lines for the Problems panel: one per sign, in plain words, marked as
a training-health warning, with its fixes as buttons on the line.

Clicking a line (or Enter / Space on it) selects its node; Tab reaches the line and then
each of its fix buttons, so everything works from the keyboard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from dlstudio.ui.health.badges import mark_icon

if TYPE_CHECKING:
    from dlstudio.ui.health.fixes import FixOption

LINE_STYLE = ("HealthLine { border: 1px solid transparent; border-left: 3px solid #e08a00;"
              " border-radius: 3px; }"
              "HealthLine:focus { border: 1px solid palette(highlight);"
              " border-left: 3px solid palette(highlight); }")


@dataclass(frozen=True)
class HealthRow:
    """What one line shows: `title` (the layer, or "Training"), `message`, the node to
    select (None for a run-wide sign) and the fixes."""

    title: str
    message: str
    node_id: str | None
    fixes: tuple[FixOption, ...]
    key: object  # handed back with fix_requested


class HealthLine(QFrame):
    """One sign: the badge, "Training health · fc1 (epoch 3)" over the message, buttons."""

    activated = Signal(object)  # node id or None
    fix_requested = Signal(object, str)  # the row's key, the fix

    def __init__(self, row: HealthRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.row = row
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setStyleSheet(LINE_STYLE)
        self.setAccessibleName(f"Training health warning: {row.title}: {row.message}")
        self.setToolTip("Training health warning"
                        + (". Click to select the layer." if row.node_id else "."))
        icon = QLabel()
        icon.setPixmap(mark_icon(16).pixmap(16, 16))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        heading = QLabel(f"<b>Training health</b> · {_escaped(row.title)}")
        heading.setTextFormat(Qt.TextFormat.RichText)
        message = QLabel(row.message)
        message.setTextFormat(Qt.TextFormat.PlainText)
        message.setWordWrap(True)
        message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.buttons: dict[str, QPushButton] = {}
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for option in row.fixes:
            button = QPushButton(option.label)
            button.setEnabled(not option.problem)
            button.setToolTip(option.problem or f"{option.label}: one step, Ctrl+Z undoes it")
            button.clicked.connect(lambda _=False, f=option.fix: self._on_fix_clicked(f))
            buttons.addWidget(button)
            self.buttons[option.fix] = button
        blocked = [o.problem for o in row.fixes if o.problem]
        if blocked and len(set(blocked)) == 1 and len(blocked) == len(row.fixes):
            note = QLabel(blocked[0])  # why nothing can be clicked, said once on the line
            note.setWordWrap(True)
            note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            note.setEnabled(False)
        else:
            note = None
        buttons.addStretch(1)
        text = QVBoxLayout()
        text.setContentsMargins(0, 0, 0, 0)
        text.setSpacing(2)
        text.addWidget(heading)
        text.addWidget(message)
        if note is not None:
            text.addWidget(note)
        if row.fixes:
            text.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 4, 4)
        layout.addWidget(icon)
        layout.addLayout(text, 1)

    def _on_fix_clicked(self, fix: str) -> None:
        self.fix_requested.emit(self.row.key, fix)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.activated.emit(self.row.node_id)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.activated.emit(self.row.node_id)
            event.accept()
            return
        super().keyPressEvent(event)


class HealthLines(QWidget):
    """The lines, one under another; hidden when there are none."""

    node_activated = Signal(str)
    fix_requested = Signal(object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lines: list[HealthLine] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self._layout.addStretch(1)  # lines keep their height at the top of a tall panel
        self.hide()

    def show_rows(self, rows: list[HealthRow]) -> None:
        focused = self.focusWidget() is not None and self.isAncestorOf(self.focusWidget())
        for line in self.lines:
            self._layout.removeWidget(line)
            line.deleteLater()
        self.lines = []
        for row in rows:
            line = HealthLine(row, self)
            line.activated.connect(self._on_line_activated)
            line.fix_requested.connect(self.fix_requested)
            self._layout.insertWidget(len(self.lines), line)  # above the stretch
            self.lines.append(line)
        self.setVisible(bool(rows))
        if focused and self.lines:
            self.lines[0].setFocus()

    def _on_line_activated(self, node_id: object) -> None:
        if isinstance(node_id, str):
            self.node_activated.emit(node_id)


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
