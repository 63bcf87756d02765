"""Stored batch -> model input, on whatever device the batch is on.

Splits keep data in its compact stored form (uint8 pixels, native size) and each batch
goes through one `BatchPipeline`: scale to 0..1, convert channels, resize, augment,
normalise. Training, evaluation and prediction all use it, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import torch
import torch.nn.functional as F

from dlstudio.data.info import Normalisation

# An augmentation step: (batch, generator) -> batch of the same shape.
Augment = Callable[[torch.Tensor, "torch.Generator | None"], torch.Tensor]

# ITU-R 601 luma weights, as Pillow uses for RGB -> L.
_LUMA = (0.299, 0.587, 0.114)


@dataclass(frozen=True)
class BatchPipeline:
    """How one stored batch becomes model input.

    Images: `x * scale` (stored values to 0..1), then `channels` and `size` conversion,
    then the augmentation (on 0..1 pixels, so fills and noise are in pixel units), then
    normalisation. Vectors and sequences: normalisation, then the augmentation (noise
    only). Token ids pass through as int64.
    """

    kind: str
    scale: float = 1.0
    channels: int | None = None
    size: tuple[int, int] | None = None
    normalisation: Normalisation | None = None

    def __call__(self, x: torch.Tensor, *, augment: Augment | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        if self.kind == "tokens":
            return x.long()
        x = x.float()
        if self.kind == "image":
            if self.scale != 1.0:
                x = x * self.scale
            if self.channels is not None:
                x = convert_channels(x, self.channels)
            if self.size is not None:
                x = resize_images(x, self.size)
            if augment is not None:
                x = augment(x, generator)
            return normalise(x, self.normalisation, channel_axis=1)
        x = normalise(x, self.normalisation, channel_axis=x.dim() - 1)
        return x if augment is None else augment(x, generator)

    def without_normalisation(self) -> BatchPipeline:
        return BatchPipeline(self.kind, self.scale, self.channels, self.size, None)


def normalise(x: torch.Tensor, norm: Normalisation | None, channel_axis: int) -> torch.Tensor:
    """(x - mean) / std with one value per entry along `channel_axis`."""
    if norm is None:
        return x
    view = [1] * x.dim()
    view[channel_axis] = len(norm.mean)
    mean, std = _statistics(norm, x.device, x.dtype)
    return (x - mean.view(view)) / std.view(view)


@lru_cache(maxsize=32)
def _statistics(norm: Normalisation, device: torch.device, dtype: torch.dtype
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and std as tensors on `device`, made once: a host-to-GPU copy per batch would
    make every batch wait for the one before it."""
    return (torch.tensor(norm.mean, dtype=dtype, device=device),
            torch.tensor(norm.std, dtype=dtype, device=device))


def convert_channels(x: torch.Tensor, channels: int) -> torch.Tensor:
    """(N, C, H, W) to `channels` (1 or 3): gray is repeated, colour becomes luma."""
    have = x.shape[1]
    if have == channels:
        return x
    if have == 1 and channels == 3:
        return x.expand(-1, 3, -1, -1).contiguous()
    if have == 3 and channels == 1:
        weights = torch.tensor(_LUMA, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
        return (x * weights).sum(dim=1, keepdim=True)
    raise ValueError(f"cannot convert {have}-channel images to {channels} channels")


def resize_images(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize of (N, C, H, W); antialiased when shrinking, like Pillow."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    shrinking = size[0] < x.shape[-2] or size[1] < x.shape[-1]
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False,
                         antialias=shrinking)


def measure_normalisation(x: torch.Tensor, pipeline: BatchPipeline,
                          max_samples: int = 10_000, max_values: int = 32_000_000
                          ) -> Normalisation:
    """Mean and std per channel (images) or per feature (vectors, sequences) of `x`
    after the pipeline's other steps. Reads the first samples only (pass shuffled data):
    at most `max_samples`, and at most `max_values` values in all so that a 224×224 view
    of small images stays quick. A constant entry gets std 1 so it passes through
    unchanged instead of dividing by 0."""
    if len(x) == 0:
        raise ValueError("cannot measure the normalisation of an empty split")
    raw = pipeline.without_normalisation()
    per_sample = raw(x[:1]).numel()
    x = x[:max(1, min(max_samples, max_values // per_sample))]
    chunk = max(1, 8_000_000 // per_sample)
    total = total_sq = None
    count = 0
    for start in range(0, len(x), chunk):
        batch = raw(x[start:start + chunk]).double()
        axis = 1 if pipeline.kind == "image" else batch.dim() - 1
        flat = batch.movedim(axis, -1).reshape(-1, batch.shape[axis])
        total = flat.sum(0) if total is None else total + flat.sum(0)
        total_sq = (flat ** 2).sum(0) if total_sq is None else total_sq + (flat ** 2).sum(0)
        count += flat.shape[0]
    assert total is not None and total_sq is not None
    mean = total / count
    std = (total_sq / count - mean ** 2).clamp_min(0).sqrt()
    std = torch.where(std < 1e-8, torch.ones_like(std), std)
    return Normalisation(tuple(float(v) for v in mean), tuple(float(v) for v in std))
