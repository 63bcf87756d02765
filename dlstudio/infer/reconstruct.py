"""What an autoencoder makes of one input: the input beside its reconstruction.

A reconstruction checkpoint (its `DataInfo.target` is "input") was trained to give back
the clean sample: images as pixels in 0..1 before normalisation, vectors as their
standardised values (see `dlstudio.data.reconstruction`). So the output is compared with,
and shown beside, exactly that. The Try it panel and `dlstudio predict` both use this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from dlstudio.atomic import atomic_file
from dlstudio.data import DataError, preprocess
from dlstudio.infer.predict import PredictError, Predictor

GAP = 2  # pixels between the input and the reconstruction in a side-by-side picture


@dataclass(frozen=True)
class Reconstruction:
    """`input` and `output` as pictures (H, W, C) in 0..1 for images, else flat values;
    `mse` and `mae` compare the two as the training loss and metrics did."""

    input: np.ndarray = field(repr=False)
    output: np.ndarray = field(repr=False)
    mse: float
    mae: float

    def summary(self) -> str:
        return f"reconstructed, mean squared error {self.mse:.4g}, mean absolute error " \
               f"{self.mae:.4g}"


def reconstruct(predictor: Predictor, raw: Any) -> Reconstruction:
    """`raw` input as `predict` takes it: for images an image file, a Pillow image or
    pixels; for vectors numbers. Images are matched to the training data's size,
    channels and polarity first."""
    info = predictor.info
    if not info.reconstruction:
        raise PredictError(f"this model predicts {info.summary()}; it reconstructs nothing")
    try:
        if info.kind == "image":
            pixels = predictor.image_pixels(raw)
            if pixels.ndim == 2:
                pixels = pixels[:, :, None]
            tensor = preprocess(info, pixels)
            target = torch.from_numpy(np.ascontiguousarray(pixels)).permute(2, 0, 1)
            if target.shape[0] != tensor.shape[0]:
                target = target.expand_as(tensor)
        else:
            tensor = preprocess(info, raw)
            target = tensor
    except DataError as error:
        raise PredictError(str(error)) from None
    return reconstruct_input(predictor, tensor, target)


def reconstruct_input(predictor: Predictor, tensor: torch.Tensor,
                      target: torch.Tensor) -> Reconstruction:
    """One prepared model input (`tensor`, no batch axis) and its clean `target`."""
    model = predictor.model
    with torch.inference_mode():
        out = model(tensor[None].to(predictor.device))[0].float().cpu()
    target = target.float().cpu()
    if out.numel() != target.numel():
        raise PredictError(f"the model gives {tuple(out.shape)} values for an input of "
                           f"{tuple(target.shape)}; a reconstruction has the input's shape")
    out = out.reshape(target.shape)
    error = out - target
    mse, mae = float((error ** 2).mean()), float(error.abs().mean())
    if predictor.info.kind == "image":
        return Reconstruction(_picture(target), _picture(out.clamp(0.0, 1.0)), mse, mae)
    return Reconstruction(target.flatten().numpy(), out.flatten().numpy(), mse, mae)


def side_by_side(shown: Reconstruction, scale: int = 4) -> Image.Image:
    """The input, a gap and the reconstruction in one picture, each pixel `scale` wide."""
    if shown.input.ndim != 3:
        raise PredictError("only image reconstructions can be drawn")
    height, width, channels = shown.input.shape
    canvas = np.ones((height, 2 * width + GAP, channels), dtype=np.float32)
    canvas[:, :width] = shown.input
    canvas[:, width + GAP:] = shown.output
    data = np.round(canvas * 255).astype(np.uint8)
    image = Image.fromarray(data[:, :, 0] if channels == 1 else data[:, :, :3])
    return image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)


def write_side_by_side(shown: Reconstruction, path: Path) -> None:
    """Save `side_by_side` as PNG, atomically (`dlstudio.atomic`: a temporary file in
    the folder, then a rename)."""
    picture = side_by_side(shown)
    try:
        with atomic_file(path) as stream:
            picture.save(stream, format="PNG")
    except OSError as error:
        raise PredictError(f"cannot write {path}: {error.strerror or error}") from None


def _picture(chw: torch.Tensor) -> np.ndarray:
    return chw.permute(1, 2, 0).numpy()
