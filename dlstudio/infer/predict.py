"""Predictions from a checkpoint alone: images, number vectors, text prompts.

A checkpoint carries the graph, the weights and the dataset's `DataInfo`, so raw input
goes through `dlstudio.data.preprocess` (the same steps as training: size, channels,
0..1 pixels, normalisation) and comes back as class names with probabilities, or values.
The drawing pad and the `predict` command both use `Predictor`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from dlstudio.compile import GraphModule
from dlstudio.data import DataError, DataInfo, ImageFacts, preprocess
from dlstudio.data.folders import open_image
from dlstudio.data.textfile import encode_prompt, info_layout
from dlstudio.infer.generate import SamplingError, check_sampling, sample_index
from dlstudio.infer.onehot import ONE_HOT_LOSSES, one_hot_probabilities
from dlstudio.train.checkpoint import load_checkpoint

DEFAULT_TOP_K = 5
# Share of the image's outer ring of pixels used to tell its background.
_BORDER = 0.1

ImageInput = str | Path | Image.Image | np.ndarray


class PredictError(ValueError):
    """Input a model cannot take: the wrong kind for the model, or unreadable."""


@dataclass(frozen=True)
class ClassProbability:
    name: str
    probability: float


@dataclass(frozen=True)
class Prediction:
    """What a model makes of one input.

    Classification: `label` and `probability` of the top class, `top` the best `k`
    classes, most likely first. Regression: `value` (the output, flattened).
    Text models also give `continuation`: the characters generated after it (greedily,
    or sampled with a temperature and top-k).
    """

    input: str
    task: str
    label: str | None = None
    probability: float | None = None
    top: tuple[ClassProbability, ...] = ()
    value: tuple[float, ...] = ()
    continuation: str | None = None
    probabilities: tuple[float, ...] = field(default=(), repr=False)  # every class

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"input": self.input, "task": self.task}
        if self.task == "classification":
            data.update(label=self.label, probability=self.probability,
                        top=[{"class": c.name, "probability": c.probability}
                             for c in self.top])
        else:
            data["value"] = list(self.value)
        if self.continuation is not None:
            data["continuation"] = self.continuation
        return data


class Predictor:
    """A trained model with the facts needed to feed it raw input."""

    def __init__(self, model: GraphModule, info: DataInfo,
                 device: torch.device | str = "cpu") -> None:
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.info = info

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "cpu") -> Predictor:
        """Load `path` (CheckpointError names the file and field when it cannot)."""
        checkpoint = load_checkpoint(Path(path))
        return cls(checkpoint.build_model(), checkpoint.data_info, device)

    # ----- entry points per kind of input ------------------------------------------------
    def predict_image(self, image: ImageInput, top_k: int = DEFAULT_TOP_K,
                      label: str | None = None) -> Prediction:
        """An image file, Pillow image or array (H×W or H×W×C, uint8 or 0..1 floats).

        Images whose background is the opposite of the training data's (a dark digit on
        white paper for MNIST-style data) are inverted first.
        """
        self._expect("image", "an image")
        if label is None:
            label = str(image) if isinstance(image, (str, Path)) else "image"
        pixels = self.image_pixels(image)
        return self._predict(preprocess(self.info, pixels), label, top_k)

    def predict_vector(self, values: Any, top_k: int = DEFAULT_TOP_K) -> Prediction:
        """Numbers for a vector or sequence model: a list, an array or "0.5, 1.2"."""
        self._expect(("vector", "sequence"), "numbers")
        label = values if isinstance(values, str) else ", ".join(
            f"{v:g}" for v in np.asarray(values, dtype=np.float64).ravel())
        return self._predict(self._preprocess(values), label, top_k)

    def predict_text(self, prompt: str, top_k: int = DEFAULT_TOP_K, length: int = 0,
                     temperature: float = 0.0, sample_top_k: int | None = None,
                     rng: np.random.Generator | None = None) -> Prediction:
        """The next-character distribution after `prompt` (its `top_k` most likely listed),
        and `length` characters generated after it as `continuation`: greedily (the most
        likely one each time) at temperature 0, else sampled at `temperature` among the
        `sample_top_k` most likely (all when None), drawn with `rng` (seed it to repeat)."""
        first = self._predict(self.text_input(prompt), prompt, top_k)
        if length <= 0:
            return first
        return replace(first, continuation=self.generate(prompt, length, temperature,
                                                         sample_top_k, rng))

    def generate(self, prompt: str, length: int, temperature: float = 0.0,
                 top_k: int | None = None, rng: np.random.Generator | None = None) -> str:
        """`length` characters written after `prompt`, one at a time (see predict_text)."""
        try:
            check_sampling(temperature, top_k)
        except SamplingError as error:
            raise PredictError(str(error)) from None
        rng = rng if rng is not None else np.random.default_rng()
        names, text = self.info.class_names, prompt
        for _ in range(length):
            odds = self.probabilities(self.text_input(text)).numpy()
            text += names[sample_index(odds, temperature, rng, top_k)]
        return text[len(prompt):]

    def text_input(self, text: str) -> torch.Tensor:
        """The model input for the end of `text`: character ids or one-hot vectors, as
        the model was trained (data/textfile.py); PredictError for a model of no text."""
        if info_layout(self.info) is None:
            raise PredictError(f"this model takes {self.info.describe_input()}, not text")
        try:
            return encode_prompt(self.info, text)
        except DataError as error:
            raise PredictError(str(error)) from None

    # ----- preprocessing ------------------------------------------------------------------
    def image_pixels(self, image: ImageInput) -> np.ndarray:
        """The image at the model's size and channels as H×W×C floats in 0..1, in the
        training data's polarity; `preprocess` then normalises it."""
        channels, height, width = self.info.input_shape
        if isinstance(image, (str, Path)):
            path = Path(image)
            if not path.is_file():
                raise PredictError(f"no image file at {path}")
            image = open_image(path, (height, width), channels)
        if isinstance(image, Image.Image):
            image = image.convert("L" if channels == 1 else "RGB")
            if image.size != (width, height):
                image = image.resize((width, height), Image.Resampling.BILINEAR)
        array = np.asarray(image)
        array = array.astype(np.float32) / 255.0 if array.dtype == np.uint8 \
            else array.astype(np.float32)
        if array.ndim == 3 and array.shape[2] == 4:
            array = array[:, :, :3]
        if self.info.image is not None:
            array = match_polarity(array, self.info.image)
        return array

    def _preprocess(self, raw: Any) -> torch.Tensor:
        try:
            return preprocess(self.info, raw)
        except DataError as error:
            raise PredictError(str(error)) from None

    def _expect(self, kinds: str | tuple[str, ...], what: str) -> None:
        kinds = (kinds,) if isinstance(kinds, str) else kinds
        if self.info.kind not in kinds:
            raise PredictError(f"this model takes {self.info.describe_input()}, "
                               f"not {what}")

    # ----- the model ----------------------------------------------------------------------
    def _predict(self, x: torch.Tensor, label: str, top_k: int) -> Prediction:
        if self.info.task != "classification":
            with torch.inference_mode():
                out = self.model(x[None].to(self.device))
            values = tuple(float(v) for v in out[0].flatten().cpu())
            return Prediction(input=label, task="regression", value=values)
        probabilities = self.probabilities(x)
        k = max(1, min(top_k, len(probabilities)))
        best = torch.topk(probabilities, k)
        names = self.info.class_names
        top = tuple(ClassProbability(names[int(i)], float(p))
                    for p, i in zip(best.values, best.indices, strict=True))
        return Prediction(input=label, task="classification", label=top[0].name,
                          probability=top[0].probability, top=top,
                          probabilities=tuple(float(p) for p in probabilities))

    def probabilities(self, x: torch.Tensor) -> torch.Tensor:
        """One probability per class (float64, summing to 1) for one sample.

        Computed from the logits, as the loss saw them, so a graph that ends without
        Softmax still gets probabilities and one that ends with it gets no double softmax.
        """
        model = self.model
        one_hot = model.loss_name in ONE_HOT_LOSSES  # trained against one-hot targets
        binary = model.loss_name == "binary_cross_entropy"
        with torch.inference_mode():
            x = x[None].to(self.device)
            if one_hot:
                out = model(x)  # already on the probability scale
            elif binary and model.final_activation != "sigmoid":
                out = model(x).clamp(0.0, 1.0)  # already a probability (trained with BCE)
            else:
                out = model.logits(x)
            out = out.double().cpu()
            if out.dim() > 2:  # per-step outputs (N, T, C): the next step is the last
                out = out[:, -1]
            out = out[0].flatten()
        if one_hot:
            return one_hot_probabilities(out)
        if binary:
            p = out[0] if model.final_activation != "sigmoid" else torch.sigmoid(out[0])
            return torch.stack([1.0 - p, p])
        return torch.softmax(out, dim=0)


def match_polarity(pixels: np.ndarray, facts: ImageFacts) -> np.ndarray:
    """`pixels` (H×W or H×W×C, 0..1) inverted when their border, which is background in
    a drawing or a scanned digit, is nearer the opposite end of the range than the
    training images' background."""
    background = facts.background
    if background is None:
        return pixels
    height, width = pixels.shape[:2]
    band = max(1, round(min(height, width) * _BORDER))
    ring = np.concatenate([pixels[:band].ravel(), pixels[-band:].ravel(),
                           pixels[:, :band].ravel(), pixels[:, -band:].ravel()])
    low, high = facts.value_range
    middle = (low + high) / 2
    if (float(ring.mean()) > middle) != (background > middle):
        return (low + high) - pixels
    return pixels
