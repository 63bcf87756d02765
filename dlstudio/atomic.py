"""Atomic file writes: a file is either fully replaced or left exactly as it was.

Projects, checkpoints and exports are written through this module (DESIGN.md: "Files are
written atomically"), and it alone names, creates and cleans up their temporary files.

Temporary files are `.<target>.<pid>.<random>.tmp` beside the target (export scratch
folders `.export.<pid>.<random>.tmp`). They are created with the user's normal mode
(0666 less the umask, as `open()` gives; `tempfile.mkstemp` would give 0600), and the
writer holds an exclusive `flock` on the open temp until it is renamed into place.

Leftovers of a killed writer are removed the next time anything is written in the same
folder. A temp counts as a leftover only when nobody holds its lock (the kernel drops a
lock when its process dies, however it dies) and either the pid in its name is not a
live process on this machine or it has not changed for `STALE_AFTER` seconds. The lock
protects a concurrent live writer (a second DL Studio training into the same folder, even
from another machine on a network disk); the pid covers the instant between creating a
temp and locking it; the age covers a dead writer whose pid has been reused. On a file
system without locks the pid and age rules decide alone; on Windows (no `flock`, and
`os.kill(pid, 0)` would end the process) the age alone, and an open file cannot be
deleted there anyway. Names of older versions (no pid) are removed once they are
`LEGACY_STALE_AFTER` old and unlocked.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # Windows: an open file cannot be deleted there anyway
    fcntl = None  # type: ignore[assignment]

# Leftovers of a process killed mid-write end in .tmp; .gitignore skips them.
TEMP_SUFFIX = ".tmp"
STALE_AFTER = 3600.0
LEGACY_STALE_AFTER = 86400.0
_OURS = re.compile(r"\.(?P<name>.+)\.(?P<pid>\d{1,10})\.[0-9a-f]{8}\.tmp")
# Earlier versions: `.NAME.` + 8 random characters (secrets.token_hex or mkstemp) + `.tmp`.
_LEGACY = re.compile(r"\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp")


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
    with atomic_file(path) as stream:
        stream.write(payload)


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A binary stream whose bytes replace `path` when the block ends without error.

    For writers that want a stream (`torch.save`, Pillow). Same guarantees as
    `write_atomic`; stale leftovers in the folder are removed first.
    """
    target = Path(os.path.realpath(path))
    clean_leftovers(target.parent)
    temp, descriptor = _create_temp(target)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
            _keep_mode(target, temp)
            os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _sync_folder(target.parent)


def copy_atomic(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Copy `source` over `target` atomically (best.pt from last.pt)."""
    with open(source, "rb") as reading, atomic_file(target) as stream:
        shutil.copyfileobj(reading, stream, 1 << 20)


def temp_folder(parent: Path, name: str) -> tuple[Path, int]:
    """A new hidden folder `.<name>.<pid>.<random>.tmp` in `parent`, locked like a temp
    file; returns it and the descriptor that holds the lock, or -1 where folders cannot
    be opened (close it after removing the folder). Stale leftovers in `parent` are
    removed first."""
    clean_leftovers(parent)
    for _ in range(100):
        folder = parent / _temp_name(name)
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        try:
            descriptor = os.open(folder, os.O_RDONLY)
        except OSError:  # folders cannot be opened (Windows): the pid and age rules decide
            return folder, -1
        _lock(descriptor)
        return folder, descriptor
    raise FileExistsError(f"could not create a scratch folder in {parent}")


def clean_leftovers(folder: Path) -> list[Path]:
    """Remove the stale temporary files and folders of killed writers in `folder` (see
    the module docstring for when a temp is stale); the removed paths. Never raises."""
    removed: list[Path] = []
    try:
        names = [n for n in os.listdir(folder) if n.startswith(".") and n.endswith(".tmp")]
    except OSError:
        return removed
    for name in names:
        path = Path(folder) / name
        with contextlib.suppress(OSError):
            if _remove_if_stale(path):
                removed.append(path)
    return removed


def _remove_if_stale(path: Path) -> bool:
    ours, legacy = _OURS.fullmatch(path.name), _LEGACY.fullmatch(path.name)
    if ours is None and legacy is None:
        return False
    info = os.lstat(path)
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        return False
    age = time.time() - info.st_mtime
    if ours is not None:
        stale = age > STALE_AFTER or not _alive(int(ours["pid"]))
    else:
        stale = age > LEGACY_STALE_AFTER
    if not stale:
        return False
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                         | getattr(os, "O_NONBLOCK", 0))
    try:
        if not _try_lock(descriptor):
            return False  # a live writer holds it
        if stat.S_ISDIR(os.fstat(descriptor).st_mode):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    finally:
        os.close(descriptor)
    return True


def _temp_name(name: str) -> str:
    return f".{name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}"


def _create_temp(target: Path) -> tuple[Path, int]:
    """A new, empty, locked file beside `target`, with the mode `open()` would give."""
    for _ in range(100):
        temp = target.with_name(_temp_name(target.name))
        try:
            descriptor = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_EXCL
                                 | getattr(os, "O_CLOEXEC", 0), 0o666)
        except FileExistsError:
            continue
        _lock(descriptor)
        return temp, descriptor
    raise FileExistsError(f"could not create a temporary file beside {target}")


def _lock(descriptor: int) -> None:
    if fcntl is not None:
        with contextlib.suppress(OSError):  # a file system without locks: pid and age
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _try_lock(descriptor: int) -> bool:
    if fcntl is None:
        return True
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        return True  # locks unsupported here: the pid and age rules decided
    return True


def _alive(pid: int) -> bool:
    """Whether `pid` is a running process on this machine (a zombie is not)."""
    if pid <= 0:
        return False
    if os.name == "nt":  # os.kill(pid, 0) would end the process there: the age rule decides
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError):
        return True
    with contextlib.suppress(OSError, IndexError):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    return True


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
