"""All of an export's files appear together, complete, or not at all.

Exporters that write files themselves (`torch.onnx`, `torch.jit.save`) cannot go through
`write_atomic`, and one export writes several files (model, weights, model card, an ONNX
external-data file). So every file is written under its final name into a hidden folder
beside the target, checked there, and only then renamed into place with `os.replace`;
on any error or cancel the folder is removed and the target folder is as it was. The
folder is named, locked and, when a killed export left it, cleaned by `dlstudio.atomic`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from types import TracebackType

from dlstudio.atomic import temp_folder


class StagingError(OSError):
    """The target folder cannot take the export; the message names the folder and why."""


class Staging:
    """A hidden scratch folder in the target's folder (same disk, so renames are atomic).

    Use as a context manager: files written with `path(name)` are moved into the target
    folder by `commit()`; leaving the block without committing deletes them.
    """

    def __init__(self, folder: Path) -> None:
        self.target = folder
        if not folder.is_dir():
            reason = "is not a folder" if folder.exists() else "does not exist: create it first"
            raise StagingError(f"cannot export to {folder}: the folder {reason}")
        try:
            self.folder, self._lock = temp_folder(folder, "export")
        except OSError as error:
            raise StagingError(f"cannot write in {folder}: {error.strerror or error}") from None
        self.committed: list[Path] = []

    def path(self, name: str) -> Path:
        """Where to write the file that will become `<target>/<name>`."""
        return self.folder / name

    def commit(self, last: str | None = None) -> list[Path]:
        """Move every staged file into place (each rename atomic), the one named `last`
        last; the final paths."""
        staged = sorted((p for p in self.folder.iterdir() if p.is_file()),
                        key=lambda p: (p.name == last, p.name))
        for file in staged:
            final = self.target / file.name
            if final.is_dir():
                raise StagingError(f"cannot write {final}: a folder has that name")
        for file in staged:
            final = self.target / file.name
            os.replace(file, final)
            self.committed.append(final)
        return list(self.committed)

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        if self._lock >= 0:
            with contextlib.suppress(OSError):
                os.close(self._lock)
            self._lock = -1

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.discard()
