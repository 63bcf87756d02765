"""The pre-flight plan: before a run, what one batch needs in memory and how long an
epoch will take on the chosen device.

Memory comes from the shapes alone (memory.py's estimate and its check against what is
free), so it is cheap enough to show on every edit. Time is measured, not guessed: the
model is built as the Trainer builds it (its own copy, seeded; the user's weights and run
folders are never touched), fed by the trainer's own feed (augmentation and
preprocessing included), and a warm-up step then `steps` real training steps (forward,
backward, optimizer step, metrics) are timed on the device, synchronised (each alone on a
CPU, the median kept), plus one validation batch and the checkpoint an epoch writes
(serialised in memory), and scaled by the batches of an epoch (docs/training.md, "Pre-flight plan").
"""

from __future__ import annotations

import io
import math
import statistics
import time
from dataclasses import dataclass, replace
from typing import Any

import torch

from dlstudio.compile import training_loss
from dlstudio.data import DataBundle
from dlstudio.graph import Graph
from dlstudio.graph.events import Event
from dlstudio.graph.inference import ShapeReport
from dlstudio.train.control import RunControl
from dlstudio.train.devices import (
    autocast_dtype,
    describe_device,
    memory_format_for,
    resolve_device,
)
from dlstudio.train.faults import TrainingError
from dlstudio.train.feed import Feed, make_feed
from dlstudio.train.loop import EpochLoop, Step
from dlstudio.train.memory import (
    MemoryEstimate,
    estimate_for,
    format_bytes,
    memory_limit,
    over_limit,
)
from dlstudio.train.metrics import meter_for
from dlstudio.train.optim import LrSchedule, build_optimizer
from dlstudio.train.preflight import frozen_batchnorms, graph_for, set_train_mode
from dlstudio.train.settings import TrainSettings

DEFAULT_STEPS = 3
EVAL_BATCH_FACTOR = 2  # as the trainer evaluates (trainer.EVAL_BATCH_FACTOR)
OPTIMIZER_WORDS = {"adam": "Adam state", "adamw": "AdamW state", "sgd": "SGD momentum",
                   "rmsprop": "RMSprop state", "adagrad": "Adagrad state"}


class PlanCancelled(Exception):
    """The timing was stopped from another thread (a run started, the window closed)."""


@dataclass(frozen=True)
class TimeEstimate:
    """Seconds measured per piece, and what they add up to for an epoch and the run."""

    device: str  # as describe_device words it
    train_batches: int  # per epoch
    val_batches: int
    step_seconds: float  # one training batch: data, forward, backward, step, metrics
    val_batch_seconds: float  # one validation batch (EVAL_BATCH_FACTOR x the batch size)
    checkpoint_seconds: float  # the epoch's last.pt, serialised in memory
    setup_seconds: float  # once per run: the data moved to the device and prepared
    timed_steps: int
    epochs: int

    @property
    def epoch_seconds(self) -> float:
        return (self.step_seconds * self.train_batches
                + self.val_batch_seconds * self.val_batches + self.checkpoint_seconds)

    @property
    def run_seconds(self) -> float:
        return self.setup_seconds + self.epoch_seconds * self.epochs

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device, "train_batches": self.train_batches,
                "val_batches": self.val_batches, "step_seconds": self.step_seconds,
                "val_batch_seconds": self.val_batch_seconds,
                "checkpoint_seconds": self.checkpoint_seconds,
                "setup_seconds": self.setup_seconds, "timed_steps": self.timed_steps,
                "epoch_seconds": self.epoch_seconds, "epochs": self.epochs,
                "run_seconds": self.run_seconds}


