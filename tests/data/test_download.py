"""The MNIST-family downloader against a local HTTP server on 127.0.0.1 (no network)."""

from __future__ import annotations

import gzip
import hashlib
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from dlstudio.data import (
    DataError,
    DownloadCancelled,
    DownloadProgress,
    download_mnist_family,
    load_data,
)
from dlstudio.data.download import FAMILIES, FILES

from .conftest import fake_digits, idx_bytes


class FileServer(ThreadingHTTPServer):
    """Serves `files` by name, honours Range, and can break the first response of
    `cut_file` after `cut_at` bytes (to test resuming)."""

    def __init__(self, files: dict[str, bytes]) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.files = files
        self.requests: list[tuple[str, str | None]] = []
        self.cut_file: str | None = None
        self.cut_at = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class Handler(BaseHTTPRequestHandler):
    server: FileServer

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        name = self.path.lstrip("/")
        self.server.requests.append((name, self.headers.get("Range")))
        data = self.server.files.get(name)
        if data is None:
            self.send_error(404, "Not Found")
            return
        start = 0
        if self.headers.get("Range"):
            start = int(self.headers["Range"].removeprefix("bytes=").rstrip("-"))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        if name == self.server.cut_file:
            self.server.cut_file = None
            self.wfile.write(data[start:self.server.cut_at])
            self.close_connection = True
            return
        self.wfile.write(data[start:])

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass


def _fixture_files() -> dict[str, bytes]:
    train_images, train_labels = fake_digits(120)
    test_images, test_labels = fake_digits(30, seed=5)
    arrays = (train_images, train_labels, test_images, test_labels)
    return {name: gzip.compress(idx_bytes(a)) for name, a in zip(FILES, arrays, strict=True)}


@pytest.fixture
def server() -> Iterator[FileServer]:
    httpd = FileServer(_fixture_files())
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _sums(server: FileServer) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in server.files.items()}


def test_download_checks_reports_and_gives_a_loadable_folder(server: FileServer,
                                                             tmp_path: Path) -> None:
    reports: list[DownloadProgress] = []
    folder = download_mnist_family("mnist", tmp_path, base_url=server.url,
                                   checksums=_sums(server), progress=reports.append)
    assert folder == tmp_path / "mnist"
    assert all((folder / name).read_bytes() == server.files[name] for name in FILES)
    assert not list(folder.glob("*.part"))
    last = [r for r in reports if r.file == FILES[0]][-1]
    assert last.done == last.total == len(server.files[FILES[0]]) and last.file_count == 4
    assert [r.file_index for r in reports] == sorted(r.file_index for r in reports)
    bundle = load_data(f"idx:{folder}")
    assert bundle.info.name == "mnist" and len(bundle.test) == 30
    assert bundle.info.image.content_fraction == pytest.approx(20 / 28)
    # present and correct: nothing is fetched again
    before = len(server.requests)
    download_mnist_family("mnist", tmp_path, base_url=server.url, checksums=_sums(server))
    assert len(server.requests) == before


def test_a_checksum_mismatch_is_refused_and_nothing_kept(server: FileServer,
                                                         tmp_path: Path) -> None:
    sums = {**_sums(server), FILES[1]: "0" * 64}
    with pytest.raises(DataError, match=r"train-labels.*SHA-256 is [0-9a-f]{64}, expected 0{64}"):
        download_mnist_family("mnist", tmp_path, base_url=server.url, checksums=sums)
    folder = tmp_path / "mnist"
    assert (folder / FILES[0]).is_file()  # the good file before it stays
    assert not (folder / FILES[1]).exists() and not list(folder.glob("*.part"))


def test_the_published_sums_reject_fixture_files(server: FileServer, tmp_path: Path) -> None:
    with pytest.raises(DataError, match=FAMILIES["kmnist"].sha256[FILES[0]]):
        download_mnist_family("kmnist", tmp_path, base_url=server.url)


def test_an_unreachable_server_gives_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DataError) as caught:
        download_mnist_family("fashion-mnist", tmp_path, base_url=f"http://127.0.0.1:{port}/")
    message = str(caught.value)
    assert "cannot download fashion-mnist" in message and "unreachable" in message
    assert "refused" in message.lower()
    assert f"idx:{tmp_path / 'fashion-mnist'}" in message


def test_a_missing_file_names_the_server_answer(server: FileServer, tmp_path: Path) -> None:
    del server.files[FILES[2]]
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz: the server answered 404"):
        download_mnist_family("mnist", tmp_path, base_url=server.url, checksums=_sums(server)
                              | {FILES[2]: "0" * 64})


def test_cancel_stops_and_keeps_the_part_for_resuming(server: FileServer,
                                                      tmp_path: Path) -> None:
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 1

    with pytest.raises(DownloadCancelled, match="cancelled at train-images"):
        download_mnist_family("mnist", tmp_path, base_url=server.url,
                              checksums=_sums(server), cancel=cancel)
    assert not (tmp_path / "mnist" / FILES[0]).exists()
    assert (tmp_path / "mnist" / (FILES[0] + ".part")).exists()


def test_a_broken_download_resumes_where_it_stopped(server: FileServer,
                                                    tmp_path: Path) -> None:
    server.cut_file, server.cut_at = FILES[0], 1000
    with pytest.raises(DataError, match="connection broke"):
        download_mnist_family("mnist", tmp_path, base_url=server.url, checksums=_sums(server))
    part = tmp_path / "mnist" / (FILES[0] + ".part")
    assert part.stat().st_size == 1000
    folder = download_mnist_family("mnist", tmp_path, base_url=server.url,
                                   checksums=_sums(server))
    assert (folder / FILES[0]).read_bytes() == server.files[FILES[0]]
    assert (FILES[0], "bytes=1000-") in server.requests


def test_unknown_family_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="mnist, fashion-mnist, kmnist"):
        download_mnist_family("cifar", tmp_path)
