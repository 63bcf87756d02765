"""Image folders: PNGs written by Pillow stream through a DataLoader, resized, gray/RGB."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dlstudio.data import DataError, StreamingSplit, load_data

from .conftest import write_png


def test_folder_classes_sizes_and_streaming_batches(image_folder: Path) -> None:
    bundle = load_data(f"folder:{image_folder}", val_fraction=0.25, test_fraction=0.25)
    info = bundle.info
    assert info.class_names == ("blue", "red") and info.input_shape == (3, 16, 20)
    assert isinstance(bundle.train, StreamingSplit) and not bundle.train.in_memory
    assert (len(bundle.train), len(bundle.val), len(bundle.test)) == (12, 6, 6)
    seen = []
    for x, y in bundle.train.batches(5, shuffle=True, generator=torch.Generator().manual_seed(0)):
        assert x.shape[1:] == (3, 16, 20) and x.dtype == torch.float32
        # red images have their colour in channel 0, blue ones in channel 2
        assert torch.equal((x[:, 0].mean((1, 2)) > x[:, 2].mean((1, 2))).long(), y)
        seen += y.tolist()
    assert len(seen) == 12
    raw, label = bundle.train.dataset[0]
    assert float(raw.min()) >= 0.0 and float(raw.max()) <= 1.0 and label in (0, 1)
    assert info.image.polarity is None and info.allowed_flips == ("horizontal",)


def test_folder_resizes_to_gray(image_folder: Path) -> None:
    bundle = load_data(f"folder:{image_folder}", image_size=8, channels=1)
    x, _ = next(bundle.train.batches(4))
    assert bundle.info.input_shape == (1, 8, 8) and x.shape == (4, 1, 8, 8)


def test_gray_images_default_to_one_channel(tmp_path: Path) -> None:
    for i in range(3):
        write_png(tmp_path / "g" / "a" / f"{i}.png", (6, 6), (10, 10, 10), mode="L")
        write_png(tmp_path / "g" / "b" / f"{i}.png", (6, 6), (240, 240, 240), mode="L")
    assert load_data(f"folder:{tmp_path / 'g'}").info.input_shape == (1, 6, 6)


def test_a_presplit_folder_keeps_its_split(tmp_path: Path) -> None:
    root = tmp_path / "pre"
    for split, count in (("train", 5), ("val", 2), ("test", 3)):
        for name, colour in (("cat", (200, 0, 0)), ("dog", (0, 0, 200))):
            for i in range(count):
                write_png(root / split / name / f"{i}.png", (4, 4), colour)
    bundle = load_data(f"folder:{root}")
    assert (len(bundle.train), len(bundle.val), len(bundle.test)) == (10, 4, 6)
    write_png(root / "test" / "bird" / "0.png", (4, 4), (0, 200, 0))
    with pytest.raises(DataError, match="class folder 'bird' is not among the training"):
        load_data(f"folder:{root}")


def test_folder_problems_are_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load_data(f"folder:{tmp_path / 'none'}")
    write_png(tmp_path / "one" / "only" / "0.png", (4, 4), (1, 2, 3))
    with pytest.raises(DataError, match=r"at least 2; found 1 \(only\)"):
        load_data(f"folder:{tmp_path / 'one'}")
    write_png(tmp_path / "bad" / "a" / "0.png", (4, 4), (1, 2, 3))
    (tmp_path / "bad" / "b").mkdir()
    (tmp_path / "bad" / "b" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match="cannot read image .*broken.png"):
        load_data(f"folder:{tmp_path / 'bad'}", val_fraction=0.0, image_size=4, channels=3)
