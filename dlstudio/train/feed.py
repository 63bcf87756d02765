"""How a split reaches the loop: as device tensors batched by index, or streamed.

Data that fits in memory is moved to the device once. Without augmentation it is also
passed through its pipeline once (scaled, resized, normalised) when the result is at most
`READY_BYTES`, so each batch is a single index (training) or a view (evaluation): no
per-sample DataLoader work and no per-batch preprocessing. Folder datasets stream through
their DataLoader. Each epoch's order comes from the trainer's own generator, split across
ranks under torchrun, so runs repeat exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace

import torch
from torch.utils.data import Subset

from dlstudio.data import BatchPipeline, DataSplit, Split, StreamingSplit
from dlstudio.data.pipeline import Augment
from dlstudio.data.reconstruction import ReconstructionSplit, target_pipeline

READY_BYTES = 1 << 30
_CHUNK_BYTES = 64 << 20

Batch = tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class Feed:
    """One split as the loop reads it. `ready`: inputs already went through the pipeline."""

    split: Split
    ready: bool = False
    augment: Augment | None = None

    def __len__(self) -> int:
        return len(self.split)

    def batches(self, batch_size: int, order: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> Iterator[Batch]:
        """Batches in `order` (a CPU index tensor; None: in stored order, every sample).

        A final training batch of one sample is left out: BatchNorm cannot learn from it.
        """
        if order is not None and len(order) % batch_size == 1 and len(order) > 1:
            order = order[:-1]
        if isinstance(self.split, StreamingSplit):
            split = self.split
            if order is not None:
                split = replace(split, dataset=Subset(split.dataset, order.tolist()))
            yield from split.batches(batch_size, augment=self.augment, generator=generator)
            return
        yield from self._indexed(self.split, batch_size, order, generator)

    def _indexed(self, split: DataSplit, batch_size: int, order: torch.Tensor | None,
                 generator: torch.Generator | None) -> Iterator[Batch]:
        x, y = split.x, split.y
        pipeline = None if self.ready else split.pipeline
        targets = split.targets if isinstance(split, ReconstructionSplit) else None
        augment = self.augment
        if order is not None:
            order = order.to(x.device)
        count = len(y) if order is None else len(order)
        for start in range(0, count, batch_size):
            index = slice(start, start + batch_size) if order is None \
                else order[start:start + batch_size]
            xb = x[index]
            # a reconstruction's target is the clean stored sample itself: not gathered twice
            yb = y[index] if targets is None else targets(xb)
            if pipeline is not None:
                xb = pipeline(xb, augment=augment, generator=generator)
            yield xb, yb

    def num_batches(self, batch_size: int, samples: int | None = None) -> int:
        """Batches per pass over `samples` (default: the whole split), matching
        `batches()` for a training order of that length."""
        count = len(self) if samples is None else samples
        if count % batch_size == 1 and count > 1:
            count -= 1
        return math.ceil(count / batch_size)


def make_feed(split: Split, device: torch.device, augment: Augment | None = None) -> Feed:
    """The split on `device`, prepared once where that is possible and small enough."""
    split = split.to(device)
    if not isinstance(split, DataSplit) or augment is not None or len(split) == 0:
        return Feed(split, augment=augment)
    sample = split.pipeline(split.x[:1])
    per_sample = sample.element_size() * sample.numel()
    if isinstance(split, ReconstructionSplit):
        per_sample *= 2  # the targets are prepared too
    if per_sample * len(split) > READY_BYTES:
        return Feed(split)
    chunk = max(1, _CHUNK_BYTES // per_sample)
    ready = _prepared(split.pipeline, split.x, chunk)
    targets = split.y
    if isinstance(split, ReconstructionSplit):
        same = target_pipeline(split.pipeline) == split.pipeline
        targets = ready if same else _prepared(target_pipeline(split.pipeline), split.x, chunk)
    identity = BatchPipeline(split.pipeline.kind)
    return Feed(DataSplit(ready, targets, identity), ready=True)


def _prepared(pipeline: BatchPipeline, x: torch.Tensor, chunk: int) -> torch.Tensor:
    return torch.cat([pipeline(x[start:start + chunk]) for start in range(0, len(x), chunk)])
