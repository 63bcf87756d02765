"""The hot path: one pass of training or evaluation over a feed.

Per batch it does the step and nothing that waits for the device: the loss and metrics
accumulate in device tensors (`MetricMeter`), and the loop reads them back only when a
progress report is due (every `report_seconds`, and at the end of the epoch). That read
is also where a NaN or infinite loss is noticed, so a run stops within one report
interval of it, before any checkpoint of the bad weights is written.

The last `MEASURED_BATCHES` of each training pass are the health checks' window: their
losses are kept as device scalars (no sync) and a `DeadUnitProbe` watches the ReLU
layers only while they run.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from dlstudio.graph.events import Event
from dlstudio.train.control import RunControl
from dlstudio.train.dead_units import MEASURED_BATCHES, DeadUnitProbe, DeadUnits
from dlstudio.train.events import BatchStats
from dlstudio.train.feed import Feed
from dlstudio.train.metrics import MetricMeter, layer_norms
from dlstudio.train.optim import LrSchedule, set_lr

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class NonFiniteLoss(Exception):
    """Raised inside the loop; the trainer turns it into a TrainingError."""

    def __init__(self, value: float, epoch: int, batch: int, lr: float) -> None:
        super().__init__(f"loss {value} at epoch {epoch}, batch {batch}")
        self.value, self.epoch, self.batch, self.lr = value, epoch, batch, lr


@dataclass
class TrainPass:
    """What one finished training pass leaves besides the meter's sums."""

    samples: int
    seconds: float  # excluding paused time
    lr: float
    norms: tuple[list[str], torch.Tensor] | None
    losses: list[float]  # the measured window's batch losses, oldest first
    dead: DeadUnits | None  # dead-unit fractions of the ReLU layers (device)


@dataclass
class Step:
    """Everything one optimisation step needs, fixed for the run."""

    model: nn.Module  # the GraphModule: evaluation, layer statistics
    forward: nn.Module  # logits of a batch, through DDP when several ranks run
    loss_fn: LossFn
    optimizer: torch.optim.Optimizer
    params: list[nn.Parameter]  # the trainable ones, for clipping
    l1_params: list[nn.Parameter]  # weight matrices and kernels
    l1: float
    grad_clip: float
    amp_dtype: torch.dtype | None
    device: torch.device

    def __post_init__(self) -> None:
        self.scaler = torch.amp.GradScaler("cuda") if self.amp_dtype == torch.float16 \
            else None

    def autocast(self) -> contextlib.AbstractContextManager[object]:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)


class EpochLoop:
    """Runs passes, honours pause and stop between batches, reports throttled progress."""

    def __init__(self, step: Step, control: RunControl, batch_ended: Event,
                 report_seconds: float, raise_on_non_finite: bool) -> None:
        self.step = step
        self.control = control
        self.batch_ended = batch_ended
        self.report_seconds = report_seconds
        self.raise_on_non_finite = raise_on_non_finite  # off under torchrun: see trainer
        self.paused_seconds = 0.0
        self.first_loss: float | None = None  # the run's first batch, before any step
        self.on_pause: Callable[[bool], None] = lambda paused: None
        self.probe: DeadUnitProbe | None = None  # the model's ReLU layers, if any

    def interrupted(self) -> bool:
        """Called when pause or stop was requested: wait out a pause; True means stop."""
        if self.control.paused:
            self.on_pause(True)
            self.paused_seconds += self.control.wait_while_paused()
            self.on_pause(False)
        return self.control.stopping

    def train(self, feed: Feed, order: torch.Tensor, generator: torch.Generator,
              meter: MetricMeter, schedule: LrSchedule, first_step: int, epoch: int,
              batch_size: int) -> TrainPass | None:
        """One pass over `order`; None when stopped (the partial epoch is dropped)."""
        try:
            return self._train(feed, order, generator, meter, schedule, first_step, epoch,
                               batch_size)
        finally:
            if self.probe is not None:
                self.probe.stop()  # no hook may outlive the pass (a stop, an error)

    def _train(self, feed: Feed, order: torch.Tensor, generator: torch.Generator,
               meter: MetricMeter, schedule: LrSchedule, first_step: int, epoch: int,
               batch_size: int) -> TrainPass | None:
        s, control = self.step, self.control
        optimizer, forward, loss_fn = s.optimizer, s.forward, s.loss_fn
        scaler, l1, l1_params = s.scaler, s.l1, s.l1_params
        batches = feed.num_batches(batch_size, len(order))
        per_batch_lr = schedule.per_batch
        norms = None
        window = max(1, batches - MEASURED_BATCHES + 1)  # first batch the checks measure
        losses: list[torch.Tensor] = []
        probe = self.probe
        start = time.perf_counter()
        paused_before = self.paused_seconds
        last_report = start
        number = 0
        for number, (x, y) in enumerate(feed.batches(batch_size, order, generator), 1):
            if control.requested and self.interrupted():
                return None
            if per_batch_lr:
                set_lr(optimizer, schedule.lr_at(first_step + number - 1))
            if number == window and probe is not None:
                probe.start()
            with s.autocast():
                output = forward(x)
                loss = loss_fn(output, y)
                total = loss + l1 * sum(p.abs().sum() for p in l1_params) if l1 else loss
            if self.first_loss is None:  # one read-back per run: where the loss began
                self.first_loss = float(loss.detach())
            if number >= window:
                losses.append(loss.detach())
            optimizer.zero_grad(set_to_none=True)
            if scaler is None:
                total.backward()
            else:
                scaler.scale(total).backward()
            if number == batches:  # the epoch's layer statistics: raw gradients
                if scaler is not None:
                    scaler.unscale_(optimizer)
                norms = layer_norms(s.model)
            if s.grad_clip:
                if scaler is not None and number != batches:
                    scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(s.params, s.grad_clip, foreach=True)
            if scaler is None:
                optimizer.step()
            else:
                scaler.step(optimizer)
                scaler.update()
            meter.update(output, y, loss)
            now = time.perf_counter()
            if now - last_report >= self.report_seconds or number == batches:
                last_report = now
                seconds = now - start - (self.paused_seconds - paused_before)
                self._report(meter, epoch, number, batches, seconds)
        seconds = time.perf_counter() - start - (self.paused_seconds - paused_before)
        dead = probe.stop() if probe is not None else None
        return TrainPass(meter.samples, seconds, optimizer.param_groups[0]["lr"], norms,
                         torch.stack(losses).float().tolist() if losses else [], dead)

    def _report(self, meter: MetricMeter, epoch: int, number: int, batches: int,
                seconds: float) -> None:
        """One sync: check the running loss, tell subscribers how far the epoch is."""
        loss = meter.loss_sum.item() / max(1, meter.samples)
        lr = self.step.optimizer.param_groups[0]["lr"]
        if not math.isfinite(loss) and self.raise_on_non_finite:
            raise NonFiniteLoss(loss, epoch, number, lr)
        if len(self.batch_ended):
            speed = meter.samples / seconds if seconds > 0 else 0.0
            self.batch_ended.emit(BatchStats(epoch, number, batches, loss, lr, speed, seconds))

    def evaluate(self, feed: Feed, meter: MetricMeter, batch_size: int) -> bool:
        """One pass without gradients; False when stopped."""
        s, control = self.step, self.control
        s.model.eval()
        logits = s.model.logits  # type: ignore[attr-defined]
        with torch.inference_mode(), s.autocast():
            for x, y in feed.batches(batch_size):
                if control.requested and self.interrupted():
                    return False
                output = logits(x)
                meter.update(output, y, s.loss_fn(output, y))
        return True
