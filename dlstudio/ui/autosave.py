"""Recovery copies: unsaved work survives a crash.

While a window has unsaved changes, a timer writes a copy of its project into a recovery
folder. A clean close (or a save) deletes the copy. Each running session holds a lock
file, so at the next start a copy whose session is gone (its lock is stale because the
process died) is an orphan, and the user is offered to restore it. Copies of sessions
still running elsewhere are left alone.

A copy that cannot be written (a full disk, a read-only folder) never costs the previous
one: copies are replaced atomically, and the window shows why in its status bar until a
copy is written again. A project holding text UTF-8 cannot encode (a lone surrogate) is
still copied, with those characters replaced by U+FFFD, and the window says so.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QStandardPaths, QTimer, Signal

from dlstudio.graph.project import Project, ProjectError, load_project, save_project
from dlstudio.ui.document import Document
from dlstudio.ui.save_problems import replace_unwritable, save_failure_reason, unwritable_fields

DEFAULT_INTERVAL_MS = 60_000
SUFFIX = ".dlstudio"


def earlier_recovery_dir() -> Path:
    """<AppDataLocation>/recovery: Qt adds <organisation>/<application>, both "DL Studio",
    so earlier versions kept copies in ~/.local/share/DL Studio/DL Studio/recovery."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(location) / "recovery"


def default_recovery_dir() -> Path:
    """The app's data folder named once, e.g. ~/.local/share/DL Studio/recovery."""
    earlier = earlier_recovery_dir()
    app = earlier.parent
    return app.parent / "recovery" if app.name == app.parent.name else earlier


@dataclass(frozen=True)
class RecoveryFile:
    """A recovery copy left by a session that ended without closing cleanly."""

    path: Path
    original: Path | None  # the file the project was opened from, None if never saved
    saved_at: float  # seconds since the epoch
    title: str

    def load(self) -> Project:
        return load_project(self.path)

    def discard(self) -> None:
        for file in (self.path, self.path.with_suffix(".json")):
            with contextlib.suppress(OSError):  # a folder turned read-only: left for later
                file.unlink(missing_ok=True)


class RecoveryStore:
    """The recovery folder as seen by one session: its own copy, and the orphans."""

    def __init__(self, folder: Path, earlier: tuple[Path, ...] = ()) -> None:
        """`earlier`: folders an older version wrote to, still read for orphans (a user
        who upgrades after a crash gets the copy back)."""
        self.folder = Path(folder)
        self.earlier = tuple(Path(f) for f in earlier if Path(f) != self.folder)
        with contextlib.suppress(OSError):  # unusable: each write then says why, in the window
            self.folder.mkdir(parents=True, exist_ok=True)
        self.session = uuid.uuid4().hex
        self._lock = QLockFile(str(self.folder / f"{self.session}.lock"))
        self._lock.lock()
        self.copy_path = self.folder / f"{self.session}{SUFFIX}"

    @classmethod
    def at_default(cls) -> RecoveryStore:
        """The app's recovery folder, reading the earlier versions' folder too."""
        return cls(default_recovery_dir(), (earlier_recovery_dir(),))

    def write(self, project: Project, original: Path | None, title: str) -> Path:
        """Write (or replace) this session's copy; atomic like every project save. A
        folder that could not be made at the start, or was removed since, is made now
        (the autosave came back only after a restart once its cause was fixed)."""
        if not self.folder.is_dir():
            self.folder.mkdir(parents=True, exist_ok=True)
        if not self._lock.isLocked():
            self._lock.tryLock(0)
        save_project(project, self.copy_path)
        meta = {"original": None if original is None else str(original),
                "saved_at": time.time(), "title": title}
        meta_path = self.copy_path.with_suffix(".json")
        temporary = meta_path.with_suffix(".json.tmp")
        try:
            temporary.write_text(json.dumps(meta), encoding="utf-8")
            os.replace(temporary, meta_path)
        except OSError:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
            raise
        return self.copy_path

    def discard(self) -> None:
        """Delete this session's copy (nothing to recover)."""
        RecoveryFile(self.copy_path, None, 0.0, "").discard()

    def close(self) -> None:
        """End of a clean session: no copy, no lock."""
        self.discard()
        self._lock.unlock()

    def orphans(self) -> list[RecoveryFile]:
        """Copies left by sessions that died, newest first."""
        found = []
        for folder in (self.folder, *self.earlier):
            if not folder.is_dir():
                continue
            for path in folder.glob(f"*{SUFFIX}"):
                if path.stem == self.session or not _claim(path):
                    continue
                found.append(_describe(path))
        return sorted(found, key=lambda item: item.saved_at, reverse=True)


