"""What floats over the canvas: the message bubble, the in-place name editor and the
empty canvas's hint.

A refused wire is explained where the user is looking (next to the drop point), and a
node is renamed where its name is drawn, not in a dialog.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QPainter
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from dlstudio.ui.canvas.colors import CanvasColors

MESSAGE_MS = 5000


def draw_hint(painter: QPainter, area: QRect, colors: CanvasColors, text: str) -> None:
    """Draw `text` in the middle of `area` (viewport pixels, whatever the zoom)."""
    painter.save()
    painter.resetTransform()
    painter.setPen(colors.color("text_dim"))
    font = painter.font()
    font.setPointSizeF(font.pointSizeF() * 1.3)
    painter.setFont(font)
    painter.drawText(area, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()


class MessageBubble(QLabel):
    """A short-lived note over the canvas; it hides itself after a few seconds."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setMaximumWidth(420)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def set_colors(self, colors: CanvasColors) -> None:
        self.setStyleSheet(
            f"QLabel {{ background: {colors.message_fill}; color: {colors.message_text};"
            f" border: 1px solid {colors.error}; border-radius: 6px; padding: 6px 9px; }}")

    def show_at(self, text: str, anchor: QPoint) -> None:
        """Show `text` just below-right of `anchor`, kept inside the parent."""
        self.setText(text)
        self.adjustSize()
        area = self.parentWidget().rect()
        x = min(max(anchor.x() + 14, 4), max(4, area.width() - self.width() - 4))
        y = min(max(anchor.y() + 14, 4), max(4, area.height() - self.height() - 4))
        self.move(x, y)
        self.show()
        self.raise_()
        self._timer.start(MESSAGE_MS)


class NameEditor(QLineEdit):
    """Edits a node's name in place: Enter (or clicking elsewhere) commits, Escape cancels."""

    committed = Signal(str, str)  # node id, new name

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.node_id: str | None = None
        self.editingFinished.connect(self._on_self_editing_finished)
        self.hide()

    def open(self, node_id: str, name: str, area: QRect) -> None:
        self.node_id = node_id
        self.setText(name)
        self.setGeometry(area)
        self.show()
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        self.selectAll()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.node_id = None
            self.hide()
            self.parentWidget().setFocus()
            return
        super().keyPressEvent(event)

    def _on_self_editing_finished(self) -> None:
        node_id, self.node_id = self.node_id, None
        if node_id is None:
            return
        self.hide()
        self.committed.emit(node_id, self.text().strip())
