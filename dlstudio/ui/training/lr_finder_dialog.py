"""Find a learning rate: the range test from the settings form's "Find…" button.

It runs on the project's graph, the data chosen in the Data tab and the settings the form
shows (through the same `TrainingSession.run_inputs()` that Train uses), on its own model
and off the GUI thread (lr_finder_job.py); it plots loss against rate, says which rate to
try and why, and "Use …" sets that rate as one undo step. Nothing else changes: no
weights, no run, no file. While a run trains the finder waits, and says so.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from dlstudio.train.lr_finder import (
    DEFAULT_BATCHES,
    DEFAULT_END_LR,
    DEFAULT_START_LR,
    NO_FALL,
    LrFindResult,
)
from dlstudio.ui.theme import current_ui_colors
from dlstudio.ui.training.lr_finder_job import FindRequest, LrFindJob
from dlstudio.ui.training.lr_finder_plot import LrFinderPlot
from dlstudio.ui.training.session import RunInputsError, TrainingSession
from dlstudio.ui.training.settings_command import ChangeSettingsCommand

UNDO_TEXT = "Use the suggested learning rate"
TRAINING_TEXT = "Not available while a run trains: stop the run, or wait for it to end."
QUIT_WAIT_SECONDS = 5.0
# (share of the free screen, least, most) for the width and the height; never more
# than the screen (a 1366×768 one has ~730 px free in height)
WIDTH, HEIGHT = (0.55, 720, 1000), (0.62, 580, 720)


def shown_rate(rate: float) -> float:
    """The rate as the Use button shows it (two significant digits): what is applied."""
    return float(f"{rate:.1e}")


def verdict(result: LrFindResult) -> str:
    """The result in plain words."""
    ended = (f"The test stopped after {len(result.rates)} batches: {result.stop_reason}. "
             if result.stopped_early else f"The test ran {len(result.rates)} batches. ")
    lowest = f"{result.min_rate * 10:.1e}"
    if result.how == NO_FALL:
        return (ended + f"The loss did not fall over this range, so no rate stands out; "
                f"it was lowest at {lowest}. Check the data and the network, or run "
                "more batches.")
    other = "a more careful" if result.min_rate < result.suggestion else "a bolder"
    return (ended + f"The loss fell fastest at a learning rate of "
            f"{result.suggestion:.1e}: a good rate to train with. It was lowest at "
            f"{lowest}; a tenth of that, {result.min_rate:.1e}, is {other} choice.")


class LrFinderDialog(QDialog):
    """The range test, its plot and its suggestion for the session's document."""

    def __init__(self, session: TrainingSession, parent: QWidget | None = None, *,
                 batches: int = DEFAULT_BATCHES) -> None:
        super().__init__(parent)
        self.setWindowTitle("Find a learning rate")
        self.setObjectName("lr_finder_dialog")
        self.session = session
        self.job: LrFindJob | None = None
        self.result: LrFindResult | None = None
        self._closing = False
        self._busy = False
        intro = QLabel(
            f"Trains a copy of the network for up to the batches below while the "
            f"learning rate grows from {DEFAULT_START_LR:g} to {DEFAULT_END_LR:g}, and "
            "plots the loss against the rate. The loss stays flat, then falls, then "
            "blows up; a good rate lies where it falls fastest. Your network, weights "
            "and settings stay as they are.")
        intro.setWordWrap(True)
        self.batches = QSpinBox()
        self.batches.setObjectName("lr_finder_batches")
        self.batches.setRange(10, 2000)
        self.batches.setValue(batches)
        self.batches.setToolTip("Most batches to run (the data is cycled); more give a "
                                "smoother curve")
        self.progress = QProgressBar()
        self.progress.setFormat("Batch %v of %m")
        self.progress.setValue(0)
        self.run_button = QPushButton("Run again")
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the test; nothing changes")
        self.cancel_button.clicked.connect(self.cancel)
        top = QHBoxLayout()
        top.addWidget(QLabel("Batches"))
        top.addWidget(self.batches)
        top.addWidget(self.progress, 1)
        top.addWidget(self.cancel_button)
        top.addWidget(self.run_button)
        self.plot = LrFinderPlot()
        self.words = QLabel()
        self.words.setObjectName("lr_finder_verdict")
        self.words.setWordWrap(True)
        self.words.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.words.setMinimumHeight(self.words.fontMetrics().lineSpacing() * 3 + 4)
        self.words.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.problem = QLabel()
        self.problem.setObjectName("lr_finder_problem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.use_button = QPushButton("Use")
        self.use_button.setObjectName("lr_finder_use")
        self.use_button.clicked.connect(self.use_suggestion)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.use_button)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(top)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.words)
        layout.addWidget(self.problem)
        layout.addLayout(bottom)
        self._fit_screen()
        session.locked_changed.connect(self._on_session_locked_changed)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._on_app_about_to_quit)
        self._show_idle()

    # ----- running -------------------------------------------------------------------
    def start(self) -> bool:
        """Run the test on what the Data tab and the form show now; False (and one line
        in the dialog) when it cannot start."""
        if self.running:
            return False
        self._say_problem("")
        if self.session.controller.active:
            self._say_problem(TRAINING_TEXT)
            return False
        document = self.session.document
        if document is None:
            return False
        try:
            settings, data = self.session.run_inputs()
        except RunInputsError as error:
            self._say_problem(f"The test did not start: {error}")
            return False
        folder = document.path.parent if document.path is not None else None
        self.job = LrFindJob(FindRequest(document.graph.copy(), data, settings,
                                         self.batches.value(), folder))
        self.job.progressed.connect(self._on_job_progressed)
        self.job.finished.connect(self._on_job_finished)
        self.job.failed.connect(self._on_job_failed)
        self.job.cancelled.connect(self._on_job_cancelled)
        self.result = None
        self.plot.clear_result()
        self.progress.setRange(0, self.batches.value())
        self.progress.setValue(0)
        self.words.setText("Running the test; the curve appears when it ends.")
        self._busy = True
        self.job.start()
        self._show_running()
        return True

    @property
    def running(self) -> bool:
        """A test started and has not reported its end yet."""
        return self._busy

    def cancel(self) -> None:
        """Stop the test at the next batch; the dialog says when it has."""
        if self.job is not None and self.running:
            self.job.cancel()
            self.cancel_button.setEnabled(False)
            self.words.setText("Cancelling…")

    def use_suggestion(self) -> None:
        """Set the suggested rate in the form and the project: one undo step."""
        document = self.session.document
        if self.result is None or document is None or self.session.controller.active:
            return
        value = shown_rate(self.result.suggestion)
        form = self.session.panel.form
        document.undo_stack.push(ChangeSettingsCommand(document, form, {"lr": value},
                                                       UNDO_TEXT))
        self.session.message.emit(f"Learning rate set to {value:.1e} (Ctrl+Z undoes it)")
        self.accept()

    # ----- job events ----------------------------------------------------------------
    def _on_job_progressed(self, batch: int, batches: int) -> None:
        self.progress.setValue(min(batch - 1, batches))

    def _on_job_finished(self, result: LrFindResult) -> None:
        self.result = result
        self.progress.setRange(0, len(result.rates))
        self.progress.setValue(len(result.rates))
        self.plot.show_result(result)
        self.words.setText(verdict(result))
        self._job_ended()

    def _on_job_failed(self, message: str) -> None:
        self.words.setText("")
        self.progress.setValue(0)
        self._say_problem(f"The test could not run: {message}")
        self._job_ended()

    def _on_job_cancelled(self) -> None:
        self.progress.setValue(0)
        self.words.setText("Cancelled: nothing was changed.")
        self._job_ended()

    def _job_ended(self) -> None:
        self._busy = False
        if self._closing:  # closed mid-run: the thread has ended, the dialog may go
            super().done(QDialog.DialogCode.Rejected)
            if self.testAttribute(Qt.WidgetAttribute.WA_DeleteOnClose):
                self.deleteLater()
            return
        self._show_idle()

    # ----- state of the buttons ------------------------------------------------------
    def _show_running(self) -> None:
        self.cancel_button.setEnabled(True)
        self.run_button.setEnabled(False)
        self.batches.setEnabled(False)
        self.use_button.setText("Use")
        self.use_button.setEnabled(False)

    def _show_idle(self) -> None:
        training = self.session.controller.active
        self.cancel_button.setEnabled(False)
        self.run_button.setEnabled(not training)
        self.batches.setEnabled(True)
        if self.result is not None:
            self.use_button.setText(f"Use {self.result.suggestion:.1e}")
        else:
            self.use_button.setText("Use")
        usable = self.result is not None and not training
        self.use_button.setEnabled(usable)
        # Enter applies the suggestion once there is one: the focus was on Cancel, now
        # disabled, and Enter did nothing (the keyboard had to Tab to Use).
        self.use_button.setDefault(usable)
        focus = self.focusWidget()
        if usable and (focus is None or not focus.isEnabled() or focus is self.cancel_button):
            self.use_button.setFocus()
        self.use_button.setToolTip(TRAINING_TEXT if training else
                                   "Set this learning rate in the settings (Ctrl+Z undoes "
                                   "it)")

    def _on_session_locked_changed(self, locked: bool) -> None:
        if locked:
            self.cancel()
            self._say_problem(TRAINING_TEXT)
        elif self.problem.text() == TRAINING_TEXT:
            self._say_problem("")
        if not self.running:
            self._show_idle()

    def _say_problem(self, text: str) -> None:
        self.problem.setStyleSheet(f"color: {current_ui_colors().error};")
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    # ----- closing -------------------------------------------------------------------
    def done(self, result: int) -> None:
        """Closing mid-run cancels; the dialog goes once the thread has ended (at the
        next batch), so nothing outlives what it reports to."""
        if self.running:
            self._closing = True
            self.cancel()
            self.hide()
            return
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self.running:
            event.ignore()
            self.done(QDialog.DialogCode.Rejected)
            return
        super().closeEvent(event)

    def _on_app_about_to_quit(self) -> None:
        if self.job is not None and self.job.running:
            self.job.cancel()
            self.job.wait(QUIT_WAIT_SECONDS)

    def _fit_screen(self) -> None:
        """Bigger on a big screen, and never taller or wider than the screen."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            self.resize(WIDTH[1], HEIGHT[1])
            return
        free = screen.availableGeometry()
        sizes = [min(max(int(room * share), least), most, room - margin)
                 for room, (share, least, most), margin in
                 ((free.width(), WIDTH, 40), (free.height(), HEIGHT, 60))]
        self.resize(sizes[0], sizes[1])


def open_lr_finder(session: TrainingSession, parent: QWidget) -> LrFinderDialog:
    """Open the finder over `parent` (window-modal, so the project cannot change under
    it) and start the test at once."""
    dialog = LrFinderDialog(session, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.show()
    dialog.start()
    return dialog


def install_lr_finder(window: QWidget, session: TrainingSession) -> None:
    """Wire the settings form's Find… to the finder, greyed out (saying why) while a run
    trains."""
    form = session.panel.form
    form.find_lr_requested.connect(lambda: open_lr_finder(session, window))
    session.locked_changed.connect(
        lambda locked: form.set_find_lr_available(not locked, TRAINING_TEXT))
