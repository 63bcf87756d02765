"""The Evaluate workspace's centre: choose a run and a split, and see how its model does
there: the metrics, the confusion matrix, per-class scores and the mistakes.

Choosing a run (or a split) evaluates at once, on a worker thread; a run that was
measured on a test split when it ended opens on that split; a choice made while
one runs stops it and starts the new one when its thread has ended. A panel that is not
on screen waits until it is shown, so an idle workspace loads no data. The epoch slider
(replay) evaluates the weights kept after an earlier epoch; an epoch whose weights were
not kept shows the validation confusion matrix its history holds.
"""

from __future__ import annotations

import gc
from pathlib import Path

from PySide6.QtCore import Qt, QThread, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from dlstudio.infer.evaluate import SPLIT_NAMES, Evaluation
from dlstudio.runs import Run, RunStore
from dlstudio.train.events import EpochStats
from dlstudio.ui.evaluate.views import (
    ClassTable,
    MetricsStrip,
    show_confusion,
    show_history_epoch,
    show_mistakes,
)
from dlstudio.ui.evaluate.worker import EvaluationJob, EvaluationWorker
from dlstudio.ui.training.dashboard.confusion import ConfusionPanel
from dlstudio.ui.training.dashboard.mistakes import MistakesPanel
from dlstudio.ui.training.epoch_slider import EpochSlider

SPLIT_CHOICES = (("val", "Validation"), ("test", "Test"), ("all", "All data"))
CHECKPOINT_NAMES = ("last.pt", "best.pt")


def run_checkpoint(run: Run) -> Path | None:
    """The weights a run ended with (its result's checkpoint, relative to the run folder
    or absolute), else the last or best checkpoint in its folder; None when it has none."""
    value = run.result.get("checkpoint")
    if isinstance(value, str) and value:
        path = Path(value) if Path(value).is_absolute() else run.folder / value
        if path.is_file():
            return path
    for name in CHECKPOINT_NAMES:
        path = run.checkpoint_dir / name
        if path.is_file():
            return path
    return None


