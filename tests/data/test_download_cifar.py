"""The CIFAR-10 download against a local HTTP server serving a small archive made here."""

from __future__ import annotations

import hashlib
import io
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from dlstudio.data import DataError, DownloadCancelled, DownloadProgress, load_data
from dlstudio.data.download import (
    ARCHIVES,
    CHUNK,
    DATA_URL_VARIABLE,
    download_archive,
    download_dataset,
    download_spec,
    downloadable,
)

from .cifar_files import cifar_files, cifar_tar_gz
from .test_download import FileServer

ARCHIVE = ARCHIVES["cifar10"].file


@pytest.fixture
def server() -> Iterator[FileServer]:
    httpd = FileServer({ARCHIVE: cifar_tar_gz(cifar_files(per_batch=8, test=12))})
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _md5(server: FileServer, name: str = ARCHIVE) -> dict[str, str]:
    """The `checksums` argument that trusts the served archive."""
    return {ARCHIVE: hashlib.md5(server.files[name]).hexdigest()}


def test_download_checks_unpacks_and_gives_a_loadable_folder(server: FileServer,
                                                             tmp_path: Path) -> None:
    reports: list[DownloadProgress] = []
    folder = download_archive("cifar10", tmp_path, base_url=server.url,
                              checksums=_md5(server), progress=reports.append)
    assert folder == tmp_path / "cifar10"
    assert sorted(p.name for p in (folder / "cifar-10-batches-py").iterdir()) == sorted(
        ARCHIVES["cifar10"].files)
    assert not list(folder.glob("*.tar.gz*")) and not list(folder.glob(".*"))
    last = reports[-1]
    assert last.done == last.total == len(server.files[ARCHIVE])
    assert (last.dataset, last.file, last.file_count) == ("cifar10", ARCHIVE, 1)
    spec = download_spec("cifar10", folder)
    assert spec == f"cifar10:{folder}"
    bundle = load_data(spec, val_fraction=0.25)
    assert (len(bundle.train), len(bundle.val), len(bundle.test)) == (30, 10, 12)
    before = len(server.requests)
    download_archive("cifar10", tmp_path, base_url=server.url, checksums=_md5(server))
    assert len(server.requests) == before  # unpacked and complete: nothing fetched


def test_the_published_md5_refuses_other_files(server: FileServer, tmp_path: Path) -> None:
    with pytest.raises(DataError) as caught:
        download_archive("cifar10", tmp_path, base_url=server.url)
    message = str(caught.value)
    assert f"MD5 is {_md5(server)[ARCHIVE]}, expected c58f30108f718f92721af3b95e74349a" in message
    assert f"load them with cifar10:{tmp_path / 'cifar10'}" in message
    assert not list((tmp_path / "cifar10").iterdir())  # the bad download was deleted


def test_the_data_url_variable_replaces_the_mirrors(server: FileServer, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    server.files[f"cifar10/{ARCHIVE}"] = server.files.pop(ARCHIVE)
    monkeypatch.setenv(DATA_URL_VARIABLE, server.url.rstrip("/"))
    folder = download_dataset("cifar10", tmp_path,
                              checksums=_md5(server, f"cifar10/{ARCHIVE}"))
    assert (folder / "cifar-10-batches-py" / "test_batch").is_file()
    assert server.requests == [(f"cifar10/{ARCHIVE}", None)]


def test_cancel_keeps_the_part_and_a_second_try_resumes(server: FileServer,
                                                        tmp_path: Path) -> None:
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) == 2  # after the first chunk

    assert len(server.files[ARCHIVE]) > 2 * CHUNK
    with pytest.raises(DownloadCancelled, match="download of cifar10 cancelled"):
        download_archive("cifar10", tmp_path, base_url=server.url, checksums=_md5(server),
                         cancel=cancel)
    part = tmp_path / "cifar10" / (ARCHIVE + ".part")
    size = part.stat().st_size
    assert 0 < size < len(server.files[ARCHIVE])
    folder = download_archive("cifar10", tmp_path, base_url=server.url,
                              checksums=_md5(server))
    assert (folder / "cifar-10-batches-py" / "data_batch_5").is_file()
    assert server.requests[-1] == (ARCHIVE, f"bytes={size}-")


def _archive(*members: tarfile.TarInfo, data: bytes = b"x") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, contents in cifar_files(per_batch=2, test=2, batches=5).items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(contents)
            tar.addfile(info, io.BytesIO(contents))
        for member in members:
            member.size = len(data) if member.isfile() else 0
            tar.addfile(member, io.BytesIO(data) if member.isfile() else None)
    return buffer.getvalue()


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


@pytest.mark.parametrize(("member", "expected"), [
    (_member("../escaped"), "its path leads outside"),
    (_member("/tmp/absolute"), "its path leads outside"),
    (_member("cifar-10-batches-py/../../escaped"), "its path leads outside"),
    (_member("cifar-10-batches-py/link", tarfile.SYMTYPE, "/etc/passwd"), "it is a link"),
    (_member("cifar-10-batches-py/hard", tarfile.LNKTYPE, "/etc/passwd"), "it is a link"),
    (_member("cifar-10-batches-py/fifo", tarfile.FIFOTYPE), "it is not a plain file or folder"),
])
def test_unsafe_archives_are_refused_whole(server: FileServer, tmp_path: Path,
                                           member: tarfile.TarInfo, expected: str) -> None:
    server.files[ARCHIVE] = _archive(member)
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match=f"refusing to unpack '{member.name}': {expected}"):
        download_archive("cifar10", cache, base_url=server.url, checksums=_md5(server))
    assert not (tmp_path / "escaped").exists() and not (cache / "escaped").exists()
    assert not list((cache / "cifar10").iterdir())  # nothing unpacked, archive deleted


def test_an_archive_without_the_batches_is_named(server: FileServer, tmp_path: Path) -> None:
    server.files[ARCHIVE] = cifar_tar_gz(cifar_files(per_batch=2, batches=3))
    with pytest.raises(DataError, match="the archive lacks data_batch_4, data_batch_5 in "
                                        "cifar-10-batches-py/"):
        download_archive("cifar10", tmp_path, base_url=server.url, checksums=_md5(server))


def test_the_downloadable_sets_and_their_specs(tmp_path: Path) -> None:
    assert downloadable() == ["mnist", "fashion-mnist", "kmnist", "cifar10"]
    assert download_spec("kmnist", tmp_path) == f"idx:{tmp_path}"
    with pytest.raises(DataError, match="choose one of: mnist, fashion-mnist, kmnist, cifar10"):
        download_dataset("cifar100", tmp_path)
