"""Fixtures that write real small data files: IDX (raw and gzipped) and PNG folders."""

from __future__ import annotations

import gzip
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

IDX_CODES = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D}

WriteIdx = Callable[[Path, np.ndarray], Path]


def idx_bytes(array: np.ndarray) -> bytes:
    array = np.ascontiguousarray(array)
    code = IDX_CODES[array.dtype]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


@pytest.fixture
def write_idx() -> WriteIdx:
    """write_idx(path, array): an IDX file, gzipped when the name ends in .gz."""

    def write(path: Path, array: np.ndarray) -> Path:
        data = idx_bytes(array)
        path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
        return path

    return write


def fake_digits(count: int, size: int = 28, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images whose label is drawn as a bright bar at row = label: learnable."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=count).astype(np.uint8)
    images = rng.integers(0, 40, size=(count, size, size)).astype(np.uint8)
    for i, label in enumerate(labels):
        row = 2 + int(label) * (size - 4) // 10
        images[i, row:row + 2, 2:-2] = 255
    return images, labels


@pytest.fixture
def mnist_folder(tmp_path: Path, write_idx: WriteIdx) -> Path:
    """An MNIST-style folder: 200 training images (gz) and 50 test images (raw)."""
    folder = tmp_path / "mnist-like"
    folder.mkdir()
    images, labels = fake_digits(200)
    write_idx(folder / "train-images-idx3-ubyte.gz", images)
    write_idx(folder / "train-labels-idx1-ubyte.gz", labels)
    images, labels = fake_digits(50, seed=1)
    write_idx(folder / "t10k-images-idx3-ubyte", images)
    write_idx(folder / "t10k-labels-idx1-ubyte", labels)
    return folder


def write_png(path: Path, size: tuple[int, int], colour: tuple[int, int, int],
              mode: str = "RGB") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).convert(mode).save(path)
    return path


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    """Two classes of 12 solid-colour 20×16 PNGs each: red ones and blue ones."""
    folder = tmp_path / "shapes"
    for i in range(12):
        write_png(folder / "red" / f"r{i:02d}.png", (20, 16), (200 + i, 10, 10))
        write_png(folder / "blue" / f"b{i:02d}.png", (20, 16), (10, 10, 200 + i))
    return folder
