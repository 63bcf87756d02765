"""IDX files, raw and gzipped, read back; MNIST-style folders become bundles."""

from __future__ import annotations

import gzip
import json
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from dlstudio.data import DataError, load_data
from dlstudio.data.idx import read_idx

from .bad_files import raw_idx
from .conftest import WriteIdx, fake_digits, idx_bytes


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_read_idx_returns_the_written_array(tmp_path: Path, write_idx: WriteIdx,
                                            name: str) -> None:
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    assert np.array_equal(read_idx(write_idx(tmp_path / name, array)), array)


def test_read_idx_handles_wider_types(tmp_path: Path, write_idx: WriteIdx) -> None:
    floats = np.linspace(-1, 1, 6, dtype=">f4").reshape(2, 3)
    ints = np.array([70000, -5], dtype=">i4")
    assert np.allclose(read_idx(write_idx(tmp_path / "f", floats)), floats)
    assert read_idx(write_idx(tmp_path / "i", ints)).tolist() == [70000, -5]


def test_read_idx_names_the_broken_file(tmp_path: Path) -> None:
    bad = tmp_path / "not-idx"
    bad.write_bytes(b"hello world")
    with pytest.raises(DataError, match="not-idx is not an IDX file"):
        read_idx(bad)
    short = tmp_path / "short.gz"
    short.write_bytes(gzip.compress(idx_bytes(np.zeros((4, 2, 2), np.uint8))[:-3]))
    with pytest.raises(DataError, match=r"short.gz: the header promises 4×2×2"):
        read_idx(short)


def test_idx_folder_loads_with_its_official_test_set(mnist_folder: Path) -> None:
    bundle = load_data(f"idx:{mnist_folder}", seed=2, val_fraction=0.1, test_fraction=0.3)
    info = bundle.info
    assert (len(bundle.train), len(bundle.val), len(bundle.test)) == (180, 20, 50)
    assert info.input_shape == (1, 28, 28) and info.class_names == tuple("0123456789")
    assert info.name == "mnist-like" and info.source == f"idx:{mnist_folder}"
    assert bundle.train.x.dtype == torch.uint8  # stored compactly, scaled per batch
    x, y = next(bundle.test.batches(50))
    assert x.shape == (50, 1, 28, 28) and x.dtype == torch.float32
    images, labels = fake_digits(50, seed=1)
    assert torch.equal(y, torch.from_numpy(labels.astype(np.int64)))
    assert info.image.original_size == (28, 28) and info.allowed_flips == ()


def test_idx_folder_resizes_and_converts_per_batch(mnist_folder: Path) -> None:
    bundle = load_data(f"idx:{mnist_folder}", image_size=(14, 16), channels=3)
    assert bundle.info.input_shape == (3, 14, 16)
    assert bundle.train.x.shape[1:] == (1, 28, 28)
    x, _ = next(bundle.train.batches(4))
    assert x.shape == (4, 3, 14, 16) and torch.equal(x[:, 0], x[:, 2])


def test_dataset_json_names_the_classes(mnist_folder: Path) -> None:
    names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    (mnist_folder / "dataset.json").write_text(json.dumps(
        {"name": "words", "class_names": names, "allowed_flips": ["horizontal"],
         "content_fraction": 0.7}))
    info = load_data(f"idx:{mnist_folder}").info
    assert info.name == "words" and info.class_names == tuple(names)
    assert info.allowed_flips == ("horizontal",) and info.image.content_fraction == 0.7
    (mnist_folder / "dataset.json").write_text(json.dumps({"class_names": "zero"}))
    with pytest.raises(DataError, match="dataset.json: field 'class_names'"):
        load_data(f"idx:{mnist_folder}")


def test_idx_folder_problems_are_named(tmp_path: Path, write_idx: WriteIdx) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load_data(f"idx:{tmp_path / 'missing'}")
    with pytest.raises(DataError, match="no train-images"):
        load_data(f"idx:{tmp_path}")
    images, labels = fake_digits(10)
    write_idx(tmp_path / "train-images-idx3-ubyte", images)
    with pytest.raises(DataError, match="found train-images-idx3-ubyte but no matching labels"):
        load_data(f"idx:{tmp_path}")
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels[:7])
    with pytest.raises(DataError, match="7 labels for 10 images"):
        load_data(f"idx:{tmp_path}")


# ----- damaged and hostile files ---------------------------------------------------------
def _part(folder: Path, images: bytes, labels: bytes, gz: bool = False) -> Path:
    folder.mkdir(exist_ok=True)
    pack = gzip.compress if gz else (lambda b: b)
    (folder / "train-images-idx3-ubyte").write_bytes(pack(images))
    (folder / "train-labels-idx1-ubyte").write_bytes(pack(labels))
    return folder


@pytest.mark.parametrize("gz", [False, True])
def test_zero_images_is_one_clear_error(tmp_path: Path, gz: bool) -> None:
    folder = _part(tmp_path / "empty", raw_idx((0, 28, 28)), raw_idx((0,)), gz)
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte holds 0 images"):
        load_data(f"idx:{folder}")


