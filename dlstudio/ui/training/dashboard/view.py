"""The "Metrics" dock: every live panel at once (curves above; confusion matrix, wrong
predictions and layer norms below) and the runs comparison on a second tab.

It is fed by the controller's throttled signals (at most ~30 a second) and buffers
them; frames are drawn at most ~30 times a second and, where frames are dear (a slow
machine, a large window), less often: the GUI thread keeps to a small share of a core
(see FrameBudget), so the window answers at once and training keeps the processor.
The epoch panels (epoch curves, layer norms, confusion matrix, mistakes) cost several
times a batch frame, so they have a budget of their own: when epochs end faster than
they can be drawn cheaply, the newest epoch is shown at least every
EPOCH_MAX_INTERVAL seconds, and every epoch's points are in the curves. The replay slider
(replay.py) takes the epoch panels back to an earlier epoch; while it does, the live
epochs still reach the curves but not the confusion matrix or the mistakes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dlstudio.atomic import write_atomic
from dlstudio.data import DataInfo
from dlstudio.runs import Run, RunError, RunStore, metrics_csv
from dlstudio.train.events import EpochStats, TestResult
from dlstudio.train.metrics import TASK_METRICS
from dlstudio.ui.training.dashboard.arrangement import Arrangement
from dlstudio.ui.training.dashboard.confusion import ConfusionPanel
from dlstudio.ui.training.dashboard.curves import CurvesPanel
from dlstudio.ui.training.dashboard.layer_stats import LayerStatsPanel
from dlstudio.ui.training.dashboard.mistakes import MistakesPanel
from dlstudio.ui.training.dashboard.runs import RunsPanel, test_text
from dlstudio.ui.training.dashboard.saving import CSV_FILES, PNG_FILES, save_as
from dlstudio.ui.training.dashboard.series import FrameBudget
from dlstudio.ui.training.replay import EpochSlider, TrainReplay, kept_class_names
from dlstudio.ui.training.worker import Delivery, EpochReport

STEP_MS = 12
EPOCH_SHARE = 0.1  # of one core, for the epoch panels and everything drawn meanwhile
EPOCH_MAX_INTERVAL = 2.0  # seconds: the newest epoch is shown at least this often
NO_RUN_TEXT = "No run yet: choose data and press Train."
KEPT_RUNS_TEXT = ("{} of this project kept: compare them in Runs, measure them in "
                  "Evaluate (Ctrl+3), or press Train for a new one.")
NO_MATRIX_TEXT = "Shown after the first epoch of a classification run."


class Dashboard(QWidget):
    """Live metrics of the current run, and the runs kept in the project folder."""

    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.curves = CurvesPanel()
        self.confusion = ConfusionPanel()
        self.mistakes = MistakesPanel()
        self.layers = LayerStatsPanel()
        self.runs = RunsPanel()
        self.runs.message.connect(self.message)
        self.runs.replay_requested.connect(self.show_kept_run)
        self.epochs = EpochSlider()
        self.replay = TrainReplay(self.epochs, self.curves, self.confusion, self.mistakes,
                                  self)
        self.run: Run | None = None
        self.budget = FrameBudget()
        self.epoch_budget = FrameBudget(EPOCH_SHARE, 0.0, EPOCH_MAX_INTERVAL)
        self._epoch: EpochReport | None = None  # newest epoch not drawn yet
        self._new_batches = False  # batch points not drawn yet
        self._frame_timer = QTimer(self)
        self._frame_timer.setSingleShot(True)
        self._frame_timer.timeout.connect(self._on_frame_timer_timeout)
        self._step_timer = QTimer(self)
        self._step_timer.setSingleShot(True)
        self._step_timer.timeout.connect(self._run_step)
        self._steps: list[Callable[[], None]] = []
        self._dirty = False
        self.title = QLabel(NO_RUN_TEXT)
        self.test_summary = QLabel()  # the finished run's test metrics
        self.test_summary.setObjectName("test_summary")
        self.test_summary.setWordWrap(True)
        self.test_summary.hide()
        self.test_summary.setContentsMargins(6, 0, 6, 0)
        buttons = QHBoxLayout()
        buttons.addWidget(self.title, 1)
        for text, slot in (("Export CSV…", self._on_export_csv),
                           ("Export PNG…", self._on_export_png)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.setContentsMargins(6, 4, 6, 0)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.arrangement = Arrangement(self.tabs, self.curves, self.confusion, self.mistakes,
                                       self.layers, self.runs)
        self.arrangement.fit(self.width(), self.height())
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        # Under the title and the export buttons, the whole width: one line at 1366×768.
        layout.addWidget(self.test_summary)
        layout.addWidget(self.epochs)
        layout.addWidget(self.tabs, 1)

    def set_store(self, store: RunStore | None) -> None:
        self.runs.set_store(store)
        if self.run is None:  # a reopened project: say that its runs are kept
            kept = len(store.runs()) if store is not None else 0
            runs = "1 run" if kept == 1 else f"{kept} runs"
            self.title.setText(KEPT_RUNS_TEXT.format(runs) if kept else NO_RUN_TEXT)

    def clear(self) -> None:
        """Another project: the live panels forget the previous project's run."""
        self._frame_timer.stop()
        self._step_timer.stop()
        self._steps, self._epoch, self._new_batches, self._dirty = [], None, False, False
        self.run = None
        self.replay.reset(None)
        self.show_test(None)
        self.curves.reset()
        self.confusion.reset(())
        self.confusion.caption.setText(NO_MATRIX_TEXT)
        self.mistakes.reset(classification=True)
        self.layers.reset()
        self.title.setText(NO_RUN_TEXT)

    def begin(self, info: DataInfo, run: Run | None, title: str, epochs: int,
              layers: Sequence[str] = ()) -> None:
        """A run of `epochs` starts: clear every live panel and make the curves its
        metrics and `layers` (those with weights) will need."""
        self.run = run
        self.replay.reset(run)
        self.show_test(None)
        classification = info.task == "classification"
        self.curves.reset(epochs, TASK_METRICS.get(info.task, ()))
        self.confusion.reset(info.class_names if classification else ())
        self.mistakes.reset(classification)
        self.layers.reset(epochs, layers)
        self.title.setText(title)
        self.runs.refresh()

    def show_kept_run(self, run: Run) -> None:
        """A kept run in the live tabs, to replay it: its epoch curves, layer norms and
        confusion matrices from its history, its mistakes from its kept weights. Not
        while a run trains (the live tabs are that run's)."""
        if self.run is not None and self.run.status == "running":
            self.message.emit("A run is training: replay a kept run once it has ended.")
            return
        stats = [EpochStats.from_dict(entry) for entry in run.history]
        self.clear()
        self.run = run
        names = kept_class_names(run) if any(s.confusion for s in stats) else ()
        self.curves.reset(len(stats) or 1, [k for k in run.metric_keys() if k != "loss"])
        self.confusion.reset(names)
        self.mistakes.reset(classification=bool(names))
        self.layers.reset(len(stats) or 1, list(stats[-1].layer_stats) if stats else [])
        self.curves.add_epochs(stats)
        self.layers.add_epochs(stats)
        self.curves.flush_epochs()
        self.layers.flush()
        self.replay.load_history(run)
        self.title.setText(f"Replaying run {run.label}")
        self.tabs.setCurrentIndex(0)
        if stats:
            self.epochs.choose(stats[-1].epoch)

    def show_delivery(self, delivery: Delivery) -> None:
        """One tick's events: buffered at once, drawn when the frame budget allows."""
        self.curves.add_batches(delivery.batches)
        stats = [report.stats for report in delivery.epochs]
        self.curves.add_epochs(stats)
        self.layers.add_epochs(stats)
        self.replay.add_epochs(stats)
        if delivery.epochs:
            self._epoch = delivery.epochs[-1]
        self._new_batches = self._new_batches or bool(delivery.batches)
        self._dirty = True
        self._schedule()

    def _schedule(self) -> None:
        if self._steps:
            return  # a frame is being drawn: it will take the new data
        now = time.perf_counter()
        wait = self.budget.wait(now)
        if not self._new_batches and self._epoch is not None:
            wait = max(wait, self.epoch_budget.wait(now))  # only an epoch waits its turn
        wait_ms = max(1, round(wait * 1000))
        if self._frame_timer.isActive() and self._frame_timer.remainingTime() <= wait_ms:
            return  # a frame is booked soon enough: it will take the new data
        if wait <= 0:
            self._frame_timer.stop()
            self._on_frame_timer_timeout()
        else:
            self._frame_timer.start(wait_ms)  # sooner than the one booked for an epoch

    def _on_frame_timer_timeout(self) -> None:
        self._start_frame()
        self._run_step()

    def _start_frame(self, everything: bool = False) -> None:
        """A frame: the batch curves now; after an epoch, when the epoch budget allows
        (`everything`: at once), the epoch plots, the layer norms and the confusion
        matrix with the mistakes follow STEP_MS apart, so each part is painted on its
        own and no single pause of the window is long."""
        now = time.perf_counter()
        self.budget.frame_started(now)
        self._new_batches = False
        self._steps = [self.curves.flush_batches]
        if self._epoch is not None and (everything or self.epoch_budget.wait(now) <= 0):
            self.epoch_budget.frame_started(now)
            report, self._epoch = self._epoch, None
            self._steps += [self.curves.flush_epochs, self.layers.flush,
                            lambda: self._show_epoch(report)]
        self._dirty = self._epoch is not None  # an epoch still waits for its turn

    def _run_step(self) -> None:
        self._steps.pop(0)()
        if self._steps:
            self._step_timer.start(STEP_MS)
        elif self._dirty:
            self._schedule()

    def _show_epoch(self, report: EpochReport) -> None:
        if report.mistakes is not None:
            self.replay.live_mistakes = report.mistakes
        if not self.replay.latest:
            return  # the slider looks back: the panels keep the chosen epoch
        if report.stats.confusion is not None:
            self.confusion.set_matrix(report.stats.confusion, report.stats.epoch)
        if report.mistakes is not None:
            self.mistakes.set_report(report.mistakes)

    def draw(self) -> None:
        """Draw everything buffered now (before a picture is taken, at the end)."""
        self._frame_timer.stop()
        self._step_timer.stop()
        steps, self._steps = self._steps, []
        for step in steps:  # the parts of a frame under way …
            step()
        self._start_frame(everything=True)  # … and one of everything else
        steps, self._steps = self._steps, []
        for step in steps:
            step()
        self._dirty = False

    def end(self, run: Run | None, test: TestResult | None = None) -> None:
        """The run ended: draw what is left; `test` is its final weights' test split."""
        self.draw()
        self.run = run
        if run is not None:
            self.replay.run = run  # a run that followed its project lives elsewhere now
            self.replay.keep_try_it()
        self.show_test(test)
        self.runs.refresh()
        if run is not None:
            self.runs.set_checked(list({*self.runs.checked_ids(), run.id}))

    def show_test(self, test: TestResult | None) -> None:
        """The run's test metrics under its title; hidden without a test split."""
        if test is None:
            self.test_summary.clear()
            self.test_summary.hide()
            return
        self.test_summary.setText(f"Test split, {test.samples:,} samples never trained "
                                  f"or validated on: {test_text(test.metrics)}")
        self.test_summary.show()

    # ----- export --------------------------------------------------------------------
    def export_csv(self, path: Path) -> None:
        """The current (or last) run's epoch metrics."""
        if self.run is None:
            raise RunError("there is no run to export yet")
        try:
            write_atomic(path, metrics_csv([self.run]))
        except OSError as error:
            raise RunError(f"cannot write {path}: {error.strerror or error}") from None

    def export_png(self, path: Path) -> None:
        """The live panels on show (all of them when the dashboard has the room) as one
        picture."""
        self.draw()
        pages = self.arrangement.live_pages()
        page = self.tabs.currentWidget() if self.tabs.currentWidget() in pages else pages[0]
        if not page.grab().save(str(path)):
            raise RunError(f"cannot write the picture {path}")

    def _on_export_csv(self) -> None:
        save_as(self, "Export metrics", "metrics.csv", CSV_FILES, self.export_csv,
                "Metrics saved to", self.message)

    def _on_export_png(self) -> None:
        save_as(self, "Export plots", "dashboard.png", PNG_FILES, self.export_png,
                "Plots saved to", self.message)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self.arrangement.fit(event.size().width(), event.size().height())

    def _on_tabs_current_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.runs:
            self.runs.refresh()
