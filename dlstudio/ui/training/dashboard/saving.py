"""The dashboard's Export buttons: ask where, write, and say how it went in one line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, SignalInstance
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from dlstudio.runs import RunError

CSV_FILES = "CSV files (*.csv)"
PNG_FILES = "PNG images (*.png)"


def save_as(parent: QWidget, title: str, default_name: str, file_filter: str,
            write: Callable[[Path], None], done: str, message: SignalInstance) -> None:
    """Ask for a file, write it, and emit "<done> <path>"; a failure is also shown in a
    message box (window-modal: it blocks nothing)."""
    path, _ = QFileDialog.getSaveFileName(parent, title, default_name, file_filter)
    if not path:
        return
    try:
        write(Path(path))
    except (RunError, OSError, ValueError) as error:  # ValueError: UnicodeError too
        text = str(error) if isinstance(error, RunError) else f"cannot write {path}: {error}"
        message.emit(text)
        box = QMessageBox(QMessageBox.Icon.Critical, title, f"{title} failed: {text}",
                          QMessageBox.StandardButton.Ok, parent.window())
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return
    message.emit(f"{done} {path}")