@dataclass(frozen=True)
class Plan:
    """The memory of one batch against what is free, and (when measured) the time."""

    memory: MemoryEstimate
    optimizer: str
    device: str  # the device memory is checked against: 'cpu', 'cuda:0', ...
    limit: int | None  # bytes free (or the limit setting); None: unknown here
    limit_where: str
    warning: str | None  # memory.py's refusal reason: this batch cannot fit
    time: TimeEstimate | None = None

    @property
    def fits(self) -> bool:
        return self.warning is None

    def memory_line(self) -> str:
        """'one batch of 64 needs 48 MB (weights …) of 18 GB free'."""
        m = self.memory
        state = OPTIMIZER_WORDS.get(self.optimizer, "optimizer state")
        parts = [f"weights {format_bytes(m.parameter_bytes)}",
                 f"gradients {format_bytes(m.gradient_bytes)}"]
        if m.optimizer_bytes:
            parts.append(f"{state} {format_bytes(m.optimizer_bytes)}")
        parts.append(f"activations {format_bytes(m.activation_bytes)}")
        line = f"one batch of {m.batch_size} needs {format_bytes(m.total)} " \
               f"({', '.join(parts)})"
        if self.limit is not None:
            free = "allowed" if self.limit_where.startswith("the memory limit") else "free"
            line += f" of {format_bytes(self.limit)} {free}"
        return line

    def time_line(self) -> str:
        """'about 3.1 s an epoch of 94 batches on cpu, 31 s for 10 epochs'; '' unmeasured."""
        t = self.time
        if t is None:
            return ""
        batches = f"{t.train_batches} batch{'es' if t.train_batches != 1 else ''}"
        line = f"about {format_duration(t.epoch_seconds)} an epoch of {batches} on {t.device}"
        if t.epochs > 1:
            line += f", {format_duration(t.run_seconds)} for {t.epochs} epochs"
        return line

    def summary(self) -> str:
        lines = [self.memory_line() + (f"; {self.time_line()}" if self.time else "")]
        if self.warning:
            lines.append(f"warning: {self.warning}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device, "fits": self.fits, "warning": self.warning,
                "memory": {**self.memory.to_dict(), "available_bytes": self.limit,
                           "available_is": self.limit_where},
                "time": None if self.time is None else self.time.to_dict(),
                "summary": self.summary()}


def format_duration(seconds: float) -> str:
    """0.42 s, 3.1 s, 31 s, 4 min 10 s, 2 h 05 min: two figures where they matter."""
    if not math.isfinite(seconds):
        return "unknown"
    if seconds < 10:
        return f"{seconds:.2g} s" if seconds < 1 else f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


# ----- memory: cheap, from the shapes ----------------------------------------------------
def plan_memory(graph: Graph, settings: TrainSettings, device: str | None = None,
                report: ShapeReport | None = None) -> Plan:
    """The memory half of the plan, in milliseconds: memory.py's estimate for the graph
    as it would train (the settings' loss applied) and its check against what is free on
    `device` (default: the settings' device; TrainingError when that is not here)."""
    where = device if device is not None else str(resolve_device(settings.device))
    # the settings' loss changes no shape: the graph's own shapes serve
    estimate = estimate_for(graph_for(graph, settings), settings, report)
    limit, limit_where = memory_limit(settings, where)
    return Plan(estimate, settings.optimizer, where, limit, limit_where,
                over_limit(estimate, limit, limit_where))


# ----- time: a few real steps ------------------------------------------------------------
def make_plan(graph: Graph, data: DataBundle, settings: TrainSettings, *,
              steps: int = DEFAULT_STEPS, control: RunControl | None = None) -> Plan:
    """The whole plan: memory, and the time when one batch fits (else the warning says
    why it was not measured: the run would be refused)."""
    plan = plan_memory(graph, settings)
    if not plan.fits:
        return plan
    return replace(plan, time=measure_time(graph, data, settings, steps=steps,
                                           control=control))


def measure_time(graph: Graph, data: DataBundle, settings: TrainSettings, *,
                 steps: int = DEFAULT_STEPS, control: RunControl | None = None
                 ) -> TimeEstimate:
    """Time `steps` training steps after one warm-up, one validation batch and one
    checkpoint, on the settings' device, with a model of the Trainer's own building.
    Raises TrainingError as the Trainer would; PlanCancelled when `control` stops it.
    The process's random state is put back afterwards."""
    from dlstudio.train.trainer import Trainer  # the same checks, data fitting and model

    if steps < 1:
        raise ValueError(f"steps must be at least 1, not {steps}")
    control = control if control is not None else RunControl()
    cpu_rng = torch.get_rng_state()
    cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
    try:
        # starting weights change no timing: not read (nor downloaded) for a plan
        trainer = Trainer(graph, data, replace(settings, weights=""))
        return _measure(trainer, steps, control)
    finally:
        torch.set_rng_state(cpu_rng)
        if cuda_rng is not None:
            torch.cuda.set_rng_state_all(cuda_rng)


