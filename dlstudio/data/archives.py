"""Unpack a downloaded tar archive without trusting it.

An archive can name `../../.bashrc`, an absolute path, a link to anywhere or a device.
Every member is checked first and the whole archive refused if one of them is not a
plain file or folder inside the target; files are then written by this code (never by
`tarfile.extract`), into a scratch folder that is renamed into place only when complete.
"""

from __future__ import annotations

import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from dlstudio.data.errors import DataError, DownloadCancelled

CHUNK = 1 << 20


def _check(info: tarfile.TarInfo, archive: Path) -> PurePosixPath:
    """The member's relative path, or DataError when it must not be unpacked."""
    path = PurePosixPath(info.name)
    if path.is_absolute() or ".." in path.parts or "\\" in info.name or ":" in info.name:
        raise DataError(f"{archive}: refusing to unpack {info.name!r}: its path leads "
                        "outside the target folder")
    if not (info.isfile() or info.isdir()):
        kind = "a link" if info.issym() or info.islnk() else "not a plain file or folder"
        raise DataError(f"{archive}: refusing to unpack {info.name!r}: it is {kind}")
    return path


def extract_tar(archive: Path, target: Path, wanted: str,
                cancel: Callable[[], bool] | None = None) -> Path:
    """Unpack `archive` and move its top folder `wanted` to `target/wanted`, replacing an
    older (incomplete) copy there. DataError names the archive and the member."""
    scratch = target / f".{wanted}.unpacking"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = [(info, _check(info, archive)) for info in tar.getmembers()]
            for info, path in members:
                if cancel is not None and cancel():
                    raise DownloadCancelled(f"unpacking {archive.name} cancelled; the "
                                            "archive is kept")
                out = scratch.joinpath(*path.parts)
                if info.isdir():
                    out.mkdir(parents=True, exist_ok=True)
                    continue
                out.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(info)
                assert source is not None  # a regular file always has one
                with source, open(out, "wb") as sink:
                    shutil.copyfileobj(source, sink, CHUNK)
        if not (scratch / wanted).is_dir():
            raise DataError(f"{archive}: the archive holds no {wanted}/ folder")
        final = target / wanted
        shutil.rmtree(final, ignore_errors=True)
        (scratch / wanted).rename(final)
        return final
    except (tarfile.TarError, EOFError, OSError) as error:
        raise DataError(f"{archive}: cannot unpack ({error or 'cut short'})") from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
