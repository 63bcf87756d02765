"""What the trainer reports: plain records and the events that carry them.

Subscribers are called on the training thread; the UI re-emits them as Qt signals.
`batch_ended` is throttled (see `Trainer.batch_event_seconds`), the others fire every time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from dlstudio.graph.events import Event
from dlstudio.train.health_signs import HealthSign

Metrics = dict[str, float]
LayerStats = dict[str, dict[str, float]]


@dataclass(frozen=True)
class BatchStats:
    """Progress inside an epoch. `loss` is the mean training loss of the epoch so far;
    `batch` counts batches done (1-based); speed and time exclude paused time."""

    epoch: int
    batch: int
    batches: int
    loss: float
    lr: float
    samples_per_second: float
    seconds: float


@dataclass(frozen=True)
class EpochStats:
    """One finished epoch (1-based `epoch` of `epochs`).

    `train` and `val` hold "loss" and, for classifiers, "accuracy", "precision", "recall",
    "f1" (macro), for regression "mae" and "r2"; `val` is empty without validation data.
    `confusion[true][predicted]` counts the validation samples (training ones when there
    is no validation data); None for regression and above 64 classes. `layer_stats` maps
    each layer with weights to its "weight_norm" and "grad_norm" (L2 over the layer's
    parameters, gradient of the epoch's last batch). `seconds` excludes paused time.
    `warning` is set on the first epoch whose training loss is far above where the run
    began (runaway.py: the learning rate may be too high), else "".
    `dead_units` maps each ReLU layer to the fraction of its units that never fired over
    the epoch's last few batches (dead_units.py). `health` holds the training health
    signs that hold at this epoch (health.py), each with the epoch it first appeared at:
    a sign whose `epoch` is this one is new. An epoch with a `warning` also has a
    LOSS_JUMPS sign that says the same.
    """

    epoch: int
    epochs: int
    train: Metrics
    val: Metrics
    lr: float
    seconds: float
    samples_per_second: float
    eta_seconds: float
    confusion: list[list[int]] | None = None
    layer_stats: LayerStats = field(default_factory=dict)
    warning: str = ""
    dead_units: dict[str, float] = field(default_factory=dict)
    health: tuple[HealthSign, ...] = ()

    def metric(self, name: str) -> float | None:
        """A monitor name such as "val_loss" or "train_accuracy", or None if absent."""
        split, _, metric = name.partition("_")
        return (self.val if split == "val" else self.train).get(metric)

    def to_dict(self) -> dict[str, Any]:
        """Plain values; "warning", "dead_units" and "health" only when the epoch has
        them (files written before they existed read the same)."""
        data = {
            "epoch": self.epoch, "epochs": self.epochs,
            "train": _finite(self.train), "val": _finite(self.val),
            "lr": _number(self.lr), "seconds": _number(self.seconds),
            "samples_per_second": _number(self.samples_per_second),
            "eta_seconds": _number(self.eta_seconds),
            "confusion": self.confusion,
            "layer_stats": {name: _finite(values) for name, values in self.layer_stats.items()},
        }
        if self.warning:
            data["warning"] = self.warning
        if self.dead_units:
            data["dead_units"] = _finite(self.dead_units)
        if self.health:
            data["health"] = [sign.to_dict() for sign in self.health]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EpochStats:
        """Inverse of `to_dict` (a value stored as null comes back as NaN)."""
        def metrics(values: dict[str, Any]) -> Metrics:
            return {str(k): _float(v) for k, v in values.items()}

        confusion = data.get("confusion")
        return cls(
            epoch=int(data["epoch"]), epochs=int(data["epochs"]),
            train=metrics(data["train"]), val=metrics(data["val"]),
            lr=_float(data["lr"]), seconds=_float(data["seconds"]),
            samples_per_second=_float(data["samples_per_second"]),
            eta_seconds=_float(data["eta_seconds"]),
            confusion=None if confusion is None else [[int(v) for v in row]
                                                      for row in confusion],
            layer_stats={str(k): metrics(v) for k, v in data.get("layer_stats", {}).items()},
            warning=str(data.get("warning") or ""),
            dead_units=metrics(data.get("dead_units") or {}),
            health=tuple(HealthSign.from_dict(sign) for sign in data.get("health") or ()),
        )


@dataclass(frozen=True)
class TestResult:
    """The final weights measured once on the held-out test split, after training.

    `metrics` are those of `dlstudio evaluate --split test` on the run's checkpoint (the
    trainer's MetricMeter; regression adds "mse"); `confusion[true][predicted]` counts
    the test samples of a classifier (None for regression and above 64 classes).
    """

    samples: int
    metrics: Metrics
    confusion: list[list[int]] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"split": "test", "samples": self.samples, "metrics": _finite(self.metrics),
                "confusion": self.confusion}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestResult:
        """Inverse of `to_dict` (a run's saved result)."""
        confusion = data.get("confusion")
        return cls(int(data["samples"]),
                   {str(k): _float(v) for k, v in data["metrics"].items()},
                   None if confusion is None else [[int(v) for v in row]
                                                   for row in confusion])


@dataclass(frozen=True)
class RunResult:
    """The outcome of `Trainer.run()`.

    `final` holds the validation metrics (training metrics without validation data) of
    the weights the model ends with: the best epoch's when early stopping restored them,
    else the last epoch's. `checkpoint` is best.pt in that case, else last.pt (None
    without an output folder). `stopped`: the user asked to stop; `early_stopped`: the
    monitored metric stopped improving. `test`: those same weights on the data's test
    split, when it has one and the run was not stopped.
    """

    history: list[EpochStats]
    final: Metrics
    best_epoch: int | None
    checkpoint: str | None
    device: str
    seconds: float
    stopped: bool = False
    early_stopped: bool = False
    test: TestResult | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe (no NaN: a non-finite number becomes null); `train --json` prints it."""
        return {
            "epochs": [stats.to_dict() for stats in self.history],
            "final": _finite(self.final),
            "best_epoch": self.best_epoch,
            "checkpoint": self.checkpoint,
            "device": self.device,
            "seconds": _number(self.seconds),
            "stopped": self.stopped,
            "early_stopped": self.early_stopped,
            "test": None if self.test is None else self.test.to_dict(),
        }


class TrainerEvents:
    """batch_ended(BatchStats), epoch_ended(EpochStats), log(str), finished(RunResult),
    failed(TrainingError). A stopped run ends with `finished` too (RunResult.stopped)."""

    def __init__(self) -> None:
        self.batch_ended = Event()
        self.epoch_ended = Event()
        self.log = Event()
        self.finished = Event()
        self.failed = Event()


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _finite(values: dict[str, float]) -> dict[str, float | None]:
    return {key: _number(value) for key, value in values.items()}


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)
