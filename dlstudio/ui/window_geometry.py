"""Keep the window on the screen that is there now.

A saved geometry may come from a larger monitor, an unplugged second screen, or a layout
whose panels once forced the window taller than the screen; restored as it is, the title
bar can end up out of reach. The window is made to fit the available area of the screen
it is mostly on (the primary one when it is on none), and moved inside it.
"""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget


def clamped(frame: QRect, available: QRect) -> QRect:
    """`frame` made no larger than `available` and moved inside it."""
    width = min(frame.width(), available.width())
    height = min(frame.height(), available.height())
    x = min(max(frame.x(), available.left()), available.left() + available.width() - width)
    y = min(max(frame.y(), available.top()), available.top() + available.height() - height)
    return QRect(x, y, width, height)


def fit_on_screen(window: QWidget) -> None:
    """Resize and move `window` (a top-level widget) so that its frame is on a screen."""
    if window.isMaximized() or window.isFullScreen():
        return
    frame = window.frameGeometry()
    screen = QGuiApplication.screenAt(frame.center()) or QGuiApplication.primaryScreen()
    if screen is None:
        return
    available = screen.availableGeometry()
    target = clamped(frame, available)
    if target == frame:
        return
    # The frame (title bar, borders) is outside the client area that resize() sets.
    extra_w = frame.width() - window.width()
    extra_h = frame.height() - window.height()
    window.resize(max(target.width() - extra_w, 200), max(target.height() - extra_h, 150))
    window.move(target.topLeft())
