"""Epoch metrics, accumulated on the device without a sync per batch.

A `MetricMeter` adds each batch into a few device tensors (loss sum, confusion counts, or
error sums for regression); `totals()` reads them once per epoch as plain numbers, which
is also what ranks all-reduce under torchrun; `summarise()` turns totals into metrics.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
from torch import nn

from dlstudio.compile import GraphModule
from dlstudio.data import DataInfo
from dlstudio.train.events import LayerStats, Metrics

MAX_CONFUSION_CLASSES = 64  # larger matrices are not drawn, so they are not kept

Totals = dict[str, float]


class MetricMeter:
    """Sums over one epoch for `task` "classification" (`classes` >= 2; a single output
    column is a binary classifier thresholded at `threshold`) or "regression"
    (`outputs` values per sample). `sigmoid`: regression outputs arrive as logits whose
    Sigmoid the loss absorbed (binary cross-entropy per value), so errors are measured
    after it. `pooled`: R² over all values at once, as for a reconstruction, whose many
    constant pixels would each score 0 in a per-output average."""

    def __init__(self, task: str, device: torch.device, *, classes: int = 0,
                 outputs: int = 1, threshold: float = 0.5, sigmoid: bool = False,
                 pooled: bool = False) -> None:
        self.task, self.classes, self.outputs = task, classes, outputs
        self.threshold = threshold
        self.sigmoid, self.pooled = sigmoid, pooled
        self.binary = task == "classification" and classes == 2 and outputs == 1
        dtype = torch.float32 if device.type == "mps" else torch.float64
        self.loss_sum = torch.zeros((), dtype=dtype, device=device)
        self.samples = 0
        if task == "classification":
            self.confusion = torch.zeros(classes * classes, dtype=torch.int64, device=device)
            self._one = torch.ones((), dtype=torch.int64, device=device)
        else:  # rows: |error|, error², target, target²; one column per output
            self.sums = torch.zeros(4, outputs, dtype=dtype, device=device)

    def update(self, output: torch.Tensor, target: torch.Tensor, loss: torch.Tensor) -> None:
        """Add one batch (`loss` is its mean loss); queues device work, never syncs."""
        count = len(target)
        self.samples += count
        self.loss_sum.add_(loss.detach(), alpha=count)
        output = output.detach()
        if self.task == "classification":
            if self.binary:
                predicted = (output > self.threshold).long().reshape(target.shape[0], -1)
                truth = target.reshape(target.shape[0], -1).long()
            else:
                predicted = output.argmax(-1)
                truth = target.argmax(-1) if target.dim() == output.dim() else target.long()
            flat = truth.reshape(-1) * self.classes + predicted.reshape(-1)
            self.confusion.scatter_add_(0, flat, self._one.expand_as(flat))  # one kernel
        else:
            if self.sigmoid:
                output = torch.sigmoid(output)
            guess = output.reshape(count, -1).to(self.sums.dtype)
            truth = target.reshape(count, -1).to(self.sums.dtype)
            error = guess - truth
            self.sums += torch.stack((error.abs(), error * error, truth, truth * truth)).sum(1)

    def totals(self) -> Totals:
        """The epoch's sums as plain numbers (one sync); ranks add these together."""
        totals: Totals = {"samples": float(self.samples), "loss_sum": self.loss_sum.item()}
        if self.task == "classification":
            for index, value in enumerate(self.confusion.tolist()):
                totals[f"confusion.{index}"] = float(value)
        else:
            for row, name in enumerate(("abs", "sq", "y", "y2")):
                for column, value in enumerate(self.sums[row].tolist()):
                    totals[f"{name}.{column}"] = value
        return totals

    def summarise(self, totals: Mapping[str, float]) -> tuple[Metrics, list[list[int]] | None]:
        """Metrics (and the confusion matrix of a classifier) from `totals`."""
        samples = totals["samples"]
        metrics = {"loss": totals["loss_sum"] / samples if samples else math.nan}
        if self.task == "classification":
            n = self.classes
            flat = [round(totals[f"confusion.{i}"]) for i in range(n * n)]
            matrix = [flat[row * n:(row + 1) * n] for row in range(n)]
            metrics.update(classification_metrics(matrix))
            return metrics, matrix if n <= MAX_CONFUSION_CLASSES else None
        columns = range(self.outputs)
        metrics.update(regression_metrics(
            samples, [totals[f"abs.{c}"] for c in columns], [totals[f"sq.{c}"] for c in columns],
            [totals[f"y.{c}"] for c in columns], [totals[f"y2.{c}"] for c in columns],
            pooled=self.pooled))
        return metrics, None


