"""Optimizers and learning-rate schedules.

The schedule is a pure function of the global step (plus the plateau factor, which the
monitored metric moves), so its whole state is three plain numbers: a checkpoint stores
them and a resumed run sets exactly the learning rates the uninterrupted run would have.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from dlstudio.train.settings import TrainSettings

# One-cycle as torch.optim.lr_scheduler.OneCycleLR sets it up by default.
ONECYCLE_RISE = 0.3
ONECYCLE_DIV = 25.0
ONECYCLE_FINAL_DIV = 1e4


def build_optimizer(settings: TrainSettings, params: Iterable[nn.Parameter],
                    device: torch.device) -> torch.optim.Optimizer:
    """The optimizer the settings name over `params` (the trainable ones).
    `weight_decay` is the L2 penalty (AdamW decouples it, as its paper says)."""
    params = list(params)
    lr, decay, name = settings.lr, settings.weight_decay, settings.optimizer
    # One fused kernel per step instead of a loop over tensors: on the CPU too (torch >= 2.4),
    # where it halves Adam's step time on the small templates.
    fused = {"fused": True} if device.type in ("cuda", "cpu") else {}
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=settings.momentum,
                               nesterov=settings.nesterov, weight_decay=decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=decay, **fused)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=decay, **fused)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, weight_decay=decay)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, weight_decay=decay)
    raise ValueError(f"unknown optimizer {name!r}")


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


class LrSchedule:
    """lr(step) = base lr x warm-up x the schedule's shape x the plateau factor.

    warm-up: linear from lr / steps to lr over `warmup_epochs`. step: x gamma every
    `step_size` epochs. cosine: cosine decay to 0 over the steps after warm-up.
    onecycle: cosine rise from lr / 25 to lr over the warm-up (30 % of the run without
    one), then cosine decay to lr / 250000, as OneCycleLR. plateau: x gamma after
    `plateau_patience` epochs without improvement of the monitored metric.
    """

    def __init__(self, settings: TrainSettings, steps_per_epoch: int, minimize: bool) -> None:
        self.kind = settings.schedule
        self.base = settings.lr
        self.steps_per_epoch = max(1, steps_per_epoch)
        self.total = settings.epochs * self.steps_per_epoch
        self.warmup = settings.warmup_epochs * self.steps_per_epoch
        self.step_size = settings.step_size
        self.gamma = settings.gamma
        self.plateau_patience = settings.plateau_patience
        self.minimize = minimize
        self.factor = 1.0
        self.best: float | None = None
        self.bad_epochs = 0
        if self.kind == "onecycle":
            self.rise = self.warmup or max(1, round(ONECYCLE_RISE * self.total))

    @property
    def per_batch(self) -> bool:
        """Whether the rate changes inside an epoch (else it is set once per epoch)."""
        return self.kind in ("cosine", "onecycle") or self.warmup > 0

    def lr_at(self, step: int) -> float:
        if self.kind == "onecycle":
            return self._one_cycle(step) * self.factor
        warm = min(1.0, (step + 1) / self.warmup) if step < self.warmup else 1.0
        shape = 1.0
        if self.kind == "step":
            shape = self.gamma ** (step // self.steps_per_epoch // self.step_size)
        elif self.kind == "cosine":
            span = max(1, self.total - self.warmup)
            progress = min(1.0, max(0.0, (step - self.warmup) / span))
            shape = 0.5 * (1.0 + math.cos(math.pi * progress))
        return self.base * warm * shape * self.factor

    def _one_cycle(self, step: int) -> float:
        start = self.base / ONECYCLE_DIV
        end = start / ONECYCLE_FINAL_DIV
        if step < self.rise:
            return _cosine_between(start, self.base, step / self.rise)
        fall = max(1, self.total - self.rise)
        return _cosine_between(self.base, end, min(1.0, (step - self.rise) / fall))

    def epoch_ended(self, value: float | None) -> bool:
        """Tell the plateau schedule the monitored value; True when it cut the rate."""
        if self.kind != "plateau" or value is None or not math.isfinite(value):
            return False
        if self.best is None or (value < self.best if self.minimize else value > self.best):
            self.best, self.bad_epochs = value, 0
            return False
        self.bad_epochs += 1
        if self.bad_epochs < self.plateau_patience:
            return False
        self.factor *= self.gamma
        self.bad_epochs = 0
        return True

    def state_dict(self) -> dict[str, Any]:
        return {"factor": self.factor, "best": self.best, "bad_epochs": self.bad_epochs}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.factor = float(state["factor"])
        self.best = None if state["best"] is None else float(state["best"])
        self.bad_epochs = int(state["bad_epochs"])


def _cosine_between(start: float, end: float, progress: float) -> float:
    return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * progress))
