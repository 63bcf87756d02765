"""Raw input -> model input from DataInfo alone gives what training gave."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from dlstudio.data import DataError, DataInfo, load_data, preprocess


def _checkpointed(info: DataInfo) -> DataInfo:
    """What predict sees: the info after a trip through a checkpoint's JSON."""
    return DataInfo.from_dict(json.loads(json.dumps(info.to_dict())))


def test_an_image_preprocesses_as_in_training(tmp_path: Path) -> None:
    bundle = load_data("builtin:digits28")
    info = _checkpointed(bundle.info)
    trained, _ = next(bundle.train.batches(1))
    pixels = bundle.train.x[0, 0].numpy()  # digits28 is stored as 0..1 pixels
    assert torch.allclose(preprocess(info, pixels), trained[0], atol=1e-5)
    as_uint8 = (pixels * 255).round().astype(np.uint8)
    from_pil = preprocess(info, Image.fromarray(as_uint8))
    assert from_pil.shape == (1, 28, 28)
    assert torch.allclose(from_pil, trained[0], atol=0.02)
    Image.fromarray(as_uint8).convert("RGB").save(tmp_path / "drawn.png")
    assert torch.allclose(preprocess(info, tmp_path / "drawn.png"), from_pil, atol=0.02)


def test_a_large_drawing_is_resized_to_the_input() -> None:
    info = load_data("builtin:digits").info
    drawing = np.zeros((280, 280), dtype=np.uint8)
    drawing[40:240, 120:160] = 255
    x = preprocess(info, drawing)
    assert x.shape == (1, 8, 8) and float(x[0, :, 3:5].mean()) > float(x[0, :, 0].mean())


def test_text_becomes_the_codes_of_its_last_40_characters() -> None:
    info = _checkpointed(load_data("builtin:text").info)
    ids = preprocess(info, "Alice \u00e9")
    assert ids.dtype == torch.int64 and ids.shape == (40,)
    assert ids[-7:].tolist() == [ord(c) for c in "Alice ?"]
    assert ids[:33].tolist() == [ord(" ")] * 33
    long_text = "x" * 50 + "the end"
    assert preprocess(info, long_text)[-7:].tolist() == [ord(c) for c in "the end"]


def test_numbers_from_text_or_arrays_are_normalised_like_training(tmp_path: Path) -> None:
    xor = _checkpointed(load_data("builtin:xor").info)
    assert preprocess(xor, "0.5, 1").tolist() == [0.5, 1.0]
    path = tmp_path / "t.csv"
    path.write_text("a,b,y\n" + "".join(f"{i},{i * i},{i % 2}\n" for i in range(20)))
    bundle = load_data(f"csv:{path}")
    trained, _ = next(bundle.train.batches(1))
    raw = bundle.train.x[0].tolist()
    assert torch.allclose(preprocess(_checkpointed(bundle.info), raw), trained[0], atol=1e-5)
    with pytest.raises(DataError, match="takes vectors of 2 features .2 numbers.; got 3"):
        preprocess(xor, [1, 2, 3])
    with pytest.raises(DataError, match="is not a list of numbers"):
        preprocess(xor, "one, two")


def test_sequences_take_their_full_shape() -> None:
    info = load_data("builtin:sine").info
    assert preprocess(info, np.zeros(50)).shape == (50, 1)
