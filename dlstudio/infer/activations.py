"""What each node of a network outputs for one sample, as small pictures.

`capture` runs one forward pass of a compiled `GraphModule` (eval mode, no gradients)
with forward hooks on the submodules asked for (they are named after the graph's nodes)
and keeps each one's output for the sample. `preview` turns one output into a small RGB
picture (a uint8 array, 4 bytes a pixel, drawn as is by Qt) that a canvas can draw beside the node:

- a feature map (C, H, W): the first channels' images in a grid, each normalised on its
  own, so a channel that is all zero ("dead" for this input) is a black tile;
- a vector (N,): a strip of cells, gray when no value is negative, else blue (negative)
  to red (positive); a long vector shows its strongest cells, in their order;
- a sequence (T, C): a heat matrix, time along, features down, coloured as a vector.

Previews for every node of cnn-small take a few milliseconds (bench/activation_preview.py),
so they can follow the pen on the drawing pad.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from dlstudio.compile import GraphModule
from dlstudio.data.splits import DataSplit, Split

MAX_CHANNELS = 8  # feature-map channels drawn
MAX_CELLS = 128  # vector cells drawn (the strongest, when longer)
ROW_CELLS = 32  # vector cells per row of the strip
MAX_STEPS = 48  # sequence steps drawn (the last ones)
MAX_FEATURES = 24  # sequence features drawn (the strongest)
GAP = 1  # pixels between channel tiles and rows of cells
GAP_VALUE = 96  # their gray


@dataclass(frozen=True)
class Preview:
    """One node's output as a picture: `pixels` is (H, W, 4) uint8, C-contiguous, each
    pixel blue, green, red, 255 (see `rgb` for an RGB view).

    `kind` is "map", "vector" or "sequence"; `shape` the output's shape for one sample;
    `note` says what part is shown ("8 of 32 channels"); `dead` counts the feature-map
    channels (or vector cells) that are zero everywhere for this sample."""

    name: str
    kind: str
    shape: tuple[int, ...]
    pixels: np.ndarray
    note: str
    dead: int
    low: float
    high: float


@contextmanager
def recording(model: GraphModule, names: Iterable[str]) -> Iterator[dict[str, torch.Tensor]]:
    """Forward hooks on the submodules called `names` while the block runs: the dict
    yielded fills with each one's output for the first sample of the batch (as it is:
    no copy, batch dimension dropped). Lets a caller that runs the model anyway (Try it
    predicting) keep the activations of the same pass."""
    modules = dict(model.named_children())
    found: dict[str, torch.Tensor] = {}

    def keep(name: str) -> Callable[[nn.Module, object, object], None]:
        def hook(_module: nn.Module, _args: object, output: object) -> None:
            if isinstance(output, (tuple, list)):
                output = output[0]
            if isinstance(output, torch.Tensor):
                found[name] = output[0].detach()
        return hook

    handles = [modules[name].register_forward_hook(keep(name))
               for name in set(names) if name in modules]
    try:
        yield found
    finally:
        for handle in handles:
            handle.remove()


def capture(model: GraphModule, inputs: tuple[torch.Tensor, ...],
            names: Iterable[str] | None = None) -> dict[str, torch.Tensor]:
    """The outputs of the submodules called `names` (all when None) and the model's
    inputs (by the Input nodes' names) for one sample, from one forward pass in eval
    mode without gradients: `inputs` hold no batch dimension, and neither do the
    tensors returned (on the CPU)."""
    asked = set(dict(model.named_children())) if names is None else set(names)
    training = model.training
    try:
        model.eval()
        with torch.inference_mode(), recording(model, asked) as found:
            device = next(model.parameters(), torch.empty(0)).device
            model(*(x[None].to(device) for x in inputs))
    finally:
        model.train(training)
    for name, x in zip(model.input_names, inputs, strict=False):
        if names is None or name in asked:
            found[name] = x
    return {name: value.cpu() for name, value in found.items()}


def preview(name: str, value: torch.Tensor, max_channels: int = MAX_CHANNELS) -> Preview:
    """`value` (one sample's output, no batch dimension) as a small picture."""
    shape = tuple(value.shape)
    array = value.detach().float().numpy()
    if array.size:
        low, high = float(array.min()), float(array.max())
        if not (np.isfinite(low) and np.isfinite(high)):  # a NaN or inf makes them so
            array = np.nan_to_num(array, nan=0.0, posinf=0.0, neginf=0.0)
            low, high = float(array.min()), float(array.max())
    else:
        low = high = 0.0
    if array.ndim == 3:
        pixels, note, dead = _map_picture(array, max_channels)
        kind = "map"
    elif array.ndim == 2:
        pixels, note, dead = _sequence_picture(array)
        kind = "sequence"
    else:
        pixels, note, dead = _vector_picture(array.reshape(-1))
        kind = "vector"
    return Preview(name, kind, shape, pixels, note, dead, low, high)


def previews(model: GraphModule, inputs: tuple[torch.Tensor, ...],
             names: Iterable[str] | None = None,
             max_channels: int = MAX_CHANNELS) -> dict[str, Preview]:
    """`capture` then `preview` for each node output found."""
    return {name: preview(name, value, max_channels)
            for name, value in capture(model, inputs, names).items()}


# ----- pictures -----------------------------------------------------------------------
# Pixels are 4 bytes, blue, green, red, 255: the 32-bit 0xFFRRGGBB words that Qt's
# QImage.Format_RGB32 (and most blitters) draw without converting, read in place.
def _table(colours: np.ndarray) -> np.ndarray:
    """(256, 3) RGB colours as (256, 4) pixels."""
    table = np.full((256, 4), 255, np.uint8)
    table[:, :3] = colours[:, ::-1]
    return table


GRAY = _table(np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1))


def _diverging_colours() -> np.ndarray:
    """256 colours from blue (-1) through near-black (0) to orange-red (+1)."""
    t = np.linspace(-1.0, 1.0, 256)[:, None]
    negative = np.array([70.0, 140.0, 255.0])
    positive = np.array([255.0, 120.0, 50.0])
    zero = np.array([24.0, 24.0, 28.0])
    colours = np.where(t < 0, zero + (negative - zero) * -t, zero + (positive - zero) * t)
    return colours.round().astype(np.uint8)


DIVERGING = _table(_diverging_colours())


def rgb(pixels: np.ndarray) -> np.ndarray:
    """A preview's pixels as an (H, W, 3) RGB view (for saving or looking at them)."""
    return pixels[..., 2::-1]


def _levels(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cells as table indices and the table: gray from 0 to the largest when none is
    negative, else the diverging table scaled by the largest magnitude."""
    if values.size == 0:
        return np.zeros(values.shape, np.uint8), GRAY
    scale = float(np.abs(values).max()) or 1.0
    if float(values.min()) >= 0.0:
        return (values * (255.0 / scale) + 0.5).astype(np.uint8), GRAY
    return (values * (127.5 / scale) + 128.0).clip(0, 255).astype(np.uint8), DIVERGING


def _map_picture(maps: np.ndarray, max_channels: int) -> tuple[np.ndarray, str, int]:
    channels, height, width = maps.shape
    every = maps.reshape(channels, -1)
    dead = int(((every.max(axis=1) == 0) & (every.min(axis=1) == 0)).sum()) if every.size \
        else 0
    count = max(1, min(channels, max_channels))
    flat = maps[:count].reshape(count, -1)
    low = flat.min(axis=1, keepdims=True)
    span = flat.max(axis=1, keepdims=True) - low
    gain = np.divide(255.0, span, out=np.zeros_like(span), where=span > 0)
    levels = ((flat - low) * gain + 0.5).astype(np.uint8).reshape(count, height, width)
    rows = 1 if count <= 4 else 2
    cols = -(-count // rows)
    grid = np.full((rows * (height + GAP), cols * (width + GAP)), GAP_VALUE, np.uint8)
    for index in range(count):
        row, col = divmod(index, cols)
        top, left = row * (height + GAP), col * (width + GAP)
        grid[top:top + height, left:left + width] = levels[index]
    note = f"{count} of {channels} channels" if count < channels else \
        f"{channels} channel{'s' if channels != 1 else ''}"
    return GRAY[grid[:-GAP, :-GAP]], note, dead


def _vector_picture(vector: np.ndarray) -> tuple[np.ndarray, str, int]:
    size = len(vector)
    dead = int((vector == 0).sum())
    note = f"{size} value{'s' if size != 1 else ''}"
    if size > MAX_CELLS:
        strongest = np.sort(np.argpartition(-np.abs(vector), MAX_CELLS)[:MAX_CELLS])
        vector = vector[strongest]
        note = f"{MAX_CELLS} strongest of {size}"
    levels, table = _levels(vector)
    if len(levels) <= ROW_CELLS:
        return table[levels[None]], note, dead
    rows = -(-len(levels) // ROW_CELLS)
    grid = np.full((rows * (1 + GAP), ROW_CELLS), GAP_VALUE, np.uint8)
    for row in range(rows):
        part = levels[row * ROW_CELLS:(row + 1) * ROW_CELLS]
        grid[row * (1 + GAP), :len(part)] = part
    picture = table[grid[:-GAP]]
    picture[1::1 + GAP] = GRAY[GAP_VALUE]  # the gap rows gray in either table
    return picture, note, dead


def _sequence_picture(sequence: np.ndarray) -> tuple[np.ndarray, str, int]:
    steps, features = sequence.shape
    shown = sequence[-MAX_STEPS:]
    note = f"{steps} steps × {features} features"
    if features > MAX_FEATURES:
        strength = np.abs(shown).max(axis=0)
        keep = np.sort(np.argpartition(-strength, MAX_FEATURES)[:MAX_FEATURES])
        shown = shown[:, keep]
        note += f", strongest {MAX_FEATURES}"
    if steps > MAX_STEPS:
        note += f", last {MAX_STEPS} steps"
    dead = int((np.abs(sequence).max(axis=0) == 0).sum())
    levels, table = _levels(np.ascontiguousarray(shown.T))
    return table[levels], note, dead


def split_sample(split: Split, index: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample `index` of a data split, ready for the model (no batch dimension), and its
    target: the same preprocessing as in training, without augmentation."""
    if not 0 <= index < len(split):
        raise IndexError(f"sample {index} is outside the split's {len(split)} samples")
    if isinstance(split, DataSplit):
        x, y = split.x[index:index + 1], split.y[index]
    else:
        raw, target = split.dataset[index]
        x, y = raw[None], torch.as_tensor(target)
    with torch.inference_mode():
        return split.pipeline(x.to(split.device))[0].cpu(), y.cpu()
