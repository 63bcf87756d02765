"""Decompression bombs (a ~110 KB PNG of 30000×30000 pixels) and files that are no
image: one DataError naming the file, its size and the limit, wherever an image file is
read (a folder, `predict`), with no Pillow warning and no pixels allocated."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch
from PIL import Image

from dlstudio.compile import compile_graph
from dlstudio.data import DataError, DataInfo, load_data, preprocess
from dlstudio.data.folders import open_image
from dlstudio.graph.templates import build_template

from ..cli_checks import refused, run  # noqa: TID252 (tests is no package)
from .bad_files import bomb_png
from .conftest import write_png

LIMIT = f"{Image.MAX_IMAGE_PIXELS:,}-pixel limit"


@pytest.fixture(autouse=True)
def _warnings_are_errors() -> None:
    """A DecompressionBombWarning that leaked would fail the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "big.png"
    path.write_bytes(bomb_png())
    assert path.stat().st_size < 200_000
    return path


def test_a_bomb_is_refused_with_its_size(bomb: Path) -> None:
    with pytest.raises(DataError) as caught:
        open_image(bomb, (28, 28), 1)
    assert str(caught.value) == (f"{bomb}: 30000×30000 pixels is over the {LIMIT} for an "
                                 "image (a decompression bomb?)")


@pytest.mark.parametrize(("width", "height", "rows"), [
    (10_000, 10_000, None),  # 100 M pixels: Pillow only warns, and would decode it
    (30_000, 30_000, 1),  # a header that lies, its data cut short
    (1, 200_000_000, 1),  # one pixel wide
])
def test_near_and_cut_short_bombs(tmp_path: Path, width: int, height: int,
                                  rows: int | None) -> None:
    path = tmp_path / "b.png"
    path.write_bytes(bomb_png(width, height, rows))
    with pytest.raises(DataError, match=f"{width}×{height} pixels is over the {LIMIT}"):
        open_image(path, (28, 28), 3)


@pytest.mark.parametrize("position", ["first", "later"])
def test_a_bomb_in_an_image_folder(tmp_path: Path, bomb: Path, position: str) -> None:
    for i in range(3):
        write_png(tmp_path / "cats" / f"{i}.png", (8, 8), (200, 10, 10))
        write_png(tmp_path / "dogs" / f"{i}.png", (8, 8), (10, 10, 200))
    name = "000.png" if position == "first" else "zzz.png"
    (tmp_path / "dogs" / name).write_bytes(bomb.read_bytes())
    with pytest.raises(DataError, match=rf"dogs/{name}: 30000×30000 pixels is over"):
        load_data(f"folder:{tmp_path}", val_fraction=0.0)


def test_preprocess_refuses_a_bomb_path(bomb: Path) -> None:
    info = DataInfo(name="x", kind="image", task="classification", input_shape=(1, 28, 28),
                    class_names=tuple("0123456789"))
    with pytest.raises(DataError, match="30000×30000 pixels"):
        preprocess(info, bomb)


@pytest.mark.parametrize("content", [b"", b"GIF89a", b"\x89PNG\r\n\x1a\n" + bytes(30),
                                     b"\xff\xd8\xff\xe0" + bytes(10)])
def test_broken_files_are_one_data_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.png"
    path.write_bytes(content)
    with pytest.raises(DataError, match="cannot read image .*x.png"):
        open_image(path, (8, 8), 1)


def test_predict_refuses_a_bomb_in_one_line(tmp_path: Path, bomb: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    torch.manual_seed(0)
    weights = tmp_path / "w.pt"
    torch.save(compile_graph(build_template("cnn-small")).state_dict(), weights)
    code, out, err = run(capsys, "predict", "--template", "cnn-small", "--weights",
                         str(weights), str(bomb))
    loaded, error = err.splitlines()  # the weights' load report, then the refusal
    assert code == 2 and out == "" and loaded.startswith("loaded 6 tensors")
    refused("predict", code, out, error + "\n", f"{bomb}: 30000×30000 pixels is over")


def test_threads_reading_images_at_once_leave_the_warning_filters_as_they_were(
        tmp_path: Path) -> None:
    """The app reads images in two threads (Try it, a run's loader): each read's
    save-and-restore of the warning filters stays paired (dlstudio.quiet's lock), so
    warnings are neither switched off for good nor let through mid-read."""
    import threading

    near = tmp_path / "near.png"  # 100 M pixels: Pillow warns inside Image.open
    near.write_bytes(bomb_png(10_000, 10_000, rows=1))
    small = tmp_path / "small.png"
    Image.new("L", (8, 8)).save(small)
    before = list(warnings.filters)
    failures: list[BaseException] = []

    def reads() -> None:
        try:
            for _ in range(150):
                assert open_image(small, (8, 8), 1).size == (8, 8)
                with pytest.raises(DataError):
                    open_image(near, (8, 8), 1)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=reads) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert warnings.filters == before
