"""Atomic file writes: a file is either fully replaced or left exactly as it was.

Projects, checkpoints and exports are written through `write_atomic`, so a crash, a full
disk or an error halfway through never leaves a truncated file behind (DESIGN.md: "Files
are written atomically").
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

# Leftovers of a process killed mid-write end in .tmp; .gitignore skips them.
TEMP_SUFFIX = ".tmp"


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Write `data` (str is written as UTF-8) to `path` all at once, or not at all.

    The bytes go to a temporary file in the same folder, are flushed to disk, and the
    temporary file is renamed over `path`. On any error the temporary file is removed,
    the old file is untouched, and the error propagates. A symlink at `path` is kept
    and its target replaced; the permissions of an existing file are kept.
    """
    if isinstance(data, str):
        payload = data.encode("utf-8")
    elif isinstance(data, bytes):
        payload = data
    else:
        raise TypeError(f"write_atomic writes bytes or str, not {type(data).__name__}")
    target = Path(os.path.realpath(path))
    temp = _create_temp(target)
    try:
        with open(temp, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        _keep_mode(target, temp)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _sync_folder(target.parent)


def _create_temp(target: Path) -> Path:
    """A new, empty file beside `target`; created with the user's umask like any file."""
    for _ in range(100):
        temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
        try:
            os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return temp
    raise FileExistsError(f"could not create a temporary file beside {target}")


def _keep_mode(target: Path, temp: Path) -> None:
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return
    os.chmod(temp, mode)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
