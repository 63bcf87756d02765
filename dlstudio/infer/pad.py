"""Drawing-pad ink -> the model input its training data would have given.

MNIST-style data (a `content_fraction` below 1): the ink's bounding box is scaled to fit
the content box (20×20 of 28×28) keeping its aspect ratio, then placed so that its centre
of mass sits in the middle of the frame, as MNIST was made. Full-frame data (the 8×8 UCI
digits, whose 32×32 bitmaps were size-normalised and then counted in 4×4 blocks): the box
fills the frame and is centred; the area-averaging resize gives the same block fractions.
Data with no such convention (photos) get the whole pad resized. Then the dataset's
polarity and value range, its size and channels, and its normalisation, through the same
`BatchPipeline` that training used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from dlstudio.data import DataError, DataInfo, ImageFacts
from dlstudio.data.pipeline import BatchPipeline, normalise

# Ink at or below this (0..1) is paper: antialiasing leaves faint halos above 0.
INK_FLOOR = 1e-3
# Share of a loaded image's outer ring that tells its background shade.
_BORDER = 0.1


@dataclass(frozen=True)
class Placement:
    """How pad pixels map onto model-input pixels: `input = (pad - origin) * scale`,
    per axis (x, y), in continuous coordinates (pixel i covers i..i+1)."""

    origin: tuple[float, float]
    scale: tuple[float, float]

    def to_input(self, x: float, y: float) -> tuple[float, float]:
        return ((x - self.origin[0]) * self.scale[0], (y - self.origin[1]) * self.scale[1])

    def to_pad(self, x: float, y: float) -> tuple[float, float]:
        return (x / self.scale[0] + self.origin[0], y / self.scale[1] + self.origin[1])


@dataclass(frozen=True)
class PadInput:
    """One drawing ready for the model.

    `tensor` (C, H, W) is what the model receives; `picture` (H, W, C) in 0..1 is the
    same before normalisation, for showing it; `placement` maps the pad onto both.
    """

    tensor: torch.Tensor
    picture: np.ndarray
    placement: Placement


def image_facts(info: DataInfo) -> ImageFacts:
    """The checkpoint's image facts, or plain photo facts when it has none."""
    if info.kind != "image":
        raise DataError(f"the drawing pad feeds image models; {info.name} takes "
                        f"{info.describe_input()}")
    return info.image or ImageFacts(None, tuple(info.input_shape[1:]))  # type: ignore[arg-type]


