"""Raw input inside the export: the training's preprocessing in front of the network.

A model trained in DL Studio takes pixels scaled to 0..1, resized and normalised, or CSV
columns standardised; whoever runs the exported file has pixel values 0..255 and the
CSV's own columns. `plan_input` decides, from the run's `DataInfo`, what the export takes;
`Prepare` does what `dlstudio.data.preprocess` does, as torch operations that trace,
script and export to ONNX, and `prepare_source` writes the same steps as readable code.
Token ids, several inputs and exports without a dataset's facts keep the prepared input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from dlstudio.data.info import DataInfo, Normalisation
from dlstudio.data.pipeline import resize_images
from dlstudio.data.preprocess import preprocess
from dlstudio.export.card import InputSpec
from dlstudio.graph.shape_text import format_shape

INPUT_FORMS = ("raw", "prepared")
PIXEL_MAX = 255.0


@dataclass(frozen=True)
class RawInput:
    """What the export takes (`shape`, one sample) and how it becomes `prepared` (the
    graph's Input shape): /255 and resizing for images, normalisation for every kind."""

    info: DataInfo
    name: str
    kind: str  # image, vector or sequence
    shape: tuple[int, ...]
    prepared: tuple[int, ...]

    @property
    def normalisation(self) -> Normalisation | None:
        return self.info.normalisation

    @property
    def resize(self) -> tuple[int, int] | None:
        """The trained (height, width) when the raw images have another size."""
        if self.kind != "image" or self.shape == self.prepared:
            return None
        return self.prepared[1], self.prepared[2]

    def steps(self) -> list[str]:
        """The preprocessing inside the export, in words, in order."""
        found = []
        if self.kind == "image":
            found.append("divide by 255 (pixels to 0..1)")
        if self.resize is not None:
            found.append(f"resize {format_shape(self.shape[1:])} -> "
                         f"{format_shape(self.resize)} (bilinear"
                         f"{', antialiased' if self._shrinking() else ''}, as in training)")
        norm = self.normalisation
        if norm is not None:
            per = "channel" if self.kind == "image" else "feature"
            found.append(f"normalise per {per}: (x - mean) / std, mean {_numbers(norm.mean)}, "
                         f"std {_numbers(norm.std)}")
        return found

    def describe(self) -> str:
        """One sentence for the model card and the app."""
        if self.kind == "image":
            what = (f"raw pixel values 0-255 as float32, shape (batch, "
                    f"{', '.join(map(str, self.shape))}) (channels, height, width)")
        else:
            names = self.info.feature_names
            columns = f" ({', '.join(names)})" if names else ""
            what = (f"the data's own values{columns} as float32, shape (batch, "
                    f"{', '.join(map(str, self.shape))})")
        steps = self.steps()
        inside = "; ".join(steps) if steps else "none (training used the values as they are)"
        return f"{what}; preprocessing inside the model: {inside}"

    def module(self) -> Prepare:
        return Prepare(self)

    def example(self, batch: int, generator: torch.Generator) -> torch.Tensor:
        """Realistic raw samples: whole pixel values 0..255, or values around the data's
        mean and spread."""
        if self.kind == "image":
            return torch.randint(0, 256, (batch, *self.shape), generator=generator).float()
        x = torch.randn((batch, *self.shape), generator=generator)
        norm = self.normalisation
        if norm is None:
            return x
        return x * torch.tensor(norm.std) + torch.tensor(norm.mean)

    def as_in_training(self, raw: torch.Tensor) -> torch.Tensor:
        """A raw batch through `dlstudio.data.preprocess`, sample by sample, as `predict`
        prepares input: the standard the export's own preprocessing is held to."""
        samples = []
        for sample in raw.numpy():
            if self.kind == "image":  # H×W×C uint8, as an image file gives it
                sample = np.rint(sample).clip(0, 255).astype(np.uint8).transpose(1, 2, 0)
            samples.append(preprocess(self.info, sample))
        return torch.stack(samples)

    def _shrinking(self) -> bool:
        size = self.resize
        return size is not None and (size[0] < self.shape[1] or size[1] < self.shape[2])


class Prepare(nn.Module):
    """Raw batch -> the network's input: /255, training's own `resize_images`, then
    (x - mean) / std with the run's values as buffers (constants in the exported file)."""

    def __init__(self, plan: RawInput) -> None:
        super().__init__()
        self.image = plan.kind == "image"
        self.size = plan.resize
        norm = plan.normalisation
        self.normalised = norm is not None
        view = (-1, 1, 1) if self.image else (-1,)  # channels first; features last
        mean, std = (norm.mean, norm.std) if norm is not None else ((0.0,), (1.0,))
        self.register_buffer("mean", torch.tensor(mean).view(view), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(view), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.image:
            x = x / PIXEL_MAX
            if self.size is not None:
                x = resize_images(x, self.size)
        return (x - self.mean) / self.std if self.normalised else x


class RawInputModel(nn.Module):
    """`Prepare` then the compiled graph: what ONNX and TorchScript exports run."""

    def __init__(self, prepare: Prepare, model: nn.Module) -> None:
        super().__init__()
        self.prepare = prepare
        self.model = model

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.model(self.prepare(inputs[0]))


def plan_input(info: DataInfo | None, inputs: tuple[InputSpec, ...], form: str
               ) -> tuple[RawInput | None, str]:
    """The raw-input plan, or None and why the export takes prepared input instead."""
    if form not in INPUT_FORMS:
        raise ValueError(f"input form {form!r} is not one of {', '.join(INPUT_FORMS)}")
    prepared = "prepared as in training (scaled and normalised; see `preprocessing`)"
    if form == "prepared":
        return None, f"{prepared}, as asked"
    if info is None:
        return None, ("prepared: what the Input node takes; there are no dataset facts "
                      "(no trained checkpoint), so no preprocessing is known to put inside")
    if len(inputs) != 1:
        return None, f"{prepared}: raw input is for models with one Input"
    (spec,) = inputs
    if spec.kind == "tokens" or info.kind == "tokens":
        return None, "token ids (int64), as in training: text is encoded outside the model"
    if spec.kind != info.kind or tuple(spec.shape) != tuple(info.input_shape):
        return None, (f"{prepared}: the Input takes {format_shape(spec.shape)} "
                      f"{spec.kind}s, the data was {info.describe_input()}")
    shape = tuple(spec.shape)
    if info.kind == "image" and info.image is not None:
        shape = (shape[0], *info.image.original_size)
    plan = RawInput(info, spec.name, spec.kind, shape, tuple(spec.shape))
    return plan, plan.describe()


def _numbers(values: tuple[float, ...]) -> str:
    return "(" + ", ".join(f"{v:.6g}" for v in values) + ")"
