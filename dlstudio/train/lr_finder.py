"""The learning-rate range test (Leslie Smith, 2015; as fastai's lr_find runs it).

Train for up to a few hundred batches while the rate grows exponentially from a tiny
value to a huge one, and record the loss smoothed by a bias-corrected moving average.
The loss first stays flat (the rate is too small to move the weights), then falls, then
blows up; a good rate lies where it falls fastest. The test changes the weights, so the
model's weights, training mode, device and the random state are put back afterwards:
the model is exactly as it was handed in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import nn

from dlstudio.compile import training_loss
from dlstudio.data import DataBundle
from dlstudio.graph import Graph
from dlstudio.train.devices import resolve_device
from dlstudio.train.feed import make_feed
from dlstudio.train.optim import build_optimizer, set_lr
from dlstudio.train.preflight import frozen_batchnorms, set_train_mode
from dlstudio.train.settings import TrainSettings

DEFAULT_BATCHES = 100
DEFAULT_START_LR = 1e-7
DEFAULT_END_LR = 10.0
SMOOTHING = 0.98  # weight of the running average (fastai's beta)
DIVERGED = 4.0  # stop once the smoothed loss exceeds this many times its minimum


@dataclass(frozen=True)
class LrFindResult:
    """What the range test measured. `rates[i]` was used for batch i; `losses[i]` is the
    smoothed loss there. `suggestion`: the rate at the steepest fall of the smoothed
    loss; `min_rate`: the rate at its minimum, divided by 10."""

    rates: list[float]
    losses: list[float]
    raw_losses: list[float]
    suggestion: float
    min_rate: float
    how: str  # why `suggestion` (STEEPEST, or NO_FALL when the loss never fell)
    stopped_early: bool
    stop_reason: str  # "" when all batches ran

    def to_dict(self) -> dict[str, Any]:
        return {"suggested_lr": self.suggestion, "min_loss_lr": self.min_rate,
                "suggested_by": self.how,
                "rates": self.rates, "losses": self.losses, "raw_losses": self.raw_losses,
                "batches": len(self.rates), "stopped_early": self.stopped_early,
                "stop_reason": self.stop_reason}


def check_range(batches: int, start_lr: float, end_lr: float) -> None:
    """ValueError (one line) for a range the test cannot run."""
    if batches < 2:
        raise ValueError(f"batches must be at least 2, not {batches}")
    if not (math.isfinite(start_lr) and start_lr > 0):
        raise ValueError(f"the start rate must be a positive number, not {start_lr}")
    if not (math.isfinite(end_lr) and end_lr > start_lr):
        raise ValueError(f"the end rate ({end_lr}) must be larger than the start rate "
                         f"({start_lr})")


def rate_at(step: int, batches: int, start_lr: float, end_lr: float) -> float:
    """Exponential growth: start_lr at step 0, end_lr at step batches - 1."""
    return start_lr * (end_lr / start_lr) ** (step / (batches - 1))


def lr_find(graph: Graph, data: DataBundle, settings: TrainSettings, *,
            batches: int = DEFAULT_BATCHES, start_lr: float = DEFAULT_START_LR,
            end_lr: float = DEFAULT_END_LR) -> LrFindResult:
    """The range test on `graph` built as training builds it (checked, seeded, the
    settings' starting weights loaded). Raises TrainingError as the Trainer would."""
    from dlstudio.train.trainer import Trainer  # the same checks and model as a run

    check_range(batches, start_lr, end_lr)
    trainer = Trainer(graph, data, settings)
    return find_lr(trainer.model, trainer.data, trainer.settings, graph=trainer.graph,
                   batches=batches, start_lr=start_lr, end_lr=end_lr)


def find_lr(model: nn.Module, data: DataBundle, settings: TrainSettings, *,
            graph: Graph | None = None, batches: int = DEFAULT_BATCHES,
            start_lr: float = DEFAULT_START_LR, end_lr: float = DEFAULT_END_LR
            ) -> LrFindResult:
    """The range test on a built model and its fitted data (a Trainer's `model` and
    `data`); `graph` tells which BatchNorm layers are frozen. The model is left exactly
    as it was: weights, buffers, training mode and device."""
    check_range(batches, start_lr, end_lr)
    saved = {k: v.detach().clone() for k, v in model.state_dict().items()}
    was_training = model.training
    first = next(iter(model.parameters()), None)
    home = first.device if first is not None else torch.device("cpu")
    cpu_rng = torch.get_rng_state()
    on_cuda = resolve_device(settings.device).type == "cuda"
    # the test seeds CUDA's generators too: keep theirs whenever CUDA runs or may run
    cuda_rng = torch.cuda.get_rng_state_all() \
        if on_cuda or torch.cuda.is_initialized() else None
    try:
        return _run(model, data, settings, graph, batches, start_lr, end_lr)
    finally:
        model.to(home)
        model.load_state_dict(saved)
        model.train(was_training)
        torch.set_rng_state(cpu_rng)
        if cuda_rng is not None:
            torch.cuda.set_rng_state_all(cuda_rng)


def _run(model: nn.Module, data: DataBundle, settings: TrainSettings, graph: Graph | None,
         batches: int, start_lr: float, end_lr: float) -> LrFindResult:
    device = resolve_device(settings.device)
    torch.manual_seed(settings.seed)
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("nothing to train: every layer with weights has trainable off")
    optimizer = build_optimizer(replace(settings, lr=start_lr), params, device)
    loss_fn = training_loss(model, settings.label_smoothing)
    l1_params = [p for p in params if p.dim() > 1]
    augmenter = settings.augmentation.for_data(data.info)
    feed = make_feed(data.train, device, augmenter if augmenter.active else None)
    generator = torch.Generator().manual_seed(settings.seed)
    set_train_mode(model, frozen_batchnorms(model, graph) if graph is not None else [])
    rates: list[float] = []
    smoothed: list[float] = []
    raw: list[float] = []
    average, best, reason = 0.0, math.inf, ""
    step = 0
    while step < batches and not reason:
        order = torch.randperm(len(feed), generator=generator)
        ran = False
        for x, y in feed.batches(settings.batch_size, order, generator):
            ran = True
            lr = rate_at(step, batches, start_lr, end_lr)
            set_lr(optimizer, lr)
            loss = loss_fn(model(x), y)
            value = float(loss.detach())
            if not math.isfinite(value):
                reason = f"the loss became {value} at rate {lr:.2e}"
                break
            total = loss + settings.l1 * sum(p.abs().sum() for p in l1_params) \
                if settings.l1 else loss
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            if settings.grad_clip:
                torch.nn.utils.clip_grad_norm_(params, settings.grad_clip)
            optimizer.step()
            step += 1
            average = SMOOTHING * average + (1 - SMOOTHING) * value
            current = average / (1 - SMOOTHING ** step)  # bias-corrected
            rates.append(lr)
            raw.append(value)
            smoothed.append(current)
            best = min(best, current)
            if not math.isfinite(current):
                reason = f"the smoothed loss became {current} at rate {lr:.2e}"
                break
            if step > 1 and current > DIVERGED * best:
                reason = (f"the loss diverged at rate {lr:.2e} (over {DIVERGED:g}x its "
                          f"minimum)")
                break
            if step >= batches:
                break
        if not ran:
            raise ValueError("the training split is empty: nothing to run the test on")
    if not rates:
        raise ValueError(f"the loss was not finite at the first batch ({reason})")
    steepest, lowest, how = suggestions(rates, smoothed)
    return LrFindResult(rates, smoothed, raw, steepest, lowest, how, bool(reason), reason)


STEEPEST = "steepest fall of the loss"
NO_FALL = "the loss did not fall over this range: its lowest point"


def suggestions(rates: list[float], losses: list[float]) -> tuple[float, float, str]:
    """(the rate where the smoothed loss falls fastest per decade of rate, the rate of
    its minimum / 10, how the first was chosen). Both look past the first tenth of the
    points, where the average still settles, and the fall is looked for up to the
    minimum. Where the loss never fell the first is the rate of the minimum: always one
    of the rates tried."""
    skip = len(losses) // 10
    lowest = min(range(skip, len(losses)), key=losses.__getitem__)
    min_rate = rates[lowest] / 10
    end = lowest + 1
    if end - skip < 3:
        return rates[lowest], min_rate, NO_FALL
    logs = [math.log10(r) for r in rates]
    best, where = 0.0, -1
    for i in range(skip, end):
        lo, hi = max(skip, i - 1), min(end - 1, i + 1)
        slope = (losses[hi] - losses[lo]) / (logs[hi] - logs[lo])
        if slope < best:
            best, where = slope, i
    if where < 0:
        return rates[lowest], min_rate, NO_FALL
    return rates[where], min_rate, STEEPEST