def meter_for(info: DataInfo, model: GraphModule, device: torch.device) -> MetricMeter:
    """The meter that measures `model` on `info`'s data, as training and evaluation do."""
    sigmoid = model.final_activation == "sigmoid"
    if info.task == "regression":
        return MetricMeter("regression", device, outputs=math.prod(model.output_shape),
                           sigmoid=sigmoid, pooled=info.reconstruction)
    return MetricMeter(info.task, device, classes=info.num_classes,
                       outputs=model.output_shape[-1], threshold=0.0 if sigmoid else 0.5)


# The metrics besides the loss that each task reports, in this order.
TASK_METRICS = {"classification": ("accuracy", "precision", "recall", "f1"),
                "regression": ("mae", "r2")}


def classification_metrics(confusion: list[list[int]]) -> Metrics:
    """Accuracy and macro precision, recall and F1 from `confusion[true][predicted]`.

    As scikit-learn does by default: the macro average runs over the classes that occur
    in the targets or the predictions, and a ratio with nothing to divide by counts as 0.
    """
    n = len(confusion)
    total = sum(map(sum, confusion))
    correct = sum(confusion[i][i] for i in range(n))
    precision, recall, f1 = [], [], []
    for c in range(n):
        true_count = sum(confusion[c])
        predicted_count = sum(confusion[r][c] for r in range(n))
        if true_count == 0 and predicted_count == 0:
            continue
        tp = confusion[c][c]
        p = tp / predicted_count if predicted_count else 0.0
        r = tp / true_count if true_count else 0.0
        precision.append(p)
        recall.append(r)
        f1.append(2 * p * r / (p + r) if p + r else 0.0)

    def mean(values: list[float]) -> float:
        return sum(values) / len(values) if values else math.nan

    return dict(zip(TASK_METRICS["classification"], (
        correct / total if total else math.nan, mean(precision), mean(recall), mean(f1)),
        strict=True))


def regression_metrics(samples: float, abs_sums: list[float], sq_sums: list[float],
                       y_sums: list[float], y2_sums: list[float], *,
                       pooled: bool = False) -> Metrics:
    """MAE over every value, and R² averaged over the outputs (scikit-learn's
    uniform average; an output whose targets are all equal scores 1 if predicted
    exactly, else 0). `pooled`: R² = 1 - all squared errors / all spread around each
    output's mean (scikit-learn's variance_weighted average)."""
    if not samples:
        return dict.fromkeys(TASK_METRICS["regression"], math.nan)
    mae = sum(abs_sums) / (samples * len(abs_sums))
    if pooled:
        spread = sum(y2 - y * y / samples for y, y2 in zip(y_sums, y2_sums, strict=True))
        r2 = 1.0 - sum(sq_sums) / spread if spread > 1e-12 else float(sum(sq_sums) == 0)
        return dict(zip(TASK_METRICS["regression"], (mae, r2), strict=True))
    scores = []
    for sq, y, y2 in zip(sq_sums, y_sums, y2_sums, strict=True):
        spread = y2 - y * y / samples
        if spread <= 1e-12 * max(1.0, y2):
            scores.append(1.0 if sq == 0 else 0.0)
        else:
            scores.append(1.0 - sq / spread)
    return dict(zip(TASK_METRICS["regression"], (mae, sum(scores) / len(scores)),
                    strict=True))


def layer_norms(model: nn.Module) -> tuple[list[str], torch.Tensor] | None:
    """L2 norm of each layer's weights and of their gradients, as device tensors (no
    sync): rows [weight_norm, grad_norm], one per layer that has parameters."""
    names, rows = [], []
    for name, layer in model.named_children():
        params = list(layer.parameters())
        if not params:
            continue
        weights = torch.stack([p.detach().float().norm() for p in params]).norm()
        grads = [p.grad.detach().float().norm() for p in params if p.grad is not None]
        grad = torch.stack(grads).norm() if grads else torch.zeros_like(weights)
        names.append(name)
        rows.append(torch.stack((weights, grad)))
    if not rows:
        return None
    return names, torch.stack(rows)


def layer_stats(norms: tuple[list[str], torch.Tensor] | None) -> LayerStats:
    """`layer_norms` as plain numbers (one sync)."""
    if norms is None:
        return {}
    names, values = norms
    return {name: {"weight_norm": w, "grad_norm": g}
            for name, (w, g) in zip(names, values.tolist(), strict=True)}