def _measure(trainer: Any, steps: int, control: RunControl) -> TimeEstimate:
    s: TrainSettings = trainer.settings
    device = resolve_device(s.device)
    data = trainer.data
    model = trainer.model.to(device, memory_format=memory_format_for(trainer.model, device))
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise TrainingError("nothing to train: every layer with weights has trainable off")
    step = Step(model, model, training_loss(model, s.label_smoothing),
                build_optimizer(s, params, device), params, [p for p in params if p.dim() > 1],
                s.l1, s.grad_clip, autocast_dtype(device, s.mixed_precision), device)
    setup = time.perf_counter()
    augmenter = s.augmentation.for_data(data.info)
    train = make_feed(data.train, device, augmenter if augmenter.active else None)
    val = make_feed(data.val, device) if data.val is not None and len(data.val) else None
    _sync(device)
    setup_seconds = time.perf_counter() - setup
    if len(train) == 0:
        raise TrainingError("the training split is empty: there is nothing to time")
    batches = train.num_batches(s.batch_size)
    generator = torch.Generator().manual_seed(s.seed)
    loop = EpochLoop(step, control, Event(), math.inf, raise_on_non_finite=False)
    set_train_mode(model, frozen_batchnorms(model, trainer.graph))
    schedule = LrSchedule(s, batches, trainer.monitor.minimize)
    _train(loop, train, s, generator, schedule, 1, trainer)  # warm-up: first-call costs
    step_seconds = _time_steps(loop, train, s, generator, schedule, steps, trainer, device)
    val_seconds, val_batches = 0.0, 0
    if val is not None:
        val_size = s.batch_size * EVAL_BATCH_FACTOR
        val_batches = val.num_batches(val_size)
        val_seconds = _time_val_batch(loop, val, val_size, trainer, device)
    _check(control)
    started = time.perf_counter()
    buffer = io.BytesIO()  # what files.save writes each epoch, kept in memory
    torch.save({"model_state": model.state_dict(),
                "optimizer_state": step.optimizer.state_dict()}, buffer)
    checkpoint_seconds = time.perf_counter() - started
    return TimeEstimate(describe_device(device), batches, val_batches, step_seconds,
                        val_seconds, checkpoint_seconds, setup_seconds, steps, s.epochs)


def _train(loop: EpochLoop, feed: Feed, s: TrainSettings, generator: torch.Generator,
           schedule: LrSchedule, count: int, trainer: Any) -> None:
    """`count` steps on real batches, in a shuffled order as an epoch takes them (the
    data repeats when the split holds fewer batches)."""
    size = count * s.batch_size
    orders = [torch.randperm(len(feed), generator=generator)
              for _ in range(math.ceil(size / len(feed)))]
    order = torch.cat(orders)[:size]
    meter = meter_for(trainer.data.info, trainer.model, loop.step.device)
    if loop.train(feed, order, generator, meter, schedule, 0, 1, s.batch_size) is None:
        raise PlanCancelled("the plan was stopped")


def _time_steps(loop: EpochLoop, feed: Feed, s: TrainSettings, generator: torch.Generator,
                schedule: LrSchedule, steps: int, trainer: Any, device: torch.device) -> float:
    """Seconds of one training step. A GPU queues work ahead, so its steps are timed
    together, as an epoch runs them; on a CPU each is timed alone and the median taken,
    which a busy machine's stalls do not move."""
    if device.type == "cuda":
        _sync(device)
        started = time.perf_counter()
        _train(loop, feed, s, generator, schedule, steps, trainer)
        _sync(device)
        return (time.perf_counter() - started) / steps
    timings = []
    for _ in range(steps):
        started = time.perf_counter()
        _train(loop, feed, s, generator, schedule, 1, trainer)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def _time_val_batch(loop: EpochLoop, feed: Feed, size: int, trainer: Any,
                    device: torch.device) -> float:
    """Seconds for one validation batch: the second one when there are two (the first
    warms up), as the trainer evaluates it (no gradients, metrics kept)."""
    model = loop.step.model
    model.eval()
    logits = model.logits  # type: ignore[attr-defined]
    meter = meter_for(trainer.data.info, trainer.model, device)
    timings = []
    with torch.inference_mode(), loop.step.autocast():
        for number, (x, y) in enumerate(feed.batches(size)):
            _sync(device)
            started = time.perf_counter()
            output = logits(x)
            meter.update(output, y, loop.step.loss_fn(output, y))
            meter.loss_sum.item()  # waits for the device
            timings.append(time.perf_counter() - started)
            if number == 1:
                break
    model.train()
    return timings[-1] if timings else 0.0


def _check(control: RunControl) -> None:
    if control.stopping:
        raise PlanCancelled("the plan was stopped")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
