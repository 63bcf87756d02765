"""The built-in data sets (`builtin:NAME`): every template trains with no network.

digits / digits28 read the UCI digits shipped in resources/data; text reads a chapter of
Alice in Wonderland shipped there too; the rest are generated (see synthetic.py).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from dlstudio.data import synthetic
from dlstudio.data.errors import DataError
from dlstudio.data.imagesets import image_bundle
from dlstudio.data.info import DataInfo, ImageFacts
from dlstudio.data.options import LoadOptions
from dlstudio.data.pipeline import BatchPipeline
from dlstudio.data.splits import DataBundle, in_memory_bundle
from dlstudio.data.textfile import TextCorpus, text_bundle
from dlstudio.graph.text_fit import DEFAULT_WINDOW
from dlstudio.resources import resource_path

DIGITS_FILE = "digits.csv.gz"
TEXT_FILE = "alice-chapter1.txt"
TEXT_WINDOW = DEFAULT_WINDOW
TEXT_VOCAB = 128
DIGIT_NAMES = tuple(str(d) for d in range(10))
# MNIST style: the digit fills a 20×20 box, its centre of mass in the middle of 28×28.
MNIST_BOX, MNIST_SIDE = 20, 28


@dataclass(frozen=True)
class BuiltinSet:
    name: str
    description: str
    load: Callable[[LoadOptions], DataBundle]


def _data_file(name: str) -> Path:
    path = resource_path("data", name)
    if not path.is_file():
        raise DataError(f"the built-in data file {path} is missing: reinstall DL Studio "
                        "or restore resources/data from the repository")
    return path


@lru_cache(maxsize=1)
def _digits_8x8() -> tuple[torch.Tensor, torch.Tensor]:
    """(1797, 1, 8, 8) pixel counts 0..16 and the labels 0..9."""
    with gzip.open(_data_file(DIGITS_FILE), "rt") as stream:
        table = np.loadtxt(stream, delimiter=",", dtype=np.float32)
    x = torch.from_numpy(table[:, :-1]).reshape(-1, 1, 8, 8)
    return x, torch.from_numpy(table[:, -1].astype(np.int64))


def digits_28(x8: torch.Tensor) -> torch.Tensor:
    """8×8 digits (0..16) as MNIST-shaped 28×28 images in 0..1: upscaled to 20×20 and
    centred by centre of mass, white digit on black."""
    box = F.interpolate(x8 / 16.0, size=(MNIST_BOX, MNIST_BOX), mode="bilinear",
                        align_corners=False).clamp(0.0, 1.0)
    margin = (MNIST_SIDE - MNIST_BOX) // 2
    return _centre_of_mass_to_middle(F.pad(box, (margin, margin, margin, margin)), margin)


def _centre_of_mass_to_middle(images: torch.Tensor, limit: int) -> torch.Tensor:
    """Shift each image by whole pixels so its ink's centre of mass is in the middle, as
    MNIST does (and as the drawing pad does), at most `limit` pixels so no ink wraps."""
    side = images.shape[-1]
    grid = torch.arange(side, dtype=images.dtype)
    mass = images.sum(dim=(1, 2, 3)).clamp_min(1e-6)
    rows = (images.sum(dim=(1, 3)) * grid).sum(dim=1) / mass
    cols = (images.sum(dim=(1, 2)) * grid).sum(dim=1) / mass
    middle = (side - 1) / 2
    shifts = torch.stack([middle - rows, middle - cols], dim=1).round().clamp(-limit, limit)
    return torch.stack([torch.roll(image, (int(dy), int(dx)), dims=(1, 2))
                        for image, (dy, dx) in zip(images, shifts.tolist(), strict=True)])


def _digits(opts: LoadOptions) -> DataBundle:
    x, y = _digits_8x8()
    return image_bundle(
        x, y, name="digits", source="builtin:digits",
        description="UCI handwritten digits, 8×8 (Alpaydin & Kaynak, CC BY 4.0)",
        scale=1.0 / 16.0, class_names=DIGIT_NAMES,
        facts=ImageFacts("light_on_dark", (8, 8), content_fraction=1.0), allowed_flips=(),
        opts=opts)


def _digits28(opts: LoadOptions) -> DataBundle:
    x, y = _digits_8x8()
    return image_bundle(
        digits_28(x), y, name="digits28", source="builtin:digits28",
        description="UCI handwritten digits upscaled to MNIST's 28×28 (digit in 20×20)",
        scale=1.0, class_names=DIGIT_NAMES,
        facts=ImageFacts("light_on_dark", (MNIST_SIDE, MNIST_SIDE),
                         content_fraction=MNIST_BOX / MNIST_SIDE),
        allowed_flips=(), opts=opts)


def text_codes(text: str) -> torch.Tensor:
    """ASCII codes of `text`; a character outside ASCII becomes '?'."""
    return torch.tensor([ord(c) if ord(c) < TEXT_VOCAB else ord("?") for c in text],
                        dtype=torch.int64)


def _text(opts: LoadOptions) -> DataBundle:
    """Windows of 40 ASCII codes -> the next one; the graph may ask for another cut
    (`textfile.fit_text_to_graph`): another length, one-hot codes, a target per step."""
    corpus = TextCorpus("text", "builtin:text", tuple(chr(code) for code in range(TEXT_VOCAB)),
                        text_codes(_data_file(TEXT_FILE).read_text(encoding="utf-8")),
                        opts.val_fraction, opts.test_fraction)
    bundle = text_bundle(corpus)
    info = replace(bundle.info, description="Alice in Wonderland, chapter I: "
                   f"{TEXT_WINDOW} characters -> the next one")
    return replace(bundle, info=info)


def _vectors(name: str, make: Callable[[], tuple[torch.Tensor, torch.Tensor]],
             description: str, class_names: tuple[str, ...] = (),
             kind: str = "vector") -> BuiltinSet:
    """A generated set, kept in its own units (no normalisation), so a linear fit on
    `linear` reads w = 3 and b = 0.5 directly."""

    def load(opts: LoadOptions) -> DataBundle:
        x, y = make()
        info = DataInfo(
            name=name, kind=kind, task="classification" if class_names else "regression",
            input_shape=tuple(x.shape[1:]), target_shape=() if class_names else (1,),
            class_names=class_names, source=f"builtin:{name}", description=description)
        return in_memory_bundle(x, y, info, BatchPipeline(kind), seed=opts.seed,
                                val_fraction=opts.val_fraction,
                                test_fraction=opts.test_fraction, normalise=False)

    return BuiltinSet(name, description, load)


BUILTINS: dict[str, BuiltinSet] = {s.name: s for s in (
    BuiltinSet("digits", "UCI handwritten digits: 1,797 gray 8×8 images, 10 classes", _digits),
    BuiltinSet("digits28", "The same digits as MNIST-shaped 1×28×28 images, 10 classes",
               _digits28),
    _vectors("xor", synthetic.xor, "XOR: the 4 corners of the unit square, jittered; "
             "2 features, 2 classes", ("0", "1")),
    _vectors("spirals", synthetic.spirals, "Two interleaved spirals: 2 features, 2 classes",
             ("A", "B")),
    _vectors("blobs", synthetic.blobs, "Two Gaussian clusters: 2 features, 2 classes",
             ("A", "B")),
    _vectors("linear", synthetic.linear, "y = 3x + uniform noise in [0, 1] for x in [0, 1]: "
             "1 feature, 1 target (best fit w = 3, b = 0.5)"),
    _vectors("sine", synthetic.sine, f"Noisy sine windows of {synthetic.SINE_STEPS} steps "
             "(50×1) -> the next value", kind="sequence"),
    BuiltinSet("text", f"Alice in Wonderland, chapter I: {TEXT_WINDOW} ASCII codes -> the "
               f"next character ({TEXT_VOCAB} classes)", _text),
)}


def builtin_names() -> list[str]:
    return list(BUILTINS)


def builtin_description(name: str) -> str:
    return _lookup(name).description


def load_builtin(name: str, opts: LoadOptions | None = None) -> DataBundle:
    return _lookup(name).load(opts or LoadOptions())


def _lookup(name: str) -> BuiltinSet:
    try:
        return BUILTINS[name]
    except KeyError:
        raise DataError(f"unknown built-in data set {name!r}; choose one of: "
                        f"{', '.join(BUILTINS)}") from None
