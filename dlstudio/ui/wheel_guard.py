"""Scrolling a long form with the mouse wheel must not change the boxes that pass under
the pointer: a combo box or spin box takes the wheel only once it has the focus (clicked
or tabbed into); before that the wheel scrolls the form around it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QWidget,
)


class WheelGuard(QObject):
    """An event filter that passes a wheel over an unfocused box on to its parents."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if (event.type() != QEvent.Type.Wheel or not isinstance(watched, QWidget)
                or watched.hasFocus()):
            return False
        area = _scroll_area(watched)
        if area is None:
            event.ignore()  # not accepted: Qt offers it to the parents
        else:  # handed on here: Qt passes on only the wheel events the system sent
            QApplication.sendEvent(area.viewport(), event)
            event.accept()
        return True


def _scroll_area(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    return parent


def guard_wheel(root: QWidget, guard: WheelGuard) -> None:
    """Every combo box and spin box in `root` (itself included) takes the wheel only when
    focused; a wheel no longer gives them the focus either."""
    boxes = [root, *root.findChildren(QWidget)]
    for box in boxes:
        if isinstance(box, (QComboBox, QAbstractSpinBox)):
            box.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            box.installEventFilter(guard)
