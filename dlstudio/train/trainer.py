"""The trainer: a graph, loaded data and settings in; epochs, metrics and checkpoints out.

Construction checks everything that can be checked before training (graph, data fit,
monitor, resume checkpoint) and builds the seeded model. `run()` blocks; call it from a
worker thread in a UI and drive it with `pause()`, `resume()` and `stop()` from any
thread. Progress arrives through `events` (see events.py), on the training thread.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from dlstudio.compile import training_loss
from dlstudio.data import DataBundle, DataError
from dlstudio.data.normalisations import normalised
from dlstudio.data.reconstruction import with_target
from dlstudio.graph import Graph
from dlstudio.train import distributed as dist
from dlstudio.train.checkpoint import CheckpointError, load_checkpoint
from dlstudio.train.control import RunControl
from dlstudio.train.dead_units import DeadUnitProbe, dead_fractions
from dlstudio.train.devices import (
    autocast_dtype,
    describe_device,
    memory_format_for,
    release_memory,
    resolve_device,
)
from dlstudio.train.events import EpochStats, RunResult, TrainerEvents
from dlstudio.train.faults import TrainingError, is_out_of_memory, non_finite_loss, out_of_memory
from dlstudio.train.feed import make_feed
from dlstudio.train.final_test import measure_test
from dlstudio.train.health import HealthWatch
from dlstudio.train.loop import EpochLoop, NonFiniteLoss, Step
from dlstudio.train.metrics import MetricMeter, layer_stats, meter_for
from dlstudio.train.optim import LrSchedule, build_optimizer, set_lr
from dlstudio.train.preflight import (
    build_checked_model,
    fit_data,
    frozen_batchnorms,
    graph_for,
    resolve_monitor,
    set_train_mode,
)
from dlstudio.train.run_state import BestTracker, RunFiles, restore_rng, rng_state
from dlstudio.train.runaway import RunawayWatch
from dlstudio.train.settings import TrainSettings
from dlstudio.weights import (
    WeightMatch,
    WeightsError,
    apply_weights,
    describe_source,
    match_weights,
    resolve_weights,
)

__all__ = ["Trainer", "TrainingError"]

# Evaluation keeps no activations for backward, so it affords larger batches (fewer steps).
EVAL_BATCH_FACTOR = 2


class Trainer:
    """Trains `graph` on `data` with `settings`; writes last.pt, best.pt and history.json
    to `out_dir` (nothing when None). `resume_from` (a last.pt) continues that run: its
    weights, optimizer, schedule, random state and history, from the next epoch.
    `settings.weights` are loaded over the seeded weights (before a resume); a relative
    weights path is read from `base_dir`, the project's folder. `weights_match` keeps
    their report."""

    batch_event_seconds = 0.05  # batch_ended fires at most this often (and each epoch end)

    def __init__(self, graph: Graph, data: DataBundle, settings: TrainSettings,
                 out_dir: Path | None = None, resume_from: Path | None = None,
                 base_dir: Path | None = None) -> None:
        self.settings = settings
        try:
            self.data = normalised(fit_data(graph, data), settings.normalisation)
        except DataError as error:
            raise TrainingError(f"training setting 'normalisation': {error}") from None
        try:
            self.data = with_target(self.data, settings.target)
        except DataError as error:
            raise TrainingError(f"training setting 'target': {error}") from None
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.events = TrainerEvents()
        self._control = RunControl()
        self._state = "idle"
        self._state_lock = threading.Lock()
        self._main = True  # False on torchrun ranks other than the first: they stay quiet
        self.graph = graph_for(graph, settings)
        self.model = build_checked_model(self.graph, self.data.info, settings,
                                         str(resolve_device(settings.device)))
        self.monitor = resolve_monitor(settings, self.data)
        self.weights_match: WeightMatch | None = None
        if settings.weights and resume_from is None:  # a resume brings its own weights
            self.weights_match = self._load_weights(settings.weights, base_dir)
        self.resumed = None
        if resume_from is not None:
            self._load_resume(Path(resume_from))

    # ----- control, from any thread ---------------------------------------------------
    @property
    def state(self) -> str:
        """"idle", "running", "paused", "stopping", "finished" or "failed"."""
        return self._state

    def pause(self) -> None:
        """Pause after the current batch (state becomes "paused" then)."""
        self._control.pause()

    def resume(self) -> None:
        self._control.resume()

    def stop(self) -> None:
        """Stop after the current batch; the epoch in progress is dropped, files written
        so far stay complete."""
        if self._state in ("running", "paused"):
            self._state = "stopping"
        self._control.stop()

    # ----- running ----------------------------------------------------------------------
    def run(self) -> RunResult:
        """Train to the end, an early stop or a stop request. Raises TrainingError (after
        the `failed` event) when training cannot go on."""
        with self._state_lock:
            if self._state != "idle":
                raise RuntimeError("a Trainer runs once; make a new one to train again")
            self._state = "stopping" if self._control.stopping else "running"
        self._device = torch.device("cpu")
        self._epoch = 0
        ctx = dist.DistContext()
        failure: TrainingError | None = None
        try:
            try:
                ctx = dist.setup_from_env(self.settings.device)
                result = self._run(ctx)
            finally:
                dist.teardown(ctx)
        except TrainingError as error:
            failure = error
        except NonFiniteLoss as error:
            failure = non_finite_loss("training", error.value,
                                      f"at epoch {error.epoch}, batch {error.batch}",
                                      error.lr, self._kept())
        except dist.DistributedError as error:
            failure = TrainingError(str(error))
        except Exception as error:
            failure = self._unexpected(error)
        if failure is not None:  # raised out here so no frame of the run stays referenced
            self._state = "failed"
            self.events.failed.emit(failure)
            raise failure
        self._state = "finished"
        self.events.finished.emit(result)
        return result

    def _unexpected(self, error: Exception) -> TrainingError:
        if is_out_of_memory(error):  # no cause kept: its frames hold the device memory
            release_memory(self._device)
            return out_of_memory(self._device, self.settings.batch_size,
                                 f"in epoch {self._epoch}")
        failure = TrainingError(f"training failed in epoch {self._epoch}: "
                                f"{type(error).__name__}: {error}")
        failure.__cause__ = error
        return failure

    def _log(self, message: str) -> None:
        if self._main:
            self.events.log.emit(message)

    def _run(self, ctx: dist.DistContext) -> RunResult:
        s, started = self.settings, time.perf_counter()
        self._main = ctx.is_main
        device = resolve_device(s.device)
        if ctx.active:
            device = dist.device_for(ctx, s.device)
        self._device = device
        if device.type == "cuda":
            torch.backends.cudnn.benchmark = True
        model = self.model.to(device, memory_format=memory_format_for(self.model, device))
        params = [p for p in model.parameters() if p.requires_grad]
        if not params:
            raise TrainingError("nothing to train: every layer with weights has trainable off")
        amp = autocast_dtype(device, s.mixed_precision)
        step = Step(model, dist.wrap_model(model, ctx, device),
                    training_loss(model, s.label_smoothing), build_optimizer(s, params, device),
                    params, [p for p in params if p.dim() > 1], s.l1, s.grad_clip, amp, device)
        augmenter = s.augmentation.for_data(self.data.info)
        for note in augmenter.notes:
            self._log(f"augmentation: {note}")
        train = make_feed(self.data.train, device, augmenter if augmenter.active else None)
        val = make_feed(self.data.val, device) if self.data.val is not None else None
        generator = torch.Generator().manual_seed(s.seed)
        per_rank = len(dist.shard(torch.arange(len(train)), ctx))
        steps_per_epoch = train.num_batches(s.batch_size, per_rank)
        schedule = LrSchedule(s, steps_per_epoch, self.monitor.minimize)
        files = RunFiles(self.out_dir if ctx.is_main else None, self.monitor.name,
                         s.checkpoint_every)
        history: list[EpochStats] = []
        if self.resumed is not None:
            history = self._continue(step, schedule, generator)
        tracker = BestTracker(self.monitor, history)
        loop = EpochLoop(step, self._control, self.events.batch_ended,
                         self.batch_event_seconds, raise_on_non_finite=not ctx.active)
        loop.on_pause = self._on_pause
        loop.probe = DeadUnitProbe.for_model(model)
        health = HealthWatch.for_model(self.graph, model, s.early_stopping, history)
        self._log(self._opening(device, amp, per_rank, steps_per_epoch))
        if self.weights_match is not None and self.resumed is None:
            self._log(f"starting from {self.weights_match.summary_line()}")
        trainable = sum(p.numel() for p in params)
        total = sum(p.numel() for p in model.parameters())
        if trainable < total:
            self._log(f"{trainable:,} of {total:,} parameters train; the rest are frozen")
        if self.monitor.note:
            self._log(self.monitor.note)
        frozen_bn = frozen_batchnorms(model, self.graph)
        runaway = RunawayWatch()
        stopped = early = False
        run_seconds: list[float] = []
        for index in range(len(history), s.epochs):
            self._epoch = index + 1
            epoch_start, paused_before = time.perf_counter(), loop.paused_seconds
            set_train_mode(model, frozen_bn)
            if not schedule.per_batch:
                set_lr(step.optimizer, schedule.lr_at(index * steps_per_epoch))
            order = dist.shard(torch.randperm(len(train), generator=generator), ctx)
            meter = self._meter(device)
            done = loop.train(train, order, generator, meter, schedule,
                              index * steps_per_epoch, index + 1, s.batch_size)
            if done is None:
                stopped = True
                break
            train_metrics, confusion = meter.summarise(dist.reduce_mean(
                _sums(meter.totals(), ctx), ctx, device))
            self._check_finite("training", train_metrics, done.lr)
            runaway.began(loop.first_loss)
            val_metrics: dict[str, float] = {}
            if val is not None:
                val_meter = self._meter(device)
                if not loop.evaluate(val, val_meter, s.batch_size * EVAL_BATCH_FACTOR):
                    stopped = True
                    break
                val_metrics, confusion = val_meter.summarise(val_meter.totals())
                self._check_finite("validation", val_metrics, done.lr)
            seconds = time.perf_counter() - epoch_start - (loop.paused_seconds - paused_before)
            run_seconds.append(seconds)
            stats = EpochStats(
                index + 1, s.epochs, train_metrics, val_metrics, done.lr, seconds,
                done.samples * ctx.world_size / done.seconds if done.seconds > 0 else 0.0,
                sum(run_seconds) / len(run_seconds) * (s.epochs - index - 1), confusion,
                layer_stats(done.norms), runaway.check(train_metrics.get("loss")),
                dead_fractions(done.dead))
            stats = replace(stats, health=health.check(
                stats, history, done.losses, None if self.resumed else runaway.start))
            self._check_weights(params, done.lr)
            history.append(stats)
            improved = tracker.update(stats, model if s.early_stopping and s.restore_best
                                      else None)
            if schedule.epoch_ended(stats.metric(self.monitor.name)):
                self._log(f"{self.monitor.name} has not improved for {s.plateau_patience} "
                          f"epochs: learning rate x {s.gamma:g}")
            files.save(self._payload(step, schedule, generator, history), improved,
                       tracker.best_epoch)
            self.events.epoch_ended.emit(stats)
            if s.early_stopping and tracker.bad_epochs >= s.patience:
                early = True
                self._log(f"early stop after epoch {index + 1}: {self.monitor.name} has not "
                          f"improved for {s.patience} epochs (best: epoch "
                          f"{tracker.best_epoch})")
                break
        if stopped:
            self._log(f"stopped by request in epoch {self._epoch}; that epoch is dropped")
        restored = s.early_stopping and s.restore_best and tracker.restore(
            model, files.best_path(), self._log)
        final_stats = tracker.best_stats if restored else (history[-1] if history else None)
        final = {} if final_stats is None else dict(final_stats.val or final_stats.train)
        test = None
        if not stopped and history and self.data.test is not None and len(self.data.test):
            self._log(f"measuring the final weights on the test split "
                      f"({len(self.data.test)} samples)")
            test = measure_test(loop.evaluate, make_feed(self.data.test, device),
                                self._meter(device), s.batch_size * EVAL_BATCH_FACTOR)
            if test is None:
                stopped = True
                self._log("stopped by request: the test split was not measured")
        return RunResult(history, final, tracker.best_epoch,
                         files.result_path(restored), describe_device(device),
                         time.perf_counter() - started, stopped=stopped, early_stopped=early,
                         test=test)

    # ----- pieces of the run --------------------------------------------------------------
    def _meter(self, device: torch.device) -> MetricMeter:
        return meter_for(self.data.info, self.model, device)

    def _check_finite(self, which: str, metrics: dict[str, float], lr: float) -> None:
        loss = metrics.get("loss", 0.0)
        if not math.isfinite(loss):
            raise non_finite_loss(which, loss, f"in epoch {self._epoch}", lr, self._kept())

    def _check_weights(self, params: list[torch.nn.Parameter], lr: float) -> None:
        """The last step can leave NaN weights behind a finite loss; never save those."""
        if not bool(torch.stack([p.detach().isfinite().all() for p in params]).all()):
            raise non_finite_loss("training", math.nan, f"in epoch {self._epoch} (the "
                                  "weights became NaN or infinite)", lr, self._kept())

    def _kept(self) -> str | None:
        last = self.out_dir / "last.pt" if self.out_dir is not None else None
        return str(last) if last is not None and last.is_file() else None

    def _on_pause(self, paused: bool) -> None:
        if self._control.stopping:
            return
        self._state = "paused" if paused else "running"
        self._log(f"{'paused' if paused else 'resumed'} in epoch {self._epoch}")

    def _opening(self, device: torch.device, amp: torch.dtype | None, samples: int,
                 batches: int) -> str:
        precision = f", mixed precision ({str(amp).removeprefix('torch.')})" if amp else ""
        start = f" from epoch {len(self.resumed.history) + 1}" if self.resumed else ""
        return (f"training on {describe_device(device)}{precision}: {self.data.summary()}; "
                f"{samples} samples in {batches} batches per epoch, "
                f"{self.settings.epochs} epoch{'' if self.settings.epochs == 1 else 's'}{start}")

    def _payload(self, step: Step, schedule: LrSchedule, generator: torch.Generator,
                 history: list[EpochStats]) -> dict[str, Any]:
        last = history[-1]
        return dict(graph=self.graph, settings=self.settings, data_info=self.data.info,
                    model_state=self.model.state_dict(),
                    optimizer_state=step.optimizer.state_dict(), history=list(history),
                    epoch=last.epoch, metrics=dict(last.val or last.train),
                    schedule_state=schedule.state_dict(), rng_state=rng_state(generator))

    # ----- starting weights and resuming --------------------------------------------------
    def _load_weights(self, source: str, base_dir: Path | None) -> WeightMatch:
        """Load the settings' weights into the seeded model now, so a file that does not
        fit is refused before anything runs."""
        try:
            match = match_weights(self.graph, resolve_weights(source, base_dir),
                                  source=describe_source(source))
            apply_weights(self.model, match)
        except WeightsError as error:
            raise TrainingError(f"training setting 'weights': {error}") from None
        return match

    def _load_resume(self, path: Path) -> None:
        """Read the checkpoint and put its weights in the model now, so a checkpoint of
        another graph is refused before anything runs."""
        try:
            checkpoint = load_checkpoint(path)
        except CheckpointError as error:
            raise TrainingError(f"cannot resume: {error}") from None
        try:
            self.model.load_state_dict(checkpoint.model_state)
        except RuntimeError as error:
            raise TrainingError(f"cannot resume from {path}: its weights do not fit this "
                                f"graph ({str(error).splitlines()[0]})") from None
        if len(checkpoint.history) != checkpoint.epoch:
            raise TrainingError(f"cannot resume from {path}: it holds {checkpoint.epoch} "
                                f"epochs but a history of {len(checkpoint.history)}")
        self.resumed = checkpoint

    def _continue(self, step: Step, schedule: LrSchedule,
                  generator: torch.Generator) -> list[EpochStats]:
        checkpoint = self.resumed
        assert checkpoint is not None
        if checkpoint.settings.optimizer == self.settings.optimizer:
            optimizer = step.optimizer
            flags = [{k: g[k] for k in ("fused", "foreach") if k in g}
                     for g in optimizer.param_groups]
            try:
                optimizer.load_state_dict(checkpoint.optimizer_state)
            except (ValueError, KeyError) as error:
                raise TrainingError(f"cannot resume from {checkpoint.path}: its optimizer "
                                    f"state does not fit these weights ({error})") from None
            for group, kept in zip(optimizer.param_groups, flags, strict=True):
                group.update(kept)
        else:
            self._log(f"the checkpoint used {checkpoint.settings.optimizer}, these settings "
                      f"{self.settings.optimizer}: the optimizer starts afresh")
        if checkpoint.schedule_state:
            schedule.load_state_dict(checkpoint.schedule_state)
        restore_rng(checkpoint.rng_state, generator)
        self._log(f"resuming {checkpoint.path} after epoch {checkpoint.epoch}")
        return list(checkpoint.history)


def _sums(totals: dict[str, float], ctx: dist.DistContext) -> dict[str, float]:
    """Totals scaled so that the ranks' mean (reduce_mean) is their sum."""
    return totals if not ctx.active else {k: v * ctx.world_size for k, v in totals.items()}

