"""How good is a trained model? Its checkpoint run over a split of its data, once.

The checkpoint names the data spec, seed, validation and test shares of its run, so
loading the data again draws the very same splits the trainer validated and tested on.
The checkpoint's own normalisation is applied (not one measured again), so the model
sees what it was trained on even when `data_spec` points at other data. Metrics come
from the trainer's `MetricMeter`, so they mean what the training curves meant. No Qt:
the Evaluate panel and a `dlstudio evaluate` command both call `evaluate_checkpoint`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dlstudio.compile import GraphModule, training_loss
from dlstudio.data import DataBundle, DataError, DataInfo, Split, load_data
from dlstudio.data.reconstruction import with_target
from dlstudio.data.textfile import fit_text_to_graph
from dlstudio.infer.onehot import ONE_HOT_LOSSES, one_hot_probabilities
from dlstudio.infer.samples import class_name, displayable
from dlstudio.train.checkpoint import Checkpoint, CheckpointError, load_checkpoint
from dlstudio.train.devices import resolve_device
from dlstudio.train.faults import TrainingError
from dlstudio.train.final_test import with_mse
from dlstudio.train.metrics import meter_for
from dlstudio.train.trainer import EVAL_BATCH_FACTOR

SPLITS = ("val", "test", "all")
SPLIT_NAMES = {"val": "validation", "test": "test", "all": "all data"}
MAX_MISTAKES = 24

Progress = Callable[[int, int], None]  # (samples done, samples in all)


class EvaluationError(ValueError):
    """An evaluation that cannot run; the message names the file, data or split."""


class EvaluationStopped(Exception):
    """`should_stop()` answered True between two batches."""


@dataclass(frozen=True)
class ClassRow:
    """One class's share of the confusion matrix; NaN where nothing divides."""

    name: str
    precision: float
    recall: float
    f1: float
    support: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe (NaN becomes None): `evaluate --json` and `train --json`'s test."""
        return {"class": self.name, "precision": _finite(self.precision),
                "recall": _finite(self.recall), "f1": _finite(self.f1),
                "support": self.support}


@dataclass(frozen=True)
class Mistake:
    """One wrong prediction. `image` is (H, W) or (H, W, 3) in 0..1 for image data;
    other data is described in `text` (the first values, or the decoded tokens)."""

    index: int
    true: str
    predicted: str
    confidence: float
    image: np.ndarray | None = field(default=None, repr=False)
    text: str = ""