class EvaluatePanel(QWidget):
    """Runs of a `RunStore` evaluated on a split of their data.

    `evaluated(Evaluation)` fires when an evaluation's results are on screen;
    `evaluation_failed(str)` when one could not run (the message is shown too);
    `weights_chosen(Path)` when the epoch slider picks an epoch whose weights were kept.
    """

    evaluated = Signal(object)
    evaluation_failed = Signal(str)
    weights_chosen = Signal(object)

    def __init__(self, store: RunStore | None = None, *, device: str = "cpu",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("evaluate_panel")
        self.store: RunStore | None = None
        self.device = device
        self.evaluation: Evaluation | None = None
        self._checkpoints: dict[str, Path] = {}
        self._runs: dict[str, Run] = {}
        self._history_shown = False  # an epoch without weights is on show, not a result
        self._class_names: dict[str, tuple[str, ...]] = {}  # per run, once evaluated
        self._tested: set[str] = set()  # runs measured on a test split when they ended
        self._thread: QThread | None = None
        self._worker: EvaluationWorker | None = None
        self._pending: EvaluationJob | None = None  # asked for while busy or hidden
        self._build()
        if store is not None:
            self.set_store(store)

    # ----- building ------------------------------------------------------------------
    def _build(self) -> None:
        self.run_box = QComboBox()
        self.run_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.run_box.setMinimumContentsLength(24)
        self.run_box.setToolTip("Runs of this project that kept a checkpoint")
        self.run_box.currentIndexChanged.connect(self._on_run_box_changed)
        self.split_box = QComboBox()
        for key, title in SPLIT_CHOICES:
            self.split_box.addItem(title, key)
        self.split_box.setToolTip("Validation: the samples the run validated on, split "
                                  "with its seed. Test: the run's test split (its test "
                                  "share, or the data's own test set), when it has "
                                  "one. All data: every sample, training ones included.")
        self.split_box.currentIndexChanged.connect(self._on_split_box_changed)
        self.evaluate_button = QPushButton("Evaluate")
        self.evaluate_button.clicked.connect(self._on_evaluate_button_clicked)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Run:"))
        bar.addWidget(self.run_box, 1)
        bar.addWidget(QLabel("Data:"))
        bar.addWidget(self.split_box)
        bar.addWidget(self.evaluate_button)
        self.epochs = EpochSlider()
        self.epochs.slider.setToolTip("Evaluate the run as it was after an earlier epoch "
                                      "(its kept weights; 'Checkpoint every' keeps them). "
                                      "Arrow keys step one epoch, Home and End go to the "
                                      "first and the latest.")
        self.epochs.moved.connect(self._on_epochs_moved)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.metrics = MetricsStrip()
        self.confusion = ConfusionPanel()
        self.confusion.table.hide()  # the per-class table below also gives F1
        self.confusion.setMinimumSize(260, 220)
        self.class_table = ClassTable()
        self.mistakes = MistakesPanel()
        self.mistakes.setMinimumHeight(120)
        side = QSplitter(Qt.Orientation.Vertical)
        side.addWidget(self.class_table)
        side.addWidget(self.mistakes)
        side.setSizes([220, 200])
        side.setChildrenCollapsible(False)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.confusion)
        self.splitter.addWidget(side)
        self.splitter.setSizes([480, 420])
        self.splitter.setChildrenCollapsible(False)
        self.regression_note = QLabel("A regression model has no classes: its errors are "
                                      "the MSE, MAE and R² above.")
        self.regression_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.regression_note.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.epochs)
        layout.addWidget(self.status)
        layout.addWidget(self.metrics)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.regression_note, 1)
        self._show_idle()

    # ----- runs ----------------------------------------------------------------------
    def set_store(self, store: RunStore | None) -> None:
        """Show the runs of `store` (a project opened or saved elsewhere)."""
        self.store = store
        self.refresh()

    def refresh(self) -> None:
        """Read the store again (a run finished, was deleted); the chosen run stays chosen
        while it exists, else the newest one is chosen and evaluated."""
        current = self.run_box.currentData()
        runs = self.store.runs() if self.store is not None else []
        was_tested = current in self._tested
        self._tested = {run.id for run in runs if run.test_metrics()}
        self._checkpoints = {}
        self._runs = {run.id: run for run in runs}
        for run in runs:
            checkpoint = run_checkpoint(run)
            if checkpoint is not None:
                self._checkpoints[run.id] = checkpoint
        self.run_box.blockSignals(True)
        self.run_box.clear()
        for run in reversed(runs):  # newest first: the run just trained is on top
            if run.id in self._checkpoints:
                self.run_box.addItem(run.label, run.id)
        index = self.run_box.findData(current) if current is not None else -1
        self.run_box.setCurrentIndex(max(index, 0) if self._checkpoints else -1)
        self.run_box.blockSignals(False)
        self.evaluate_button.setEnabled(bool(self._checkpoints))
        if not self._checkpoints:
            self._show_idle()
        elif self.run_box.currentData() != current or (current in self._tested
                                                        and not was_tested):
            self._on_run_box_changed()  # a run that has just been tested opens on its test

    def select_run(self, run_id: str) -> bool:
        """Choose the run with this id (and evaluate it); False when it is not listed."""
        index = self.run_box.findData(run_id)
        if index < 0:
            return False
        if index == self.run_box.currentIndex():
            self.evaluate()
        else:
            self.run_box.setCurrentIndex(index)
        return True

    @property
    def run_id(self) -> str | None:
        return self.run_box.currentData()

    @property
    def split(self) -> str:
        return str(self.split_box.currentData())

    # ----- evaluating ----------------------------------------------------------------
    def evaluate(self) -> None:
        """Evaluate the chosen run on the chosen split (now, or once the one running has
        stopped, or once the panel is shown)."""
        run_id = self.run_id
        if run_id is None:
            return
        checkpoint = self._checkpoints[run_id]
        epoch, run = self.epochs.epoch, self._runs.get(run_id)
        if not self.epochs.latest and epoch is not None and run is not None:
            kept = run.epoch_checkpoints().get(epoch)
            if kept is None:
                self._show_history_epoch(run, epoch)
                return
            checkpoint = kept
        self._history_shown = False
        self._pending = EvaluationJob(run_id, checkpoint, self.split, self.device)
        if self._worker is not None:
            self._worker.stop()
            self.status.setText("Stopping the evaluation in progress…")
        elif self.isVisible():
            self._start_pending()
        else:
            self.status.setText("Evaluates when shown.")

    def is_busy(self) -> bool:
        return self._thread is not None

    def _start_pending(self) -> None:
        job, self._pending = self._pending, None
        if job is None:
            return
        shown = self.evaluation
        if shown is None or (shown.checkpoint, shown.split) != (job.checkpoint, job.split):
            self.metrics.clear()  # the numbers on screen are not this choice's
        gc.collect()  # here, not on the worker thread in the middle of torch work
        thread, worker = QThread(self), EvaluationWorker(job)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progressed.connect(self._on_worker_progressed)
        worker.succeeded.connect(self._on_worker_succeeded)
        worker.failed.connect(self._on_worker_failed)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker
        self.status.setText(f"Evaluating on the {SPLIT_NAMES[job.split]} data: "
                            "loading it…")
        thread.start()

    def _on_worker_progressed(self, done: int, total: int) -> None:
        if self._worker is None or self._pending is not None:
            return  # a stale report from a pass that is being stopped
        name = SPLIT_NAMES[self._worker.job.split]
        self.status.setText(f"Evaluating on the {name} data: {done:,} of {total:,} "
                            "samples…")

    def _on_worker_succeeded(self, result: Evaluation) -> None:
        if self._pending is not None or self._history_shown:
            return  # the choice changed meanwhile: these numbers are for another one
        self.evaluation = result
        self._class_names[self._worker.job.run_id if self._worker else ""] = \
            result.class_names
        self._enable_test(bool("test" in result.splits))
        self.status.setText(f"{result.samples:,} {result.split_name} samples of "
                            f"{result.data}, weights from {result.checkpoint.name}.")
        self.status.setStyleSheet("")
        self.metrics.show_evaluation(result)
        classification = result.task == "classification"
        self.splitter.setVisible(classification)
        self.regression_note.setVisible(not classification)
        show_confusion(self.confusion, result)
        self.class_table.show_evaluation(result)
        show_mistakes(self.mistakes, result)
        self.evaluated.emit(result)

    def _on_worker_failed(self, message: str, stopped: bool) -> None:
        if stopped or self._pending is not None or self._history_shown:
            return
        self.status.setStyleSheet("color: #c62828;")
        self.status.setText(message)
        self.evaluation_failed.emit(message)

    def _on_thread_finished(self) -> None:
        if self._thread is None or self._worker is None or not self._thread.isFinished():
            return  # already done by shutdown(), or a newer thread is running
        self._thread.deleteLater()
        self._worker.deleteLater()
        self._thread = self._worker = None
        if self._pending is not None and self.isVisible():
            self._start_pending()

    # ----- choices -------------------------------------------------------------------
    def _on_run_box_changed(self, _index: int = 0) -> None:
        """A run measured on its test split when it ended opens there; for another run
        whether its data has a test split is known once the data has been loaded."""
        tested = self.run_id in self._tested
        run = self._runs.get(self.run_id or "")
        self.epochs.latest = True
        self.epochs.set_count(max((e["epoch"] for e in run.history), default=0)
                              if run is not None else 0)
        self._enable_test(tested)
        wanted = self.split_box.findData("test") if tested else (
            0 if self.split == "test" else self.split_box.currentIndex())
        if wanted != self.split_box.currentIndex():
            self.split_box.setCurrentIndex(wanted)  # evaluates through _on_split_box_changed
        else:
            self.evaluate()

    def _on_split_box_changed(self, _index: int = 0) -> None:
        self.evaluate()

    def _on_evaluate_button_clicked(self) -> None:
        self.evaluate()

    def _on_epochs_moved(self, epoch: int) -> None:
        self.evaluate()
        run = self._runs.get(self.run_id or "")
        path = (self._checkpoints.get(run.id) if self.epochs.latest else
                run.epoch_checkpoints().get(epoch)) if run is not None else None
        if path is not None:
            self.weights_chosen.emit(path)

    def _show_history_epoch(self, run: Run, epoch: int) -> None:
        """An epoch without kept weights: what the run's history holds of it."""
        self._pending, self._history_shown = None, True
        if self._worker is not None:
            self._worker.stop()
        self.evaluation = None
        self.metrics.clear()
        self.class_table.setRowCount(0)
        entry = next((e for e in run.history if e.get("epoch") == epoch), None)
        stats = EpochStats.from_dict(entry) if entry is not None else None
        self.status.setStyleSheet("")
        self.status.setText(show_history_epoch(
            self.confusion, self.mistakes, self._class_names.get(run.id, ()), stats, epoch))

    def _enable_test(self, enabled: bool) -> None:
        item = self.split_box.model().item(1)  # type: ignore[attr-defined]
        item.setEnabled(enabled)
        item.setToolTip("" if enabled else "This run's data has no test set")

    def _show_idle(self) -> None:
        self.evaluation = None
        self.metrics.clear()
        self.confusion.reset(())
        self.class_table.setRowCount(0)
        self.mistakes.reset(classification=True)
        for caption in (self.confusion.caption, self.mistakes.caption):
            caption.setText("")  # the live dashboard's words ("after the first epoch") do not fit
        self.status.setStyleSheet("")
        self.status.setText("Train a model first: each run that kept a checkpoint can be "
                            "evaluated here." if self.run_box.count() == 0 else "")

    # ----- showing and closing --------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self._pending is not None and self._thread is None:
            self._start_pending()

    def shutdown(self) -> None:
        """Stop an evaluation in progress and wait for its thread (closing the window)."""
        self._pending = None
        if self._worker is not None:
            self._worker.stop()
        if self._thread is not None:
            self._thread.wait()
            self._on_thread_finished()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self.shutdown()
        super().closeEvent(event)
