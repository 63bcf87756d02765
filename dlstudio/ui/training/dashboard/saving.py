"""The dashboard's Export buttons: ask where, write, and say how it went in one line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QFileDialog, QWidget

from dlstudio.runs import RunError

CSV_FILES = "CSV files (*.csv)"
PNG_FILES = "PNG images (*.png)"


def save_as(parent: QWidget, title: str, default_name: str, file_filter: str,
            write: Callable[[Path], None], done: str, message: SignalInstance) -> None:
    """Ask for a file, write it, and emit "<done> <path>" or the RunError's words."""
    path, _ = QFileDialog.getSaveFileName(parent, title, default_name, file_filter)
    if not path:
        return
    try:
        write(Path(path))
    except RunError as error:
        message.emit(str(error))
        return
    message.emit(f"{done} {path}")