@dataclass(frozen=True)
class Evaluation:
    """The outcome: `metrics` holds `loss` and the task's metrics (accuracy, macro
    precision/recall/F1; or MSE, MAE, R²). `confusion[true][predicted]`, `per_class` and
    `mistakes` are empty for regression. `splits` are the splits the data has."""

    checkpoint: Path
    data: str
    split: str
    task: str
    samples: int
    metrics: dict[str, float]
    class_names: tuple[str, ...] = ()
    confusion: tuple[tuple[int, ...], ...] = ()
    per_class: tuple[ClassRow, ...] = ()
    mistakes: tuple[Mistake, ...] = ()
    wrong: int = 0
    splits: tuple[str, ...] = ("val",)

    @property
    def loss(self) -> float:
        return self.metrics["loss"]

    @property
    def split_name(self) -> str:
        return SPLIT_NAMES[self.split]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe (NaN becomes None; mistake pictures are left out)."""
        return {
            "checkpoint": str(self.checkpoint), "data": self.data, "split": self.split,
            "task": self.task, "samples": self.samples,
            "metrics": {k: _finite(v) for k, v in self.metrics.items()},
            "class_names": list(self.class_names),
            "confusion": [list(row) for row in self.confusion],
            "per_class": [row.to_dict() for row in self.per_class],
            "wrong": self.wrong,
            "mistakes": [{"index": m.index, "true": m.true, "predicted": m.predicted,
                          "confidence": m.confidence} for m in self.mistakes],
        }


def evaluate_checkpoint(checkpoint_path: str | Path, data_spec: str | None = None,
                        split: str = "val", device: str = "cpu",
                        progress: Progress | None = None,
                        should_stop: Callable[[], bool] | None = None,
                        max_mistakes: int = MAX_MISTAKES) -> Evaluation:
    """Run the checkpoint's model over `split` ("val", "test" or "all") of its run's data
    (or of `data_spec`). Raises EvaluationError with one clear message, or
    EvaluationStopped when `should_stop()` says so."""
    if split not in SPLITS:
        raise EvaluationError(f"split {split!r} is not one of {', '.join(SPLITS)}")
    try:
        checkpoint = load_checkpoint(Path(checkpoint_path))
        model = checkpoint.build_model()
    except CheckpointError as error:
        raise EvaluationError(str(error)) from None
    spec = data_spec or checkpoint.settings.data
    if not spec:
        raise EvaluationError(f"{checkpoint_path}: the checkpoint names no data; "
                              "give a data spec")
    bundle = _load(spec, checkpoint)
    parts = _parts(bundle, split, spec)
    try:
        target = resolve_device(device)
    except TrainingError as error:
        raise EvaluationError(str(error)) from None
    info = checkpoint.data_info
    runner = _Runner(model.to(target), info, checkpoint.settings.label_smoothing, target,
                     max_mistakes)
    total = sum(len(part) for part in parts)
    batch_size = checkpoint.settings.batch_size * EVAL_BATCH_FACTOR
    done = 0
    with torch.no_grad():
        for x, y in _batches(parts, batch_size, target):
            if should_stop is not None and should_stop():
                raise EvaluationStopped("evaluation stopped")
            runner.add(x, y, done)
            done += len(y)
            if progress is not None:
                progress(done, total)
    return runner.result(checkpoint, spec, split,
                         tuple(name for name in SPLITS if name == "all"
                               or getattr(bundle, name) is not None))


# ----- the data -------------------------------------------------------------------------
def _load(spec: str, checkpoint: Checkpoint) -> DataBundle:
    """The run's data split as the run split it, with the checkpoint's preprocessing."""
    info, settings = checkpoint.data_info, checkpoint.settings
    options: dict[str, Any] = {}
    if info.kind == "image" and len(info.input_shape) == 3:
        options = {"image_size": tuple(info.input_shape[1:]), "channels": info.input_shape[0]}
    if spec.startswith("csv:") and not info.reconstruction:
        options["task"] = info.task
    try:
        bundle = load_data(spec, seed=settings.seed, val_fraction=settings.val_fraction,
                           test_fraction=settings.test_fraction, **options)
        bundle = with_target(bundle, info.target)  # an autoencoder's targets: its input
        bundle = fit_text_to_graph(bundle, checkpoint.graph)  # text cut as in training
    except (DataError, ValueError) as error:
        raise EvaluationError(f"cannot load the data {spec!r}: {error}") from None
    _check_same_kind(bundle.info, info, spec)

    def fixed(part: Split | None) -> Split | None:
        if part is None:
            return None
        return replace(part, pipeline=replace(part.pipeline, normalisation=info.normalisation))

    return DataBundle(info, fixed(bundle.train), fixed(bundle.val), fixed(bundle.test))


def _check_same_kind(found: DataInfo, trained: DataInfo, spec: str) -> None:
    if found.task != trained.task or tuple(found.input_shape) != tuple(trained.input_shape):
        raise EvaluationError(f"the data {spec!r} gives {found.summary()}, but the model was "
                              f"trained on {trained.summary()}")
    if found.task == "classification" and found.num_classes != trained.num_classes:
        raise EvaluationError(f"the data {spec!r} has {found.num_classes} classes, the model "
                              f"{trained.num_classes}")


def _parts(bundle: DataBundle, split: str, spec: str) -> list[Split]:
    if split == "all":
        return [p for p in (bundle.train, bundle.val, bundle.test) if p is not None]
    part = getattr(bundle, split)
    if part is None or len(part) == 0:
        raise EvaluationError(f"the data {spec!r} has no {SPLIT_NAMES[split]} split with "
                              "this run's settings")
    return [part]


def _batches(parts: list[Split], batch_size: int,
             device: torch.device) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    for part in parts:
        for x, y in part.batches(batch_size):
            yield x.to(device), y.to(device)


# ----- the model over the batches ---------------------------------------------------------
class _Runner:
    """Feeds the trainer's meter and keeps the first wrong predictions."""

    def __init__(self, model: GraphModule, info: DataInfo, label_smoothing: float,
                 device: torch.device, max_mistakes: int) -> None:
        self.model, self.info, self.limit = model, info, max_mistakes
        self.loss_fn = training_loss(model, label_smoothing)
        self.sigmoid_logits = model.final_activation == "sigmoid"
        self.meter = meter_for(info, model, device)
        self.one_hot = model.loss_name in ONE_HOT_LOSSES
        self.mistakes: list[Mistake] = []
        self.wrong = 0

    def add(self, x: torch.Tensor, y: torch.Tensor, offset: int) -> None:
        output = self.model.logits(x)
        self.meter.update(output, y, self.loss_fn(output, y))
        if self.info.task == "classification":
            self._find_mistakes(x, y, output, offset)

    def _find_mistakes(self, x: torch.Tensor, y: torch.Tensor, output: torch.Tensor,
                       offset: int) -> None:
        found = self._predictions(output)
        if found is None or y.dim() != 1:
            return  # per-step outputs: a sample has no single label to get wrong
        predicted, confidence = found
        wrong = (predicted.cpu() != y.cpu().long()).nonzero().reshape(-1)
        self.wrong += len(wrong)
        room = self.limit - len(self.mistakes)
        if room <= 0 or not len(wrong):
            return
        chosen = wrong[:room]
        views = displayable(x[chosen.to(x.device)].cpu(), self.info)
        names = self.info.class_names
        for slot, i in enumerate(chosen.tolist()):
            self.mistakes.append(Mistake(
                offset + i, class_name(names, int(y[i])), class_name(names, int(predicted[i])),
                float(confidence[i]),
                views[slot] if isinstance(views, np.ndarray) else None,
                "" if isinstance(views, np.ndarray) else views[slot]))

    def _predictions(self, output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
        """Class ids and their probability, as the meter decides the class."""
        output = output.float().cpu()
        if output.dim() != 2:
            return None
        if output.shape[1] == 1:
            chance = torch.sigmoid(output[:, 0]) if self.sigmoid_logits \
                else output[:, 0].clamp(0.0, 1.0)
            predicted = (chance > 0.5).long()
            return predicted, torch.where(predicted == 1, chance, 1 - chance)
        probabilities = one_hot_probabilities(output) if self.one_hot \
            else torch.softmax(output, dim=1)
        confidence, predicted = probabilities.max(dim=1)
        return predicted, confidence

    def result(self, checkpoint: Checkpoint, spec: str, split: str,
               splits: tuple[str, ...]) -> Evaluation:
        totals = self.meter.totals()
        metrics, _ = self.meter.summarise(totals)
        assert checkpoint.path is not None
        common = dict(checkpoint=checkpoint.path, data=spec, split=split, task=self.info.task,
                      samples=self.meter.samples, splits=splits)
        if self.info.task != "classification":
            return Evaluation(metrics=with_mse(metrics, totals), **common)
        n = self.info.num_classes
        confusion = tuple(tuple(round(totals[f"confusion.{row * n + col}"]) for col in range(n))
                          for row in range(n))
        return Evaluation(metrics=metrics, class_names=self.info.class_names,
                          confusion=confusion, per_class=class_rows(confusion,
                                                                    self.info.class_names),
                          mistakes=tuple(self.mistakes), wrong=self.wrong, **common)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def class_rows(confusion: tuple[tuple[int, ...], ...],
               names: tuple[str, ...]) -> tuple[ClassRow, ...]:
    """Precision, recall, F1 and support of each class from `confusion[true][predicted]`."""
    matrix = np.asarray(confusion, dtype=np.float64).reshape(len(confusion), -1)
    correct, predicted, support = np.diag(matrix), matrix.sum(axis=0), matrix.sum(axis=1)
    rows = []
    for c in range(len(matrix)):
        p = correct[c] / predicted[c] if predicted[c] else math.nan
        r = correct[c] / support[c] if support[c] else math.nan
        f1 = math.nan  # a class neither present nor predicted has no score
        if predicted[c] or support[c]:  # else a missing ratio counts as 0, as in sklearn
            pp, rr = (0.0 if math.isnan(v) else v for v in (p, r))
            f1 = 2 * pp * rr / (pp + rr) if pp + rr else 0.0
        rows.append(ClassRow(class_name(names, c), float(p), float(r), float(f1), int(support[c])))
    return tuple(rows)



__all__ = ["SPLITS", "ClassRow", "Evaluation", "EvaluationError",
           "EvaluationStopped", "Mistake", "class_rows", "evaluate_checkpoint"]