def preprocess_drawing(ink: np.ndarray, info: DataInfo) -> PadInput | None:
    """`ink` (H, W) in 0..1, 1 = full ink, as the model's training data would show it;
    None when nothing is drawn."""
    facts = image_facts(info)
    ink = np.asarray(ink, dtype=np.float32)
    if ink.ndim != 2:
        raise DataError(f"drawing ink must be a height×width array, got {ink.ndim} axes")
    rows = np.flatnonzero((ink > INK_FLOOR).any(axis=1))
    if len(rows) == 0:
        return None
    cols = np.flatnonzero((ink > INK_FLOOR).any(axis=0))
    box = (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
    frame = facts.original_size
    if facts.content_fraction is None:
        height, width = ink.shape
        placement = Placement((0.0, 0.0), (frame[1] / width, frame[0] / height))
    else:
        placement = _fit(ink, box, frame, facts.content_fraction)
    native = _resample(ink, placement, frame)
    return _to_model(native, facts, info, placement)


def _fit(ink: np.ndarray, box: tuple[int, int, int, int], frame: tuple[int, int],
         fraction: float) -> Placement:
    """Scale the ink's box into `fraction` of the frame (aspect kept), at whole-pixel
    offsets as MNIST did: centred by centre of mass when there is a margin to move in,
    else by the box; the box always stays inside the frame."""
    x0, y0, x1, y1 = box
    height, width = frame
    fit_h, fit_w = max(1, round(fraction * height)), max(1, round(fraction * width))
    scale = min(fit_w / (x1 - x0), fit_h / (y1 - y0))
    crop = ink[y0:y1, x0:x1]
    if fraction < 1.0:
        total = float(crop.sum())
        centre_y = float((crop.sum(axis=1) * np.arange(y0, y1)).sum()) / total + 0.5
        centre_x = float((crop.sum(axis=0) * np.arange(x0, x1)).sum()) / total + 0.5
        start_x = round(width / 2 - (centre_x - x0) * scale)
        start_y = round(height / 2 - (centre_y - y0) * scale)
    else:
        start_x = round((width - (x1 - x0) * scale) / 2)
        start_y = round((height - (y1 - y0) * scale) / 2)
    start_x = min(max(start_x, 0), width - math.ceil((x1 - x0) * scale - 1e-6))
    start_y = min(max(start_y, 0), height - math.ceil((y1 - y0) * scale - 1e-6))
    return Placement((x0 - start_x / scale, y0 - start_y / scale), (scale, scale))


def _resample(ink: np.ndarray, placement: Placement, frame: tuple[int, int]) -> np.ndarray:
    """The frame (H, W) that `placement` cuts from the pad, area-averaged (antialiased),
    with paper beyond the pad's edges."""
    height, width = frame
    left, top = placement.origin
    right, bottom = placement.to_pad(width, height)
    pad_l, pad_t = max(0, math.ceil(-left)), max(0, math.ceil(-top))
    pad_r = max(0, math.ceil(right - ink.shape[1]))
    pad_b = max(0, math.ceil(bottom - ink.shape[0]))
    if pad_l or pad_t or pad_r or pad_b:
        ink = np.pad(ink, ((pad_t, pad_b), (pad_l, pad_r)))
    source = Image.fromarray(np.ascontiguousarray(ink), mode="F")
    region = (left + pad_l, top + pad_t, right + pad_l, bottom + pad_t)
    resized = source.resize((width, height), Image.Resampling.BOX, box=region)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def paper_value(info: DataInfo) -> torch.Tensor:
    """What blank paper becomes in the model's input, per channel: the value to paint
    over a patch that should look empty (occlusion saliency)."""
    blank = np.zeros(image_facts(info).original_size, dtype=np.float32)
    placement = Placement((0.0, 0.0), (1.0, 1.0))
    return _to_model(blank, image_facts(info), info, placement).tensor[:, 0, 0]


def _to_model(native: np.ndarray, facts: ImageFacts, info: DataInfo,
              placement: Placement) -> PadInput:
    """Ink in the native frame -> pixels in the data's polarity, then the training
    pipeline's channel, size and normalisation steps."""
    low, high = facts.value_range
    if facts.polarity == "light_on_dark":
        pixels = low + native * (high - low)
    else:  # dark on light, and photos: dark ink on white paper
        pixels = high - native * (high - low)
    channels, height, width = info.input_shape
    frame_h, frame_w = native.shape
    pipeline = BatchPipeline("image", channels=channels if channels != 1 else None,
                             size=(height, width))
    picture = pipeline(torch.from_numpy(pixels)[None, None])
    tensor = normalise(picture, info.normalisation, channel_axis=1)[0]
    scale = (placement.scale[0] * width / frame_w, placement.scale[1] * height / frame_h)
    return PadInput(tensor, picture[0].permute(1, 2, 0).numpy(),
                    Placement(placement.origin, scale))


def ink_from_image(image: Image.Image, size: tuple[int, int]) -> np.ndarray:
    """A loaded picture as pad ink (H, W) in 0..1: gray, fitted into `size` (height,
    width) keeping its aspect ratio, with its background (the shade of its border) as
    paper and the shade farthest from it as full ink."""
    gray = image.convert("L")
    height, width = size
    scale = min(width / gray.width, height / gray.height)
    fitted = gray.resize((max(1, round(gray.width * scale)), max(1, round(gray.height * scale))),
                         Image.Resampling.LANCZOS)
    values = np.asarray(fitted, dtype=np.float32) / 255.0
    band = max(1, round(min(values.shape) * _BORDER))
    ring = np.concatenate([values[:band].ravel(), values[-band:].ravel(),
                           values[:, :band].ravel(), values[:, -band:].ravel()])
    background = float(np.median(ring))
    distance = np.abs(values - background)
    strongest = float(distance.max())
    ink = np.zeros((height, width), dtype=np.float32)
    if strongest > 0.05:  # a blank picture stays blank
        top, left = (height - values.shape[0]) // 2, (width - values.shape[1]) // 2
        shade = np.clip((distance - 0.1 * strongest) / (0.9 * strongest), 0.0, 1.0)
        ink[top:top + values.shape[0], left:left + values.shape[1]] = shade
    return ink
