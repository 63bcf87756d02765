"""Image augmentation on whole batches, on the batch's own device.

An optional random crop (zero padding, then a window back to the original size: the
classic CIFAR recipe), one random affine map per image (shift, rotation, scale, flips)
through `affine_grid` / `grid_sample`, then pixel noise: a batch of 256 MNIST images
costs a few kernels, not 256 PIL calls. Flips the data forbids (a mirrored 2 is not a 2)
are dropped with a note.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

import torch
import torch.nn.functional as F

from dlstudio.data.errors import DataError
from dlstudio.data.info import DataInfo

GEOMETRIC = ("shift", "rotation", "scale", "flip_horizontal", "flip_vertical")
IMAGE_ONLY = ("crop", *GEOMETRIC)
MAX_CROP = 64  # pixels of padding; more would mostly crop empty border


@dataclass(frozen=True)
class Augmentation:
    """Augmentation settings, as a project stores them.

    shift: largest move, as a fraction of the width and height (0.1 = 10 %).
    rotation: largest turn in degrees, either way.
    scale: largest zoom change (0.1 = 90 % .. 110 %).
    noise: standard deviation of Gaussian noise, in pixel units (0..1) for images and in
    normalised units for other data.
    flip_horizontal / flip_vertical: mirror half of the images.
    crop: pad this many zero pixels on each side, then cut a random window of the original
    size per image: a whole-pixel move of up to `crop` either way, without interpolation.
    """

    shift: float = 0.0
    rotation: float = 0.0
    scale: float = 0.0
    noise: float = 0.0
    flip_horizontal: bool = False
    flip_vertical: bool = False
    crop: int = 0

    def __post_init__(self) -> None:
        if (isinstance(self.crop, bool) or not isinstance(self.crop, int)
                or not 0 <= self.crop <= MAX_CROP):
            raise DataError(f"augmentation crop must be a whole number of pixels between 0 "
                            f"and {MAX_CROP}, got {self.crop!r}")
        for name, high in (("shift", 1.0), ("rotation", 180.0), ("scale", 0.9),
                           ("noise", 10.0)):
            value = getattr(self, name)
            if not 0.0 <= value <= high:
                raise DataError(f"augmentation {name} must be between 0 and {high}, "
                                f"got {value}")

    @property
    def active(self) -> bool:
        return self != Augmentation()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Augmentation:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise DataError(f"augmentation: unknown field {sorted(unknown)[0]!r}")
        return cls(**data)

    def for_data(self, info: DataInfo) -> Augmenter:
        """The settings this data allows, bound to its background; notes say what was
        dropped and why."""
        settings, notes = self, []
        if info.kind != "image":
            used = [name for name in IMAGE_ONLY if getattr(self, name)]
            if used:
                notes.append(f"{', '.join(used)} apply to images only; {info.name} "
                             f"gives {info.kind} data")
                settings = replace(settings, shift=0.0, rotation=0.0, scale=0.0,
                                   flip_horizontal=False, flip_vertical=False, crop=0)
            if info.kind == "tokens" and self.noise:
                notes.append(f"noise does not apply to token ids ({info.name})")
                settings = replace(settings, noise=0.0)
        else:
            for flip, direction in (("flip_horizontal", "horizontal"),
                                    ("flip_vertical", "vertical")):
                if getattr(self, flip) and direction not in info.allowed_flips:
                    notes.append(f"{direction} flips are off for {info.name}: a mirrored "
                                 "sample would not belong to its class")
                    settings = replace(settings, **{flip: False})
        background = info.image.background if info.image else None
        return Augmenter(settings, background, tuple(notes))


@dataclass(frozen=True)
class Augmenter:
    """Applies `settings` to a batch: `augmenter(x, generator)`, the same shape out.

    Random draws come from `generator` (on its own device) so runs repeat; images are
    (N, C, H, W) in pixel units; empty borders take the `background` value, or repeat the
    edge when the data has no background (photos).
    """

    settings: Augmentation
    background: float | None = None
    notes: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return self.settings.active

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None
                 ) -> torch.Tensor:
        s = self.settings
        if x.dim() == 4 and s.crop:
            x = _crop(x, s.crop, generator)
        if x.dim() == 4 and any(getattr(s, name) for name in GEOMETRIC):
            x = self._warp(x, generator)
        if s.noise:
            x = x + s.noise * _randn(x, generator)
        return x

    def _warp(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        s, n = self.settings, x.shape[0]
        height, width = x.shape[-2:]

        def uniform(limit: float) -> torch.Tensor:  # in [-limit, limit]
            return (_rand(n, generator) * 2 - 1) * limit

        def flip(enabled: bool) -> torch.Tensor:
            if not enabled:
                return torch.ones(n)
            return torch.where(_rand(n, generator) < 0.5, -1.0, 1.0)

        angle = uniform(math.radians(s.rotation))
        zoom = 1.0 + uniform(s.scale)
        flip_x, flip_y = flip(s.flip_horizontal), flip(s.flip_vertical)
        # affine_grid maps output to input coordinates in [-1, 1]; the aspect terms keep
        # rotations round on non-square images. A shift of f moves by f of the side: 2f.
        cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
        theta = torch.zeros(n, 2, 3)
        theta[:, 0, 0] = cos * flip_x
        theta[:, 0, 1] = -sin * (height / width) * flip_y
        theta[:, 1, 0] = sin * (width / height) * flip_x
        theta[:, 1, 1] = cos * flip_y
        theta[:, 0, 2] = uniform(2 * s.shift)
        theta[:, 1, 2] = uniform(2 * s.shift)
        theta = theta.to(x.device, x.dtype)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        if self.background is None:
            return F.grid_sample(x, grid, mode="bilinear", padding_mode="border",
                                 align_corners=False)
        shifted = x - self.background  # zero padding then fills with the background
        return F.grid_sample(shifted, grid, mode="bilinear", padding_mode="zeros",
                             align_corners=False) + self.background


def _crop(x: torch.Tensor, pad: int, generator: torch.Generator | None) -> torch.Tensor:
    """Zero-pad each side by `pad`, then take each image's own random window of the
    original size: two gathers, so the whole batch is one pass whatever its size."""
    n, channels, height, width = x.shape
    padded = F.pad(x, (pad, pad, pad, pad))
    span = 2 * pad + 1
    top = (_rand(n, generator) * span).long().clamp_(max=span - 1).to(x.device)
    left = (_rand(n, generator) * span).long().clamp_(max=span - 1).to(x.device)
    rows = top[:, None] + torch.arange(height, device=x.device)  # (N, H)
    cols = left[:, None] + torch.arange(width, device=x.device)  # (N, W)
    rows = rows[:, None, :, None].expand(n, channels, height, width + 2 * pad)
    x = padded.gather(2, rows)
    cols = cols[:, None, None, :].expand(n, channels, height, width)
    return x.gather(3, cols)


def _rand(count: int, generator: torch.Generator | None) -> torch.Tensor:
    device = generator.device if generator is not None else None
    return torch.rand(count, generator=generator, device=device).cpu()


def _randn(like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    if generator is None:
        return torch.randn_like(like)
    noise = torch.randn(like.shape, generator=generator, device=generator.device)
    return noise.to(like.device, like.dtype)
