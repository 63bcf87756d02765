"""File handling of the main window: new, open, save, recent files, recovery.

Every question to the user is a method of its own (`ask_save_changes`, `ask_open_path`,
`ask_save_path`, `choose_template`, `ask_restore`), so tests answer them without a
modal dialog. Errors never cost work: a file that fails to open leaves the current
project as it was, and a failed save (Save, Save as, or Save when closing) says which file
and why in one line, keeps the changes unsaved and the recovery copy in place, and
keeps the project open.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDateTime, QObject, QSettings, Signal
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

from dlstudio.graph.project import ProjectError
from dlstudio.ui.autosave import RecoveryFile, RecoveryStore
from dlstudio.ui.document import Document
from dlstudio.ui.gallery import TemplateGallery
from dlstudio.ui.save_problems import REPLACEMENT, save_failure_reason, shown_path
from dlstudio.weights import PREFIX

if TYPE_CHECKING:
    from dlstudio.ui.main_window import MainWindow

RECENT_KEY = "files/recent"
MAX_RECENT = 10
EXTENSION = ".dlstudio"
FILE_FILTER = "DL Studio projects (*.dlstudio);;All files (*)"
Button = QMessageBox.StandardButton


class ProjectFiles(QObject):
    """The File menu's logic for one window."""

    recent_changed = Signal(list)  # list[Path], most recent first

    def __init__(self, window: MainWindow, settings: QSettings) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings

    # ----- recent files --------------------------------------------------------------
    def recent_files(self) -> list[Path]:
        raw = self.settings.value(RECENT_KEY, "[]")
        try:
            names = json.loads(raw) if isinstance(raw, str) else []
        except ValueError:
            names = []
        return [Path(name) for name in names if isinstance(name, str)][:MAX_RECENT]

    def add_recent(self, path: Path) -> None:
        path = Path(path).resolve()
        self._store_recent([path, *(p for p in self.recent_files() if p != path)])

    def remove_recent(self, path: Path) -> None:
        self._store_recent([p for p in self.recent_files() if p != Path(path).resolve()])

    def clear_recent(self) -> None:
        self._store_recent([])

    def _store_recent(self, paths: list[Path]) -> None:
        self.settings.setValue(RECENT_KEY, json.dumps([str(p) for p in paths[:MAX_RECENT]]))
        self.settings.sync()
        self.recent_changed.emit(self.recent_files())

    # ----- questions (tests replace these) -------------------------------------------
    def ask_save_changes(self) -> Button:
        """Save, Discard or Cancel for the unsaved changes of the current project."""
        name = self.window.document_title()
        return QMessageBox.question(
            self.window, "Unsaved changes",
            f"“{name}” has unsaved changes. Save them before closing it?",
            Button.Save | Button.Discard | Button.Cancel, Button.Save)

    def ask_open_path(self) -> Path | None:
        name, _ = QFileDialog.getOpenFileName(self.window, "Open project", self._folder(),
                                              FILE_FILTER)
        return Path(name) if name else None

    def ask_save_path(self) -> Path | None:
        document = self.window.document
        start = str(document.path) if document.path else str(
            Path(self._folder()) / f"{document.project.name or 'untitled'}{EXTENSION}")
        name, _ = QFileDialog.getSaveFileName(self.window, "Save project as", start,
                                              FILE_FILTER)
        return Path(name) if name else None

    def choose_template(self) -> tuple[str, bool] | None:
        """(template name, start from its ImageNet weights), or None when cancelled."""
        gallery = TemplateGallery(self.window)
        accepted = gallery.exec() == QDialog.DialogCode.Accepted
        name = gallery.selected_name() if accepted else None
        choice = (name, gallery.starts_pretrained()) if name is not None else None
        gallery.deleteLater()
        return choice

    def ask_restore(self, recovery: RecoveryFile) -> bool:
        when = QDateTime.fromSecsSinceEpoch(int(recovery.saved_at)).toString()
        answer = QMessageBox.question(
            self.window, "Restore unsaved work?",
            f"DL Studio did not close properly last time. Unsaved changes to "
            f"“{recovery.title}” were kept (saved {when}).\n\nRestore them?",
            Button.Yes | Button.No, Button.Yes)
        return answer == Button.Yes

    def _folder(self) -> str:
        recent = self.recent_files()
        return str(recent[0].parent) if recent else str(Path.home())

    # ----- commands ------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """True when the current project may be replaced (saved, discarded or clean)."""
        if not self.window.document.is_modified():
            return True
        answer = self.ask_save_changes()
        if answer == Button.Save:
            return self.save()
        return answer == Button.Discard

    def new(self) -> bool:
        if not self.maybe_save():
            return False
        self.window.set_document(Document())
        return True

    def new_from_template(self, name: str | None = None, pretrained: bool = False) -> bool:
        """A new project from a template; `pretrained` starts its training from the
        published ImageNet weights, with ImageNet's normalisation."""
        if name is None:
            choice = self.choose_template()
            if choice is None:
                return False
            name, pretrained = choice
        if not self.maybe_save():
            return False
        document = Document.from_template(name)
        if pretrained:
            document.project.training.update(weights=f"{PREFIX}{name}",
                                             normalisation="imagenet")
        self.window.set_document(document)
        self.window.fit_canvas()
        return True

    def open(self, path: Path | None = None) -> bool:
        """Unsaved changes are asked about before the file dialog: Cancel there or here
        then leaves everything as it was, as in every desktop app."""
        if not self.maybe_save():
            return False
        path = path or self.ask_open_path()
        if path is None:
            return False
        try:
            document = Document.open(Path(path))
        except (ProjectError, OSError, ValueError) as error:  # ValueError: UnicodeError too
            if not Path(path).exists():
                self.remove_recent(Path(path))
            self.window.show_error(
                "Could not open the project",
                f"Could not open {shown_path(path)}: {save_failure_reason(error)}",
                "The project that was open is unchanged.")
            return False
        self.window.set_document(document)
        self.window.fit_canvas()
        self.add_recent(Path(path))
        return True

    def save(self) -> bool:
        if self.window.document.path is None:
            return self.save_as()
        return self._save_to(self.window.document.path)

    def save_as(self, path: Path | None = None) -> bool:
        path = path or self.ask_save_path()
        if path is None:
            return False
        path = Path(path)
        if path.suffix.lower() != EXTENSION:
            path = path.with_name(path.name + EXTENSION)
        return self._save_to(path)

    def close(self) -> bool:
        """Close the project: an empty one takes its place."""
        return self.new()

    def _save_to(self, path: Path) -> bool:
        """Save to `path`; on failure say why and change nothing (still modified, same
        file, the recovery copy kept)."""
        document = self.window.document
        name = document.project.name
        if document.path is None and name in ("", "untitled"):
            # A file name that is not UTF-8 reaches Python with lone surrogates.
            document.project.name = "".join(
                REPLACEMENT if "\ud800" <= c <= "\udfff" else c for c in path.stem)
        try:
            document.save(path)
        except (ProjectError, OSError, ValueError) as error:  # ValueError: UnicodeError too
            document.project.name = name
            self.window.show_error(
                "Could not save the project",
                f"Could not save {shown_path(path)}: "
                f"{save_failure_reason(error, document.project)}",
                self._unsaved_advice())
            return False
        self.add_recent(path)
        self.window.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def _unsaved_advice(self) -> str:
        kept = ("; the last recovery copy is kept" if self.window.store.copy_path.exists()
                else "")
        return (f"Your changes are still open and unsaved{kept}. Save somewhere else "
                "(File > Save as…) or fix the problem and save again.")

    # ----- recovery ------------------------------------------------------------------
    def offer_recovery(self, store: RecoveryStore) -> bool:
        """Offer the newest copy a crashed session left; True if it was restored."""
        orphans = store.orphans()
        if not orphans:
            return False
        newest = orphans[0]
        if not self.ask_restore(newest):
            newest.discard()
            return False
        try:
            project = newest.load()
        except (ProjectError, OSError, ValueError) as error:
            newest.discard()
            self.window.show_error("Could not restore", f"The recovery copy "
                                   f"{shown_path(newest.path)} is damaged: "
                                   f"{save_failure_reason(error)}")
            return False
        document = Document(project, newest.original)
        document.undo_stack.resetClean()  # restored work is unsaved until the user saves
        self.window.set_document(document)
        self.window.fit_canvas()
        newest.discard()  # the window's autosaver now keeps it under this session
        return True
