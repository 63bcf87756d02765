"""`dlstudio download`: CIFAR-10 from a local HTTP server named by $DLSTUDIO_DATA_URL, the
spec it prints trains cnn-small for an epoch; a wrong checksum exits 2 in one line."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from dlstudio.cli.download import NAMES
from dlstudio.data import downloadable
from dlstudio.data.download import ARCHIVES, DATA_URL_VARIABLE

from .cli_checks import refused, run
from .data.cifar_files import cifar_files, cifar_tar_gz
from .data.test_download import FileServer

FILE = f"cifar10/{ARCHIVES['cifar10'].file}"


@pytest.fixture
def mirror(monkeypatch: pytest.MonkeyPatch) -> Iterator[FileServer]:
    """A mirror of the layout $DLSTUDIO_DATA_URL expects, holding a small CIFAR-10."""
    httpd = FileServer({FILE: cifar_tar_gz(cifar_files(per_batch=40, test=40))})
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    monkeypatch.setenv(DATA_URL_VARIABLE, httpd.url)
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_download_prints_a_spec_that_trains(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path, mirror: FileServer,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # The fixture archive is not the published one: trust its own MD5 for this run.
    md5 = hashlib.md5(mirror.files[FILE]).hexdigest()
    monkeypatch.setitem(ARCHIVES, "cifar10", dataclasses.replace(ARCHIVES["cifar10"], md5=md5))
    code, out, err = run(capsys, "download", "cifar10", "--cache", str(tmp_path / "cache"))
    assert code == 0, err
    spec = out.strip()
    assert spec == f"cifar10:{tmp_path / 'cache' / 'cifar10'}"
    assert f"ready in {tmp_path / 'cache' / 'cifar10'}" in err
    code, out, err = run(capsys, "download", "cifar10", "--cache", str(tmp_path / "cache"),
                         "--json")
    assert code == 0 and json.loads(out)["spec"] == spec
    assert len(mirror.requests) == 1  # the second call found it complete
    code, out, err = run(capsys, "train", "--template", "cnn-small", "--data", spec,
                         "--epochs", "1", "--batch-size", "40", "--device", "cpu",
                         "--out", str(tmp_path / "run"), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert len(result["epochs"]) == 1 and Path(result["checkpoint"]).is_file()


def test_a_checksum_mismatch_exits_2_in_one_line(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path, mirror: FileServer) -> None:
    code, out, err = run(capsys, "download", "cifar10", "--cache", str(tmp_path))
    refused("download", code, out, err, "MD5 is", "expected c58f30108f718f92721af3b95e74349a",
            f"cifar10:{tmp_path / 'cifar10'}")


def test_an_unknown_set_is_refused_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "download", "cifar100")
    assert code == 2 and "invalid choice: 'cifar100'" in err and "cifar10" in err


def test_the_command_lists_every_downloadable_set() -> None:
    assert list(NAMES) == downloadable()


def test_a_mirror_that_is_not_a_url_exits_2_in_one_line(capsys: pytest.CaptureFixture[str],
                                                        tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATA_URL_VARIABLE, "mirror.example/data")
    code, out, err = run(capsys, "download", "kmnist", "--cache", str(tmp_path))
    refused("download", code, out, err, "$DLSTUDIO_DATA_URL 'mirror.example/data' is not a URL")
