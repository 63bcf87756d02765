"""Training settings: one flat, checked record that a project, the CLI and the UI share.

`to_dict()` is flat (augmentation fields become `augment.shift`, ...), so it can be stored
as a project's `training` object as it is; `from_dict()` checks every field and names the
one at fault.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from dlstudio.data import Augmentation, DataError
from dlstudio.data.info import TARGETS
from dlstudio.data.normalisations import NORMALISATIONS
from dlstudio.weights.pretrained import PREFIX, PRETRAINED

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad")
SCHEDULES = ("none", "step", "cosine", "onecycle", "plateau")
LOSSES = ("cross_entropy", "binary_cross_entropy", "mse", "l1", "huber")
METRICS = ("loss", "accuracy", "precision", "recall", "f1", "mae", "r2")
MONITORS = tuple(f"{split}_{metric}" for split in ("val", "train") for metric in METRICS)
MAX_SEED = 2**63 - 1
AUGMENT_PREFIX = "augment."


class TrainSettingsError(ValueError):
    """A training setting out of range or of the wrong type; `field` names it."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"training setting {field_name!r}: {problem}")
        self.field = field_name
        self.problem = problem


@dataclass(frozen=True)
class TrainSettings:
    """How to train. `weight_decay` is the L2 penalty (decoupled for AdamW), `l1` adds
    l1 * sum|w| over weight matrices and kernels; `momentum` and `nesterov` apply to SGD.
    `loss` None trains with the Output node's loss. `monitor` (e.g. "val_accuracy")
    drives best.pt, early stopping and the plateau schedule. `data`, `val_fraction` and
    `test_fraction` say what to load (`load_data`; a test share is held out and only
    measured once, at the end); the Trainer itself takes loaded data. `weights`
    (a weights file, relative to the project's folder, or "pretrained:NAME") is where
    training starts from; `normalisation` is "auto" (measured from the data) or
    "imagenet" (the mean and std ImageNet weights expect). `memory_limit_gb` is the memory
    one batch may need (10^9 bytes); 0 uses what is free on the device (see memory.py).
    `checkpoint_every` N > 0 keeps a copy of the weights after every N-th epoch
    (checkpoints/epoch-0003.pt), so a run can be replayed epoch by epoch; each copy costs
    one model's size on disk."""

    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    optimizer: str = "adam"
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.0
    l1: float = 0.0
    schedule: str = "none"
    step_size: int = 10
    gamma: float = 0.1
    plateau_patience: int = 3
    warmup_epochs: int = 0
    grad_clip: float = 0.0
    label_smoothing: float = 0.0
    loss: str | None = None
    early_stopping: bool = False
    monitor: str = "val_loss"
    patience: int = 5
    restore_best: bool = True
    seed: int = 0
    device: str = "auto"
    mixed_precision: bool = True
    augment: dict[str, Any] = field(default_factory=dict)
    val_fraction: float = 0.15
    test_fraction: float = 0.0
    data: str = ""
    weights: str = ""
    normalisation: str = "auto"
    target: str = "labels"  # "input": each sample is its own target (autoencoders)
    memory_limit_gb: float = 0.0  # 0: the memory free on the device; else this many GB
    checkpoint_every: int = 0  # 0: off; N: keep the weights of every N-th epoch (replay)

    def __post_init__(self) -> None:
        _check(self)

    @property
    def augmentation(self) -> Augmentation:
        return Augmentation.from_dict(self.augment)

    def to_dict(self) -> dict[str, Any]:
        """Flat plain values: what a project's `training` object holds."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "augment"}
        for key, value in self.augmentation.to_dict().items():
            data[AUGMENT_PREFIX + key] = value
        return data

    @classmethod
    def from_dict(cls, data: Any) -> TrainSettings:
        """Settings from `to_dict()` output (a missing key takes its default). Augmentation
        may also come nested as {"augment": {...}}. Unknown keys are refused."""
        if not isinstance(data, dict):
            raise TrainSettingsError("training", f"expected an object, not "
                                                 f"{type(data).__name__}")
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        augment: dict[str, Any] = {}
        for key, value in data.items():
            if key == "augment":
                if not isinstance(value, dict):
                    raise TrainSettingsError("augment", "expected an object of "
                                                        "augmentation settings")
                augment.update(value)
            elif isinstance(key, str) and key.startswith(AUGMENT_PREFIX):
                augment[key[len(AUGMENT_PREFIX):]] = value
            elif key in known:
                values[key] = value
            else:
                raise TrainSettingsError(str(key), "is not a training setting; known: "
                                                   + ", ".join(sorted(known)))
        return cls(**values, augment=augment)


# ----- checks ----------------------------------------------------------------------------
def _check(s: TrainSettings) -> None:
    _int(s, "epochs", 1, 1_000_000)
    _int(s, "batch_size", 1, 1_000_000)
    _float(s, "lr", 0.0, 1e6, open_low=True)
    _choice(s, "optimizer", OPTIMIZERS)
    _float(s, "momentum", 0.0, 1.0, open_high=True)
    _bool(s, "nesterov")
    if s.nesterov and s.optimizer == "sgd" and s.momentum == 0:
        raise TrainSettingsError("nesterov", "Nesterov momentum needs momentum > 0")
    _float(s, "weight_decay", 0.0, 1e3)
    _float(s, "l1", 0.0, 1e3)
    _choice(s, "schedule", SCHEDULES)
    _int(s, "step_size", 1, 1_000_000)
    _float(s, "gamma", 0.0, 1.0, open_low=True)
    _int(s, "plateau_patience", 1, 1_000_000)
    _int(s, "warmup_epochs", 0, 1_000_000)
    _float(s, "grad_clip", 0.0, 1e9)
    _float(s, "label_smoothing", 0.0, 1.0, open_high=True)
    if s.loss is not None:
        _choice(s, "loss", LOSSES)
    _bool(s, "early_stopping")
    _choice(s, "monitor", MONITORS)
    _int(s, "patience", 1, 1_000_000)
    _bool(s, "restore_best")
    _int(s, "seed", 0, MAX_SEED)
    _device(s.device)
    _bool(s, "mixed_precision")
    object.__setattr__(s, "augment", _augment(s.augment))
    _float(s, "val_fraction", 0.0, 1.0, open_high=True)
    _float(s, "test_fraction", 0.0, 1.0, open_high=True)
    if s.val_fraction + s.test_fraction >= 1.0:
        raise TrainSettingsError("test_fraction", f"val_fraction {s.val_fraction:g} + "
                                 f"test_fraction {s.test_fraction:g} leave nothing to "
                                 "train on: keep their sum below 1")
    if not isinstance(s.data, str):
        raise TrainSettingsError("data", "must be a data spec such as builtin:digits")
    _weights(s.weights)
    _choice(s, "normalisation", NORMALISATIONS)
    _choice(s, "target", TARGETS)
    _float(s, "memory_limit_gb", 0.0, 1e9)
    _int(s, "checkpoint_every", 0, 1_000_000)


def _number(s: TrainSettings, name: str, kinds: tuple[type, ...], what: str) -> Any:
    value = getattr(s, name)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise TrainSettingsError(name, f"must be {what}, not {value!r}")
    return value


def _int(s: TrainSettings, name: str, low: int, high: int) -> None:
    value = _number(s, name, (int,), "a whole number")
    if not low <= value <= high:
        raise TrainSettingsError(name, f"must be between {low} and {high}, got {value}")


def _float(s: TrainSettings, name: str, low: float, high: float, *,
           open_low: bool = False, open_high: bool = False) -> None:
    value = _number(s, name, (int, float), "a number")
    if not math.isfinite(value) or value < low or value > high \
            or (open_low and value == low) or (open_high and value == high):
        left, right = "(" if open_low else "[", ")" if open_high else "]"
        raise TrainSettingsError(name, f"must be in {left}{low:g}, {high:g}{right}, "
                                       f"got {value!r}")
    object.__setattr__(s, name, float(value))


def _bool(s: TrainSettings, name: str) -> None:
    if not isinstance(getattr(s, name), bool):
        raise TrainSettingsError(name, f"must be true or false, not {getattr(s, name)!r}")


def _choice(s: TrainSettings, name: str, choices: tuple[str, ...]) -> None:
    if getattr(s, name) not in choices:
        raise TrainSettingsError(name, f"{getattr(s, name)!r} is not one of "
                                       f"{', '.join(choices)}")


def _device(device: Any) -> None:
    if isinstance(device, str):
        if device in ("auto", "cpu", "cuda", "mps"):
            return
        kind, _, index = device.partition(":")
        if kind == "cuda" and index.isdigit():
            return
    raise TrainSettingsError("device", f"{device!r} is not auto, cpu, cuda, cuda:N or mps")


def _weights(weights: Any) -> None:
    """A file path, or "pretrained:NAME" for a name with published weights."""
    if not isinstance(weights, str):
        raise TrainSettingsError("weights", f"must be a file path or pretrained:NAME, not "
                                            f"{weights!r}")
    if weights.startswith(PREFIX) and weights[len(PREFIX):] not in PRETRAINED:
        raise TrainSettingsError("weights", f"{weights!r}: published weights exist for "
                                            + ", ".join(PREFIX + n for n in PRETRAINED))


def _augment(augment: Any) -> dict[str, Any]:
    """The augmentation settings checked, with every field spelled out."""
    if not isinstance(augment, dict):
        raise TrainSettingsError("augment", "expected an object of augmentation settings")
    known = set(asdict(Augmentation()))
    for key in augment:
        if key not in known:
            raise TrainSettingsError(AUGMENT_PREFIX + str(key),
                                     f"is not an augmentation; known: {', '.join(known)}")
    try:
        return Augmentation.from_dict(augment).to_dict()
    except (DataError, TypeError) as error:
        raise TrainSettingsError("augment", str(error)) from None


# ----- per-template defaults ---------------------------------------------------------------
_TEMPLATE_DEFAULTS: dict[str, dict[str, Any]] = {
    "linear-regression": dict(data="builtin:linear", epochs=40, batch_size=32, lr=0.1,
                              optimizer="sgd", momentum=0.9, schedule="cosine"),
    "logistic-regression": dict(data="builtin:blobs", epochs=20, batch_size=32, lr=0.05),
    "xor": dict(data="builtin:xor", epochs=60, batch_size=16, lr=0.05),
    "mlp": dict(data="builtin:digits28", epochs=10, batch_size=64, lr=1e-3),
    "cnn-small": dict(data="builtin:digits28", epochs=5, batch_size=64, lr=1e-3),
    "cnn-two-block": dict(data="builtin:digits28", epochs=8, batch_size=64, lr=1e-3),
    "cnn-compact": dict(data="builtin:digits28", epochs=10, batch_size=64, lr=2e-3),
    "lenet5": dict(data="builtin:digits28", epochs=10, batch_size=64, lr=2e-3),
    "vgg16": dict(data="builtin:digits28", epochs=3, batch_size=32, lr=1e-4,
                  optimizer="sgd", momentum=0.9),
    "vgg16-transfer": dict(data="builtin:digits28", epochs=3, batch_size=32, lr=1e-3),
    "resnet18": dict(data="builtin:digits28", epochs=3, batch_size=32, lr=1e-3),
    "lstm-text": dict(data="builtin:text", epochs=20, batch_size=64, lr=3e-3, grad_clip=1.0),
    "autoencoder": dict(data="builtin:digits28", target="input", epochs=30, batch_size=64,
                        lr=2e-3),
    "char-rnn": dict(data="builtin:text", epochs=20, batch_size=64, lr=3e-3, grad_clip=1.0),
    "transformer-text": dict(data="builtin:text", epochs=12, batch_size=64, lr=2e-3,
                             optimizer="adamw", weight_decay=0.01, schedule="cosine",
                             grad_clip=1.0),
}


def defaults_for_template(name: str) -> TrainSettings:
    """Settings that train the template well on its default data (`data`). Image sets
    are meant to be loaded at the Input's size and channels (load_data's image_size,
    channels), as `dlstudio train` does."""
    from dlstudio.graph.templates import template_names

    if name not in _TEMPLATE_DEFAULTS:
        if name in template_names():
            raise KeyError(f"template {name!r} has no training defaults")
        raise KeyError(f"unknown template {name!r}; choose one of: "
                       + ", ".join(template_names()))
    return TrainSettings(**_TEMPLATE_DEFAULTS[name])
