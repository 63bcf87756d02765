"""Shared by every in-memory image set (built-in digits, IDX files): the pipeline that
applies the size and channel options per batch, and the bundle with its `DataInfo`."""

from __future__ import annotations

import torch

from dlstudio.data.info import DataInfo, ImageFacts
from dlstudio.data.options import LoadOptions, parse_size
from dlstudio.data.pipeline import BatchPipeline
from dlstudio.data.splits import DataBundle, in_memory_bundle


def image_bundle(x: torch.Tensor, y: torch.Tensor, *, name: str, source: str,
                 description: str, scale: float, class_names: tuple[str, ...],
                 facts: ImageFacts, allowed_flips: tuple[str, ...], opts: LoadOptions,
                 test: tuple[torch.Tensor, torch.Tensor] | None = None) -> DataBundle:
    """Images `x` (N, C, H, W) stored as they came (`x * scale` is 0..1), class ids `y`.

    Resizing and channel changes happen per batch, so a 224×224 RGB view of 28×28 gray
    digits costs no extra memory. Normalisation is measured on the training split.
    """
    native_channels, height, width = x.shape[1:]
    size = parse_size(opts.image_size) or (height, width)
    wanted = opts.channels or native_channels
    pipeline = BatchPipeline(
        "image", scale=scale,
        channels=None if wanted == native_channels else wanted,
        size=None if size == (height, width) else size,
    )
    info = DataInfo(name=name, kind="image", task="classification",
                    input_shape=(wanted, *size), class_names=class_names, image=facts,
                    allowed_flips=allowed_flips, source=source, description=description)
    return in_memory_bundle(x, y, info, pipeline, seed=opts.seed,
                            val_fraction=opts.val_fraction, test_fraction=opts.test_fraction,
                            normalise=True, test=test)
