"""What a dataset is, in plain JSON-safe facts: shapes, classes, normalisation, image facts.

A checkpoint embeds `DataInfo.to_dict()`, so prediction and the drawing pad can turn raw
input into what the model was trained on without the data files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dlstudio.data.errors import DataError
from dlstudio.graph.data_checks import describe_samples
from dlstudio.graph.shape_text import Shape, format_shape

KINDS = ("image", "vector", "sequence", "tokens")  # the kinds of the graph's Input node
TASKS = ("classification", "regression")
TARGETS = ("labels", "input")  # what a sample's target is: its label, or its own input
POLARITIES = ("light_on_dark", "dark_on_light")
FLIPS = ("horizontal", "vertical")
INFO_VERSION = 1


@dataclass(frozen=True)
class Normalisation:
    """Model input = (value - mean) / std, per channel (images) or per feature (vectors)."""

    mean: tuple[float, ...]
    std: tuple[float, ...]


@dataclass(frozen=True)
class ImageFacts:
    """How the images look before normalisation, for the drawing pad and image files.

    `polarity` says whether strokes are light on a dark background (MNIST) or the reverse;
    None for photos. `content_fraction` is the share of the side that the drawn shape
    fills, centred (20/28 for MNIST-style digits); None when there is no such convention.
    """

    polarity: str | None
    original_size: tuple[int, int]
    value_range: tuple[float, float] = (0.0, 1.0)
    content_fraction: float | None = None

    @property
    def background(self) -> float | None:
        """The pixel value of empty background, when the polarity says it."""
        if self.polarity is None:
            return None
        low, high = self.value_range
        return low if self.polarity == "light_on_dark" else high


@dataclass(frozen=True)
class DataInfo:
    """One dataset's contract with a model: enough to check the graph and to predict.

    Targets: classification data gives class ids (int64, shape (N,)), regression data
    gives float targets of shape (N, *target_shape). Inputs are float tensors of
    `input_shape`, except token data (`kind == "tokens"`): int64 ids below `vocab_size`.
    `target` "input" marks reconstruction (an autoencoder's data, see
    `dlstudio.data.reconstruction`): a regression whose target is the sample itself.
    """

    name: str
    kind: str
    task: str
    input_shape: Shape
    target_shape: Shape = ()
    class_names: tuple[str, ...] = ()
    feature_names: tuple[str, ...] = ()
    normalisation: Normalisation | None = None
    image: ImageFacts | None = None
    allowed_flips: tuple[str, ...] = ()
    source: str = ""
    description: str = ""
    target: str = "labels"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise DataError(f"data info: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.task not in TASKS:
            raise DataError(f"data info: task {self.task!r} is not one of {', '.join(TASKS)}")
        if self.task == "classification" and len(self.class_names) < 2:
            raise DataError(f"data info {self.name!r}: classification needs at least 2 "
                            f"class names, got {len(self.class_names)}")
        if self.target not in TARGETS:
            raise DataError(f"data info: target {self.target!r} is not one of "
                            f"{', '.join(TARGETS)}")
        if self.target == "input" and self.task != "regression":
            raise DataError(f"data info {self.name!r}: reconstruction (target 'input') is a "
                            "regression task")
        bad = set(self.allowed_flips) - set(FLIPS)
        if bad:
            raise DataError(f"data info: unknown flips {sorted(bad)}; use {', '.join(FLIPS)}")

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def reconstruction(self) -> bool:
        """The target of each sample is the sample itself (an autoencoder's data)."""
        return self.target == "input"

    @property
    def input_dtype(self) -> str:
        return "long" if self.kind == "tokens" else "float"

    def describe_input(self) -> str:
        """The samples in words, e.g. '1×8×8 images' or 'vectors of 2 features'."""
        return describe_samples(self.kind, self.input_shape)

    def summary(self) -> str:
        """One line for logs and the status bar, e.g. 'digits: 1×8×8 images, 10 classes'."""
        if self.task == "classification":
            target = f"{self.num_classes} classes"
        elif self.reconstruction:
            target = "reconstructed (the target is the input)"
        else:
            target = f"targets of {format_shape(self.target_shape)}"
        return f"{self.name}: {self.describe_input()}, {target}"

    def to_dict(self) -> dict[str, Any]:
        norm = self.normalisation
        image = self.image
        return {
            "version": INFO_VERSION,
            "name": self.name, "kind": self.kind, "task": self.task,
            "input_shape": list(self.input_shape), "target_shape": list(self.target_shape),
            "class_names": list(self.class_names), "feature_names": list(self.feature_names),
            "normalisation": None if norm is None else {"mean": list(norm.mean),
                                                        "std": list(norm.std)},
            "image": None if image is None else {
                "polarity": image.polarity, "original_size": list(image.original_size),
                "value_range": list(image.value_range),
                "content_fraction": image.content_fraction,
            },
            "allowed_flips": list(self.allowed_flips),
            "source": self.source, "description": self.description,
            "target": self.target,
        }

    @classmethod
    def from_dict(cls, data: Any) -> DataInfo:
        """Rebuild from `to_dict()` output; a malformed field is named in the DataError."""
        if not isinstance(data, dict):
            raise DataError("data info: expected a JSON object")
        version = data.get("version", INFO_VERSION)
        if version != INFO_VERSION:
            raise DataError(f"data info: version {version!r} is not supported "
                            f"(this DL Studio reads version {INFO_VERSION})")
        norm = _get(data, "normalisation", (dict, type(None)), None)
        image = _get(data, "image", (dict, type(None)), None)
        return cls(
            name=_get(data, "name", str),
            kind=_get(data, "kind", str),
            task=_get(data, "task", str),
            input_shape=_ints(data, "input_shape"),
            target_shape=_ints(data, "target_shape"),
            class_names=_strings(data, "class_names"),
            feature_names=_strings(data, "feature_names"),
            normalisation=None if norm is None else Normalisation(
                _floats(norm, "mean", "normalisation.mean"),
                _floats(norm, "std", "normalisation.std")),
            image=None if image is None else ImageFacts(
                polarity=_polarity(image),
                original_size=_pair(_ints(image, "original_size", "image.original_size"),
                                    "image.original_size"),
                value_range=_pair(_floats(image, "value_range", "image.value_range"),
                                  "image.value_range"),
                content_fraction=_get(image, "content_fraction", (int, float, type(None)),
                                      None, "image.content_fraction"),
            ),
            allowed_flips=_strings(data, "allowed_flips"),
            source=_get(data, "source", str, ""),
            description=_get(data, "description", str, ""),
            target=_get(data, "target", str, "labels"),
        )


_MISSING = object()


def _get(data: dict[str, Any], key: str, kinds: Any, default: Any = _MISSING,
         label: str | None = None) -> Any:
    label = label or key
    if key not in data:
        if default is _MISSING:
            raise DataError(f"data info: field {label!r} is missing")
        return default
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise DataError(f"data info: field {label!r} has the wrong type "
                        f"({type(value).__name__})")
    return value


def _ints(data: dict[str, Any], key: str, label: str | None = None) -> tuple[int, ...]:
    values = _get(data, key, list, label=label)
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values):
        raise DataError(f"data info: field {label or key!r} must hold positive whole numbers")
    return tuple(values)


def _floats(data: dict[str, Any], key: str, label: str) -> tuple[float, ...]:
    values = _get(data, key, list, label=label)
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise DataError(f"data info: field {label!r} must hold numbers")
    return tuple(float(v) for v in values)


def _strings(data: dict[str, Any], key: str) -> tuple[str, ...]:
    values = _get(data, key, list, [])
    if not all(isinstance(v, str) for v in values):
        raise DataError(f"data info: field {key!r} must hold strings")
    return tuple(values)


def _pair(values: tuple[Any, ...], label: str) -> Any:
    if len(values) != 2:
        raise DataError(f"data info: field {label!r} must hold 2 values, got {len(values)}")
    return values


def _polarity(image: dict[str, Any]) -> str | None:
    value = _get(image, "polarity", (str, type(None)), None, "image.polarity")
    if value is not None and value not in POLARITIES:
        raise DataError(f"data info: field 'image.polarity' is {value!r}; use "
                        f"{' or '.join(POLARITIES)} or null")
    return value
