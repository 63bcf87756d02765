"""Reconstruction: the target of every sample is the sample itself (autoencoders).

`with_target(bundle, "input")` turns any loaded image, vector or sequence data into a
regression whose target has the input's shape. The target is the *clean* sample:

- images: the pixels in 0..1 after scaling, channel conversion and resizing, before
  normalisation and without augmentation, so a Sigmoid output can match them and the
  reconstruction can be shown as a picture;
- vectors and sequences: the standardised values the model receives (raw features of
  different scales would let the largest dominate the loss), without augmentation noise.

Augmentation still applies to the input only, which makes a denoising autoencoder. The
stored samples are not copied: the target is made from the same stored batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch.utils.data import Dataset

from dlstudio.data.errors import DataError
from dlstudio.data.info import TARGETS, DataInfo
from dlstudio.data.pipeline import Augment, BatchPipeline
from dlstudio.data.splits import Batch, DataBundle, DataSplit, Split, StreamingSplit
from dlstudio.data.textfile import is_text_source


def target_pipeline(pipeline: BatchPipeline) -> BatchPipeline:
    """Stored batch -> target: images stop before normalisation, other data not."""
    return pipeline.without_normalisation() if pipeline.kind == "image" else pipeline


@dataclass(frozen=True, eq=False)
class ReconstructionSplit(DataSplit):
    """An in-memory split whose `y` is its own `x` (the same stored tensor); batches
    give (model input, clean target)."""

    def to(self, device: torch.device | str) -> ReconstructionSplit:
        x = self.x.to(device)
        return ReconstructionSplit(x, x, self.pipeline)

    def targets(self, stored: torch.Tensor) -> torch.Tensor:
        """The targets of a stored batch."""
        return target_pipeline(self.pipeline)(stored)

    def batches(self, batch_size: int, *, shuffle: bool = False,
                generator: torch.Generator | None = None, drop_last: bool = False,
                augment: Augment | None = None) -> Iterator[Batch]:
        for x, stored in super().batches(batch_size, shuffle=shuffle, generator=generator,
                                         drop_last=drop_last, augment=augment):
            yield x, self.targets(stored)


class _InputAsTarget(Dataset):
    """A folder dataset's images (0..1 at the final size) as their own targets."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image, _ = self.dataset[index]
        return image, image


def reconstruction_info(info: DataInfo) -> DataInfo:
    """`info` as reconstruction data: a regression onto the input's own shape."""
    if info.reconstruction:
        return info
    if info.kind == "tokens" or is_text_source(info.source):  # one-hot characters too
        held = "token ids" if info.kind == "tokens" else "characters (one-hot)"
        raise DataError(f"{info.name} holds {held}; reconstruction (target 'input') "
                        "needs images, vectors or sequences of numbers")
    return replace(info, task="regression", target_shape=tuple(info.input_shape),
                   class_names=(), target="input",
                   description=(info.description + "; " if info.description else "")
                   + "target: the input itself")


def with_target(bundle: DataBundle, target: str) -> DataBundle:
    """`bundle` with the targets a training setting `target` asks for: "labels" leaves
    it as it is, "input" makes every sample its own target."""
    if target not in TARGETS:
        raise DataError(f"target {target!r} is not one of {', '.join(TARGETS)}")
    if target == "labels" or bundle.info.reconstruction:
        return bundle
    info = reconstruction_info(bundle.info)
    train = _split(bundle.train)
    assert train is not None
    return DataBundle(info, train, _split(bundle.val), _split(bundle.test))


def _split(split: Split | None) -> Split | None:
    if split is None or isinstance(split, ReconstructionSplit):
        return split
    if isinstance(split, StreamingSplit):
        return replace(split, dataset=_InputAsTarget(split.dataset))
    return ReconstructionSplit(split.x, split.x, split.pipeline)

