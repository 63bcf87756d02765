"""Replay: an epoch slider that takes the Train view back to an earlier epoch of a run.

The curves get a cursor at the chosen epoch, the confusion matrix shows that epoch's
(every epoch's is in the run's history), the mistakes are those of that epoch's weights
(a kept checkpoint, evaluated on a worker thread), and `weights_chosen` hands the same
weights to Try it. At its right end the slider says "latest" and follows a live run's
newest epoch; anywhere else it stays put while the run goes on, and nothing it does
touches the run (the checkpoints it reads are written atomically).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Mapping
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from dlstudio.infer.evaluate import Evaluation
from dlstudio.runs import Run
from dlstudio.train.checkpoint import CheckpointError, load_checkpoint
from dlstudio.train.events import EpochStats
from dlstudio.ui.evaluate.worker import EvaluationJob, EvaluationWorker
from dlstudio.ui.training.dashboard.confusion import ConfusionPanel
from dlstudio.ui.training.dashboard.curves import CurvesPanel
from dlstudio.ui.training.dashboard.mistakes import MistakesPanel
from dlstudio.ui.training.epoch_slider import EpochSlider
from dlstudio.ui.training.probe import MistakeReport

NO_WEIGHTS_TEXT = ("No weights were kept for epoch {}, so its mistakes cannot be shown. "
                   "Set 'Checkpoint every' in the training settings to keep them.")


class BackgroundEvaluation(QObject):
    """One evaluation at a time on a worker thread; asking for another while one runs
    stops it and runs only the newest request."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: EvaluationWorker | None = None
        self._pending: tuple[EvaluationJob, Callable[[Evaluation | str], None]] | None = None
        self._done: Callable[[Evaluation | str], None] | None = None  # the running one's

    def start(self, job: EvaluationJob, done: Callable[[Evaluation | str], None]) -> None:
        """Evaluate `job`; `done` gets the Evaluation or a one-line problem."""
        self._pending = (job, done)
        if self._worker is not None:
            self._worker.stop()
        else:
            self._start_pending()

    def cancel(self) -> None:
        self._pending, self._done = None, None
        if self._worker is not None:
            self._worker.stop()

    def is_busy(self) -> bool:
        return self._thread is not None

    def _start_pending(self) -> None:
        if self._pending is None:
            return
        job, done = self._pending
        self._pending = None
        gc.collect()  # here, not on the worker thread in the middle of torch work
        thread, worker = QThread(self), EvaluationWorker(job)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        # Bound slots of this (GUI-thread) object, so the outcome arrives queued on the
        # GUI thread; a lambda would run on the worker's thread.
        worker.succeeded.connect(self._on_worker_succeeded)
        worker.failed.connect(self._on_worker_failed)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker, self._done = thread, worker, done
        thread.start()

    def _on_worker_succeeded(self, result: Evaluation) -> None:
        self._deliver(result)

    def _on_worker_failed(self, message: str, stopped: bool) -> None:
        if not stopped:
            self._deliver(message)

    def _deliver(self, outcome: Evaluation | str) -> None:
        if self._pending is None and self._done is not None:  # else a newer one is asked
            self._done(outcome)

    def _on_thread_finished(self) -> None:
        if self._thread is None or self._worker is None or not self._thread.isFinished():
            return
        self._thread.deleteLater()
        self._worker.deleteLater()
        self._thread = self._worker = self._done = None
        self._start_pending()

    def shutdown(self) -> None:
        """Stop and wait (the window closes)."""
        self.cancel()
        if self._thread is not None:
            self._thread.wait()
            self._on_thread_finished()