def _claim(copy: Path) -> bool:
    # A lock we can take belongs to nobody: its process is gone (QLockFile checks the pid).
    lock = QLockFile(str(copy.with_suffix(".lock")))
    if not lock.tryLock(0):
        return False
    lock.unlock()
    return True


def _describe(path: Path) -> RecoveryFile:
    try:
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = {}
    original = meta.get("original")
    saved_at = meta.get("saved_at")
    if not isinstance(saved_at, int | float):
        saved_at = path.stat().st_mtime
    title = meta.get("title") if isinstance(meta.get("title"), str) else path.stem
    return RecoveryFile(path, Path(original) if isinstance(original, str) else None,
                        float(saved_at), title)


class Autosaver(QObject):
    """Writes the document's recovery copy every `interval_ms` while it has changes."""

    saved = Signal(object)  # Path of the copy
    failed = Signal(str)  # why a copy could not be written (the previous one is kept)
    # One line for the status bar while the copies are in trouble; "" once they are fine.
    problem_changed = Signal(str)

    def __init__(self, store: RecoveryStore, interval_ms: int = DEFAULT_INTERVAL_MS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.problem = ""
        self._document: Document | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._timer.start()

    @property
    def interval_ms(self) -> int:
        return self._timer.interval()

    def set_document(self, document: Document | None) -> None:
        if self._document is not None:
            self._document.undo_stack.cleanChanged.disconnect(self._on_undo_clean_changed)
        self._document = document
        if document is not None:
            document.undo_stack.cleanChanged.connect(self._on_undo_clean_changed)
        self.save_now()

    def stop(self) -> None:
        self._timer.stop()

    def save_now(self) -> Path | None:
        """Write the copy if there are unsaved changes, else drop it; returns the copy.

        On failure the previous copy stays as it was, `failed` says why and the problem
        stays on show until a copy is written again."""
        document = self._document
        if document is None or not document.is_modified():
            self.store.discard()
            self._set_problem("")
            return None
        title = document.path.name if document.path else document.project.name or "Untitled"
        fields = unwritable_fields(document.project)
        try:
            project = replace_unwritable(document.project) if fields else document.project
            path = self.store.write(project, document.path, title)
        except (ProjectError, OSError, ValueError) as error:  # ValueError: UnicodeError too
            kept = ("the last recovery copy is kept" if self.store.copy_path.is_file()
                    else "there is no recovery copy yet")
            message = (f"Autosave failed: {save_failure_reason(error)} (recovery folder "
                       f"{self.store.folder}); {kept}")
            self._set_problem(message)
            self.failed.emit(message)
            return None
        if fields:
            self._set_problem(
                f"Autosaved with {len(fields)} unwritable text{'s' * (len(fields) > 1)} "
                f"({', '.join(fields[:3])}) replaced by \N{REPLACEMENT CHARACTER}; "
                "Save will refuse until you remove the character")
        else:
            self._set_problem("")
        self.saved.emit(path)
        return path

    def _set_problem(self, text: str) -> None:
        if text != self.problem:
            self.problem = text
            self.problem_changed.emit(text)

    def _on_timer_timeout(self) -> None:
        self.save_now()

    def _on_undo_clean_changed(self, clean: bool) -> None:
        if clean:  # saved (or undone back to the saved state): the copy is not needed
            self.store.discard()
            self._set_problem("")
