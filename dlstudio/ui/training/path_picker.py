"""A path field with a Browse button, for the data panel's folder and file sources."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLineEdit, QPushButton, QWidget


class PathPicker(QWidget):
    """A folder (`file_filter` None) or a file of the kinds `file_filter` names, as a
    Qt name filter ("CSV files (*.csv);;All files (*)"). `edited` fires when the user
    finishes typing or picks a path."""

    edited = Signal()

    def __init__(self, placeholder: str, file_filter: str | None = None,
                 title: str = "Choose a folder") -> None:
        super().__init__()
        self.file_filter, self.title = file_filter, title
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.edit.editingFinished.connect(self.edited)
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._on_browse_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.browse)

    def path(self) -> str:
        return self.edit.text().strip()

    def set_path(self, path: str) -> None:
        self.edit.setText(path)

    def _on_browse_clicked(self) -> None:
        if self.file_filter is None:
            path = QFileDialog.getExistingDirectory(self, self.title, self.path())
        else:
            path, _ = QFileDialog.getOpenFileName(self, self.title, self.path(),
                                                  self.file_filter)
        if path:
            self.edit.setText(path)
            self.edited.emit()
