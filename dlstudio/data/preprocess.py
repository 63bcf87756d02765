"""Raw input -> model input, from a checkpoint's `DataInfo` alone (predict, drawing pad).

Applies the same steps as training: gray/RGB, size, 0..1 pixels, normalisation; text
becomes the codes of its last characters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from dlstudio.data.errors import DataError
from dlstudio.data.folders import image_to_tensor, open_image
from dlstudio.data.info import DataInfo
from dlstudio.data.pipeline import BatchPipeline, convert_channels, resize_images
from dlstudio.graph.shape_text import format_shape

PAD = " "
UNKNOWN = "?"


def preprocess(info: DataInfo, raw: Any) -> torch.Tensor:
    """One sample shaped `info.input_shape` (no batch axis), on the CPU.

    Images: a Pillow image, an image file path, or an array (H, W) / (H, W, C) of uint8
    0..255 or floats 0..1. Vectors and sequences: numbers (a list, an array, or text
    like "0.5, 1.2"). Tokens: text (its last characters are used, padded on the left).
    """
    if info.kind == "image":
        return _image(info, raw)
    if info.kind == "tokens":
        return _tokens(info, raw)
    return _numbers(info, raw)


def _image(info: DataInfo, raw: Any) -> torch.Tensor:
    channels, height, width = info.input_shape
    if isinstance(raw, (str, Path)):
        raw = open_image(Path(raw), (height, width), channels)
    if isinstance(raw, Image.Image):
        converted = raw.convert("L" if channels == 1 else "RGB")
        if converted.size != (width, height):
            converted = converted.resize((width, height), Image.Resampling.BILINEAR)
        x = image_to_tensor(converted)[None]
    else:
        x = _array_image(np.asarray(raw), info)
        x = resize_images(convert_channels(x, channels), (height, width))
    return BatchPipeline("image", normalisation=info.normalisation)(x)[0]


def _array_image(array: np.ndarray, info: DataInfo) -> torch.Tensor:
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[2] not in (1, 3, 4):
        raise DataError(f"an image array must be height×width or height×width×channels; "
                        f"got {format_shape(array.shape)} for {info.name}")
    if array.shape[2] == 4:
        array = array[:, :, :3]
    if array.dtype == np.uint8:
        values = array.astype(np.float32) / 255.0
    else:
        values = array.astype(np.float32)
    return torch.from_numpy(np.ascontiguousarray(values.transpose(2, 0, 1)))[None]


def _tokens(info: DataInfo, raw: Any) -> torch.Tensor:
    (steps,) = info.input_shape
    if not isinstance(raw, str):
        ids = torch.as_tensor(np.asarray(raw), dtype=torch.int64).flatten()
        if ids.numel() != steps or ids.min() < 0 or ids.max() >= info.num_classes:
            raise DataError(f"{info.name} takes {steps} token ids below {info.num_classes}")
        return ids
    index = {name: i for i, name in enumerate(info.class_names)}
    if PAD not in index or UNKNOWN not in index:
        raise DataError(f"{info.name}: its vocabulary has no {PAD!r} or {UNKNOWN!r} to pad "
                        "or replace characters with")
    text = raw[-steps:].rjust(steps, PAD)
    return torch.tensor([index.get(c, index[UNKNOWN]) for c in text], dtype=torch.int64)


def _numbers(info: DataInfo, raw: Any) -> torch.Tensor:
    if isinstance(raw, str):
        try:
            raw = [float(v) for v in raw.replace(",", " ").split()]
        except ValueError:
            raise DataError(f"{raw!r} is not a list of numbers for {info.name}") from None
    x = torch.as_tensor(np.asarray(raw, dtype=np.float32))
    expected = int(np.prod(info.input_shape))
    if x.numel() != expected:
        raise DataError(f"{info.name} takes {info.describe_input()} ({expected} numbers); "
                        f"got {x.numel()}")
    x = x.reshape(1, *info.input_shape)
    return BatchPipeline(info.kind, normalisation=info.normalisation)(x)[0]
