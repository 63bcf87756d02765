"""One evaluation on a worker thread: progress and the outcome come back as queued
signals, and a stop request is seen between two batches."""

from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from dlstudio.infer.evaluate import EvaluationError, EvaluationStopped, evaluate_checkpoint


@dataclass(frozen=True)
class EvaluationJob:
    """What to evaluate: a run's checkpoint over one split of its data."""

    run_id: str
    checkpoint: Path
    split: str
    device: str = "cpu"


class EvaluationWorker(QObject):
    """Runs `evaluate_checkpoint` for one job; lives on its own QThread."""

    progressed = Signal(int, int)  # samples done, samples in all
    succeeded = Signal(object)  # the Evaluation
    failed = Signal(str, bool)  # message, stopped on request

    def __init__(self, job: EvaluationJob) -> None:
        super().__init__()
        self.job = job
        self._stop = threading.Event()

    def stop(self) -> None:
        """Ask the pass to end after its current batch (any thread)."""
        self._stop.set()

    @Slot()
    def run(self) -> None:
        job = self.job
        try:
            result = evaluate_checkpoint(job.checkpoint, split=job.split, device=job.device,
                                         progress=self.progressed.emit,
                                         should_stop=self._stop.is_set)
        except EvaluationStopped:
            self.failed.emit("stopped", True)
        except EvaluationError as error:
            self.failed.emit(str(error), False)
        except Exception as error:  # a bug must reach the user as a message, not kill the app
            traceback.print_exc()
            self.failed.emit(f"evaluation failed unexpectedly: {type(error).__name__}: "
                             f"{error}", False)
        else:
            self.succeeded.emit(result)
        finally:
            self.thread().quit()