def test_empty_images_and_label_mismatch(tmp_path: Path) -> None:
    folder = _part(tmp_path / "flat", raw_idx((5, 0, 28)), raw_idx((5,)))
    with pytest.raises(DataError, match=r"its images are 0×28 pixels, empty"):
        load_data(f"idx:{folder}")
    folder = _part(tmp_path / "miscount", raw_idx((5, 4, 4)), raw_idx((4,)))
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte: 4 labels for 5 images"):
        load_data(f"idx:{folder}")


def test_huge_labels_and_nan_pixels_are_refused(tmp_path: Path) -> None:
    labels = raw_idx((2,), struct.pack(">2i", 0, 2_000_000_000), type_code=0x0C)
    folder = _part(tmp_path / "huge", raw_idx((2, 4, 4)), labels)
    with pytest.raises(DataError, match=r"a label of 2000000000 is more classes"):
        load_data(f"idx:{folder}")
    pixels = struct.pack(">32f", *([float("nan")] + [0.0] * 31))
    folder = _part(tmp_path / "nan", raw_idx((2, 4, 4), pixels, type_code=0x0D),
                   raw_idx((2,)))
    with pytest.raises(DataError, match=r"NaN, infinite"):
        load_data(f"idx:{folder}")


@pytest.mark.parametrize("gz", [False, True])
def test_a_header_claiming_terabytes_allocates_nothing(tmp_path: Path, gz: bool) -> None:
    """4 billion × 4 million × 255 values (4 EB) declared over 20 real bytes: refused from
    the file's size, not by trying to make the array."""
    data = raw_idx((4_000_000_000, 4_000_000, 255), bytes(20))
    path = tmp_path / "lie"
    path.write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(DataError, match=r"4000000000×4000000×255 values .* holds 20 bytes"):
        read_idx(path)


def test_truncated_and_overlong_files(tmp_path: Path) -> None:
    path = tmp_path / "cut"
    for data, words in [(raw_idx((3, 4, 4))[:-1], "holds 47 bytes"),
                        (raw_idx((3, 4, 4)) + b"x", "holds more"),
                        (bytes([0, 0, 8, 0]), "declares no dimensions"),
                        (bytes([0, 0, 8, 3, 0, 0]), "header is cut short"),
                        (gzip.compress(raw_idx((3, 4, 4)))[:-9], "cannot read IDX file")]:
        path.write_bytes(data)
        with pytest.raises(DataError, match=words):
            read_idx(path)


def test_a_gzip_bomb_is_not_unpacked_past_its_header(tmp_path: Path) -> None:
    """A header promising 16 bytes, then 20 MB of zeros packed into ~20 KB."""
    path = tmp_path / "bomb.gz"
    path.write_bytes(gzip.compress(raw_idx((1, 4, 4)) + bytes(20_000_000), 9))
    with pytest.raises(DataError, match=r"promises 1×4×4 values \(16 bytes\) but the file "
                                        r"holds more"):
        read_idx(path)


def test_sizes_too_large_even_around_a_zero(tmp_path: Path) -> None:
    """0×2³¹×2³¹ holds no values but is no array numpy can make (found by fuzzing)."""
    path = tmp_path / "zero"
    path.write_bytes(raw_idx((0, 2, 2**31, 2**31)))
    with pytest.raises(DataError, match=r"sizes 0×2×2147483648×2147483648 are too large"):
        read_idx(path)


@pytest.mark.parametrize("code", [0x0D, 0x0E])
def test_float_images_load_in_native_byte_order(tmp_path: Path, code: int) -> None:
    """Big-endian float pixels (found by fuzzing: torch refused their byte order)."""
    pixels = np.linspace(0, 1, 6 * 4 * 4).reshape(6, 4, 4)
    big = pixels.astype(">f4" if code == 0x0D else ">f8").tobytes()
    folder = _part(tmp_path / "floats", raw_idx((6, 4, 4), big, type_code=code),
                   raw_idx((6,), bytes([0, 1, 0, 1, 0, 1])))
    bundle = load_data(f"idx:{folder}", val_fraction=0.0)
    assert bundle.info.input_shape == (1, 4, 4)
    x = torch.cat([x for x, _ in bundle.train.batches(6)])
    assert x.shape == (6, 1, 4, 4) and torch.isfinite(x).all() and x.std() > 0


def test_float64_pixels_beyond_float32_are_refused(tmp_path: Path) -> None:
    """1e300 is a fine float64 but infinite as the float32 a model trains in; 1e30 is
    the most that standardising keeps finite (found by fuzzing)."""
    big = np.array([1e300] + [0.0] * 15, ">f8").tobytes()
    folder = _part(tmp_path / "big", raw_idx((1, 4, 4), big, type_code=0x0E), raw_idx((1,)))
    with pytest.raises(DataError, match=r"NaN, infinite or beyond ±1e\+30, too large"):
        load_data(f"idx:{folder}")