class TrainReplay(QObject):
    """Drives the dashboard's curves, confusion matrix and mistakes from the slider.
    `weights_chosen(Path)` names the chosen epoch's weights, when they were kept."""

    weights_chosen = Signal(object)

    def __init__(self, slider: EpochSlider, curves: CurvesPanel, confusion: ConfusionPanel,
                 mistakes: MistakesPanel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.slider, self.curves = slider, curves
        self.confusion, self.mistakes = confusion, mistakes
        self.run: Run | None = None
        self.stats: dict[int, EpochStats] = {}
        self.live_mistakes: MistakeReport | None = None  # the newest epoch's, from the run
        self.evaluation = BackgroundEvaluation(self)
        slider.moved.connect(self._on_slider_moved)

    @property
    def latest(self) -> bool:
        """The panels show the newest epoch (the live drawing may update them)."""
        return self.slider.latest

    def reset(self, run: Run | None) -> None:
        self.evaluation.cancel()
        self.run, self.stats, self.live_mistakes = run, {}, None
        self.slider.latest = True
        self.slider.set_count(0)

    def add_epochs(self, epochs: list[EpochStats]) -> None:
        for stats in epochs:
            self.stats[stats.epoch] = stats
        if epochs:
            self.slider.set_count(max(self.stats))
            if self.latest:
                self.curves.set_cursor(self.slider.epoch)

    def load_history(self, run: Run) -> None:
        """A kept run's epochs, from its history (a run shown again)."""
        self.reset(run)
        self.add_epochs([EpochStats.from_dict(entry) for entry in run.history])

    def keep_try_it(self) -> None:
        """The run ended (and handed Try it its final weights): a slider that looks back
        gives Try it its chosen epoch's weights again, so the two agree."""
        epoch = self.slider.epoch
        path = self.checkpoints().get(epoch) if epoch is not None else None
        if not self.latest and path is not None:
            self.weights_chosen.emit(path)

    def checkpoints(self) -> Mapping[int, Path]:
        return self.run.epoch_checkpoints() if self.run is not None else {}

    def _on_slider_moved(self, epoch: int) -> None:
        self.curves.set_cursor(epoch)
        stats = self.stats.get(epoch)
        if stats is not None and stats.confusion is not None:
            self.confusion.set_matrix(stats.confusion, epoch)
        path = self.checkpoints().get(epoch)
        if self.latest and self.live_mistakes is not None:
            self.evaluation.cancel()
            self.mistakes.set_report(self.live_mistakes)
        elif path is None:
            self.evaluation.cancel()
            self._say_mistakes(NO_WEIGHTS_TEXT.format(epoch))
        elif stats is not None and stats.confusion is not None:
            self._say_mistakes(f"Finding the mistakes of epoch {epoch}…")
            self.evaluation.start(EvaluationJob(self.run.id if self.run else "", path, "val"),
                                  lambda outcome: self._show_mistakes(epoch, outcome))
        if path is not None:
            self.weights_chosen.emit(path)

    def _say_mistakes(self, text: str) -> None:
        self.mistakes.reset(classification=True)
        self.mistakes.caption.setText(text)

    def _show_mistakes(self, epoch: int, outcome: Evaluation | str) -> None:
        if self.slider.epoch != epoch:
            return
        if isinstance(outcome, str):
            self._say_mistakes(f"The mistakes of epoch {epoch} could not be found: {outcome}")
            return
        # Imported here: evaluate.views imports the dashboard, which imports this module.
        from dlstudio.ui.evaluate.views import show_mistakes

        show_mistakes(self.mistakes, outcome)
        self.mistakes.caption.setText(f"Epoch {epoch}: {self.mistakes.caption.text()}")

    def shutdown(self) -> None:
        self.evaluation.shutdown()


def kept_class_names(run: Run) -> tuple[str, ...]:
    """The class names a kept run's newest checkpoint records (class numbers when none
    can be read), for its confusion matrix."""
    paths = list(run.epoch_checkpoints().values())
    try:
        names = load_checkpoint(paths[-1]).data_info.class_names if paths else ()
    except CheckpointError:
        names = ()
    if names:
        return tuple(names)
    matrix = next((e.get("confusion") for e in reversed(run.history) if e.get("confusion")),
                  None)
    return tuple(str(i) for i in range(len(matrix or ())))
