"""The bridge between the trainer and the window: the trainer runs in a QObject moved to
a QThread; its events (called on that thread) only append to a locked inbox, and the
controller drains the inbox on the GUI thread at most ~30 times a second. However fast
batches come, the window gets one update per tick, and the training thread never waits
for painting.
"""

from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from dlstudio.data import DataBundle
from dlstudio.graph import Graph
from dlstudio.runs import Run, RunError, RunStore
from dlstudio.train import BatchStats, EpochStats, RunResult, Trainer, TrainingError
from dlstudio.train.settings import TrainSettings
from dlstudio.ui.training.probe import MistakeProbe, MistakeReport


@dataclass(frozen=True)
class TrainingJob:
    """What one run needs, all made on the GUI thread before the thread starts: a copy
    of the graph (the canvas stays the user's), the loaded data, checked settings, and
    the run's record, which the training thread keeps up to date on disk (so no file
    is written on the GUI thread while it trains)."""

    graph: Graph
    data: DataBundle
    settings: TrainSettings
    run: Run | None = None
    store: RunStore | None = None
    base_dir: Path | None = None  # the project's folder: relative weights paths start here

    @property
    def out_dir(self) -> Path | None:
        return self.run.checkpoint_dir if self.run is not None else None


def outcome(result: RunResult | None, error: str | None) -> str:
    """How a run ended: failed, stopped (by the user, or before it began) or finished."""
    if error is not None:
        return "failed"
    if result is None or result.stopped:
        return "stopped"
    return "finished"


@dataclass(frozen=True)
class EpochReport:
    """One finished epoch and the validation samples the model got wrong after it."""

    stats: EpochStats
    mistakes: MistakeReport | None


@dataclass
class Delivery:
    """Everything that happened since the last tick, in order."""

    batches: list[BatchStats] = field(default_factory=list)
    epochs: list[EpochReport] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    state: str = "idle"  # the trainer's state when drained

    def __bool__(self) -> bool:
        return bool(self.batches or self.epochs or self.logs)


class EventBuffer:
    """The inbox: appended to by the training thread, drained by the GUI thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending = Delivery()
        self.result: RunResult | None = None
        self.error: str | None = None

    def put_batch(self, stats: BatchStats) -> None:
        with self._lock:
            self._pending.batches.append(stats)

    def put_epoch(self, report: EpochReport) -> None:
        with self._lock:
            self._pending.epochs.append(report)

    def put_log(self, message: str) -> None:
        with self._lock:
            self._pending.logs.append(message)

    def drain(self, state: str) -> Delivery:
        with self._lock:
            delivery, self._pending = self._pending, Delivery()
        delivery.state = state
        return delivery


class TrainingWorker(QObject):
    """Builds the Trainer and runs it on the thread it was moved to. The outcome (a
    RunResult or an error message) is left in the buffer; `done` then fires."""

    done = Signal()

    def __init__(self, job: TrainingJob, buffer: EventBuffer) -> None:
        super().__init__()
        self.job, self.buffer = job, buffer
        self.trainer: Trainer | None = None
        self._probe: MistakeProbe | None = None
        self._lock = threading.Lock()
        self._stop = self._pause = False

    # ----- control, from the GUI thread ----------------------------------------------
    def pause(self) -> None:
        with self._lock:
            self._pause = True
            if self.trainer is not None:
                self.trainer.pause()

    def resume(self) -> None:
        with self._lock:
            self._pause = False
            if self.trainer is not None:
                self.trainer.resume()

    def stop(self) -> None:
        with self._lock:
            self._stop = True
            if self.trainer is not None:
                self.trainer.stop()

    @property
    def state(self) -> str:
        trainer = self.trainer
        return trainer.state if trainer is not None else "starting"

    # ----- the training thread -------------------------------------------------------
    @Slot()
    def run(self) -> None:
        try:
            job = self.job
            trainer = Trainer(job.graph, job.data, job.settings, out_dir=job.out_dir,
                              base_dir=job.base_dir)
            self._probe = MistakeProbe.for_data(trainer.data.val, trainer.data.info)
            trainer.events.batch_ended.connect(self.buffer.put_batch)
            trainer.events.epoch_ended.connect(self._on_trainer_epoch_ended)
            trainer.events.log.connect(self.buffer.put_log)
            with self._lock:  # a stop or pause asked for while the model was being built
                self.trainer = trainer
                if self._stop:
                    trainer.stop()
                elif self._pause:
                    trainer.pause()
            self.buffer.result = trainer.run()
        except TrainingError as error:
            self.buffer.error = str(error)
        except Exception as error:  # a bug must not take the window down: say what it was
            traceback.print_exc()
            self.buffer.error = f"training failed unexpectedly: {type(error).__name__}: {error}"
        finally:
            self._record_outcome()
            self.done.emit()

    def _record_outcome(self) -> None:
        run, result, error = self.job.run, self.buffer.result, self.buffer.error
        if run is None:
            return
        run.status = outcome(result, error)
        run.message = error or ""
        if result is not None:
            facts = result.to_dict()
            facts.pop("epochs", None)  # already in the history
            run.result = facts
        self._save_run()

    def _save_run(self) -> None:
        if self.job.run is not None and self.job.store is not None:
            try:
                self.job.store.save(self.job.run)
            except RunError as error:  # training goes on; the record falls behind
                self.buffer.put_log(f"the run's record could not be saved: {error}")

    def _on_trainer_epoch_ended(self, stats: EpochStats) -> None:
        """Between epochs the weights hold still: the one safe moment to look at them."""
        mistakes = None
        if self._probe is not None and self.trainer is not None:
            try:
                mistakes = self._probe(self.trainer.model, stats.epoch)
            except (RuntimeError, ValueError) as error:  # the grid stays empty, training goes on
                self.buffer.put_log(f"cannot show wrong predictions: {error}")
                self._probe = None
        if self.job.run is not None:
            self.job.run.history.append(stats.to_dict())
            self._save_run()
        self.buffer.put_epoch(EpochReport(stats, mistakes))
