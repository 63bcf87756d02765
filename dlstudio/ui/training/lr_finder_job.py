"""The learning-rate range test (dlstudio/train/lr_finder.py) off the GUI thread, for the
finder dialog: progress by batch, a cancel that takes effect at the next batch, and the
outcome as queued signals.

The test builds its own model, as a run would (a Trainer: the graph checked, seeded,
the settings' starting weights loaded), so no trained weights are touched; the core
restores even that model when it ends or is cancelled. The core has no callbacks: a
forward pre-hook on the model sees each batch start, which is where progress is told
and a cancel is raised. The work runs on a plain daemon thread, as the dataset
downloads do (download.py); `wait()` joins it when the app quits.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from PySide6.QtCore import QObject, Signal

from dlstudio.compile import CompileError
from dlstudio.data import DataBundle, DataError
from dlstudio.graph import Graph
from dlstudio.train import TrainingError, TrainSettings, TrainSettingsError
from dlstudio.train.lr_finder import (
    DEFAULT_END_LR,
    DEFAULT_START_LR,
    LrFindResult,
    find_lr,
)

EXPECTED = (CompileError, DataError, TrainSettingsError, TrainingError, ValueError)


class Cancelled(Exception):
    """Raised inside the model's forward pass to end the test at a batch boundary."""


@dataclass(frozen=True)
class FindRequest:
    """What one range test runs on: a copy of the graph, the loaded data, the settings
    (optimizer, batch size, seed...), how many batches, and the project's folder (a
    relative starting-weights path is read from there, as a run reads it)."""

    graph: Graph
    data: DataBundle
    settings: TrainSettings
    batches: int
    base_dir: Path | None = None
    start_lr: float = DEFAULT_START_LR
    end_lr: float = DEFAULT_END_LR


class LrFindJob(QObject):
    """One range test on a thread. Exactly one of `finished`, `failed` or `cancelled`
    ends it; `progressed(batch, batches)` says which batch has started."""

    progressed = Signal(int, int)
    finished = Signal(object)  # LrFindResult
    failed = Signal(str)  # one line
    cancelled = Signal()

    def __init__(self, request: FindRequest, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.request = request
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._work, name="lr-find", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        """Stop at the next batch (building the model is not interrupted)."""
        self._cancel.set()

    def wait(self, timeout: float) -> bool:
        """Wait for the thread at most `timeout` seconds; True when it has ended."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def _work(self) -> None:
        rng = torch.get_rng_state()  # building the model seeds torch; the core keeps the rest
        outcome: tuple[Any, ...]
        try:
            outcome = (self.finished, self._test())
        except Cancelled:
            outcome = (self.cancelled,)
        except EXPECTED as error:
            outcome = (self.failed, one_line(str(error)))
        except Exception as error:  # noqa: BLE001 - torch may raise anything (memory...)
            outcome = (self.failed, one_line(f"{type(error).__name__}: {error}"))
        finally:
            torch.set_rng_state(rng)
        signal, *value = outcome
        signal.emit(*value)

    def _test(self) -> LrFindResult:
        from dlstudio.train.trainer import Trainer  # the same checks and model as a run

        request = self.request
        trainer = Trainer(request.graph, request.data, request.settings,
                          base_dir=request.base_dir)
        if self._cancel.is_set():
            raise Cancelled
        self._count = 0
        hook = trainer.model.register_forward_pre_hook(self._on_batch)
        try:
            return find_lr(trainer.model, trainer.data, trainer.settings,
                           graph=trainer.graph, batches=request.batches,
                           start_lr=request.start_lr, end_lr=request.end_lr)
        finally:
            hook.remove()

    def _on_batch(self, _module: Any, _inputs: Any) -> None:
        if self._cancel.is_set():
            raise Cancelled
        self._count += 1
        self.progressed.emit(self._count, self.request.batches)


def one_line(text: str) -> str:
    """A message as one line: "the graph cannot be compiled:" followed by its first
    problem, the others counted (a graph's problems come one per line)."""
    lines = [line.strip().removeprefix("- ").strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return "the test failed without a message"
    head, rest = lines[0], lines[1:]
    if head.endswith(":") and rest:
        head, rest = f"{head} {rest[0]}", rest[1:]
    return head + (f" (and {len(rest)} more)" if rest else "")
