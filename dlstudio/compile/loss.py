"""The training loss that goes with a compiled graph's Output node."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

from dlstudio.compile.compiler import GraphModule

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def training_loss(module: GraphModule, label_smoothing: float = 0.0) -> LossFn:
    """`loss(module.logits(x), target)` for the Output's loss.

    Why logits: a classifier is drawn ending in Softmax (or Sigmoid), but training on its
    probabilities would either apply softmax twice (CrossEntropyLoss already does) or take
    log(softmax(z)), which underflows to log(0) = -inf for confident predictions. The fused
    losses (CrossEntropyLoss, BCEWithLogitsLoss) use log-sum-exp on the scores and stay
    exact. `label_smoothing` applies to the two classification losses.

    Targets: cross_entropy takes class ids (N,) or (N, T) for per-step outputs (N, T, C),
    or class probabilities shaped like the output; the other losses take targets with as
    many values as the output, reshaped to it. Class ids (integer targets) given to mse,
    l1 or huber become their one-hot against an output of one value per class, as older
    textbooks train a classifier; they compare what the Output receives, so a graph that
    ends in Softmax is trained on its probabilities.
    """
    if not 0.0 <= label_smoothing < 1.0:
        raise ValueError(f"label_smoothing must be ≥ 0 and < 1. Received: {label_smoothing}")
    name = module.loss_name
    if name == "cross_entropy":
        return _cross_entropy(nn.CrossEntropyLoss(label_smoothing=label_smoothing))
    if name == "binary_cross_entropy":
        stripped = module.final_activation == "sigmoid"
        return _binary(nn.BCEWithLogitsLoss() if stripped else nn.BCELoss(), label_smoothing)
    regression = {"mse": nn.MSELoss, "l1": nn.L1Loss, "huber": nn.HuberLoss}
    if name not in regression:
        raise ValueError(f"unknown loss {name!r}")
    return _shaped_like_output(regression[name]())


def _cross_entropy(criterion: nn.CrossEntropyLoss) -> LossFn:
    def loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if target.is_floating_point() and target.shape == logits.shape:
            target = target.movedim(-1, 1)  # class probabilities
        else:
            target = target.long()
        return criterion(logits.movedim(-1, 1), target)  # torch wants classes on axis 1
    return loss


def _binary(criterion: nn.Module, label_smoothing: float) -> LossFn:
    def loss(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        target = target.to(output.dtype).reshape(output.shape)
        return criterion(output, target * (1.0 - label_smoothing) + 0.5 * label_smoothing)
    return loss


def _shaped_like_output(criterion: nn.Module) -> LossFn:
    def loss(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return criterion(output, as_numbers(target, output))
    return loss


def as_numbers(target: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    """`target` as values to compare with `output`: class ids become their one-hot when
    the output has one value per class (a single output takes the id, 0 or 1, itself)."""
    if not target.is_floating_point() and output.dim() == target.dim() + 1 \
            and output.shape[-1] > 1:
        target = F.one_hot(target.long(), output.shape[-1])
    return target.to(output.dtype).reshape(output.shape)
