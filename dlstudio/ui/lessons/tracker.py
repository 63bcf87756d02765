"""Live checking of one lesson: after each graph edit, settings or data change and run
end, a snapshot of the app (dlstudio.lessons.LessonState) goes through the lesson's
checks. A step once passed stays ticked until the lesson is set up again."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from dlstudio.lessons import Lesson, LessonState, checkpoint_weights, passes, runs_since
from dlstudio.lessons.progress import progress
from dlstudio.runs import Run, RunStore
from dlstudio.ui.document import Document
from dlstudio.ui.training.session import TrainingSession, settings_for

if TYPE_CHECKING:
    from dlstudio.ui.main_window import MainWindow


def now_stamp() -> str:
    """The time runs are stamped with (Run.created), to the second."""
    return datetime.now().isoformat(timespec="seconds")


class LessonTracker(QObject):
    """Follows the window's document and training session for the chosen lesson."""

    changed = Signal()  # ticks, the current step or the progress line changed

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.lesson: Lesson | None = None
        self.since = now_stamp()
        self.passed: set[int] = set()
        self.current = 0
        self.progress_text = ""
        self._stores: dict[Path, RunStore] = {}
        self._kept: dict[str, tuple[str, set[int], int]] = {}  # other lessons' progress
        self._document: Document | None = None
        self._timer = QTimer(self)  # one evaluation per burst of edits
        self._timer.setSingleShot(True)
        self._timer.setInterval(30)
        self._timer.timeout.connect(self.evaluate)
        window.document_changed.connect(self._on_window_document_changed)
        self._follow_document(window.document)
        self.session = window.findChild(TrainingSession)
        if self.session is not None:
            self.session.runs_changed.connect(self.schedule)
            self.session.controller.epoch_ended.connect(self.schedule)
            self.session.panel.form.changed.connect(self.schedule)
            self.session.panel.data.spec_changed.connect(self.schedule)

    # ----- which lesson -----------------------------------------------------------------
    def choose(self, lesson: Lesson | None) -> None:
        """Show another lesson. Each keeps its own ticks while the panel lives; one never
        shown before counts runs from now (or from its Set up)."""
        if lesson is self.lesson:
            return
        if self.lesson is not None:
            self._kept[self.lesson.id] = (self.since, set(self.passed), self.current)
        self.lesson = lesson
        kept = self._kept.get(lesson.id) if lesson is not None else None
        if kept is None:
            self.restart()
            return
        self.since, self.passed, self.current = kept[0], set(kept[1]), kept[2]
        self._stores.clear()
        self.evaluate()

    def restart(self) -> None:
        """Set up was pressed (or another lesson chosen): nothing is ticked, and only
        runs from now on count."""
        self.since = now_stamp()
        self.passed.clear()
        self.current = 0
        self._stores.clear()
        self.evaluate()

    def go(self, index: int) -> None:
        if self.lesson is not None and 0 <= index < len(self.lesson.steps):
            self.current = index
            self._update_progress(self.snapshot())
            self.changed.emit()

    # ----- checking ---------------------------------------------------------------------
    def schedule(self, *_: Any) -> None:
        self._timer.start()

    def snapshot(self) -> LessonState:
        """The app as the checks see it: graph, settings with data, the lesson's runs."""
        document = self.window.document
        settings, _ = settings_for(document)
        store = self.session.store if self.session is not None else None
        if store is None:
            store = RunStore.for_project(document.path, document.project.name)
        self._stores.setdefault(store.root, store)
        runs: dict[Path, Run] = {}
        for known in self._stores.values():
            for run in runs_since(known.runs(), self.since):
                runs[run.folder] = run
        ordered = sorted(runs.values(), key=lambda run: run.created)
        return LessonState(document.graph, settings.to_dict(), ordered, checkpoint_weights)

    def evaluate(self) -> None:
        """Run every check; tick what passes; when the current step or a later one has
        just passed, go to the first unticked step after it."""
        self._timer.stop()
        if self.lesson is None:
            self.changed.emit()
            return
        state = self.snapshot()
        newly = set()
        for index, step in enumerate(self.lesson.steps):
            if step.check is not None and index not in self.passed and passes(step.check,
                                                                                state):
                newly.add(index)
        self.passed |= newly
        if newly and self.current <= max(newly):  # the learner got here or beyond: follow
            later = [i for i in range(max(newly) + 1, len(self.lesson.steps))
                     if i not in self.passed]
            self.current = later[0] if later else max(newly)
        self._update_progress(state)
        self.changed.emit()

    def _update_progress(self, state: LessonState) -> None:
        """What the current step measures, else what the nearest step before it does
        (after "see w ≈ 3", the next run's w and b still matter)."""
        self.progress_text = ""
        if self.lesson is not None:
            for index in range(self.current, -1, -1):
                self.progress_text = progress(self.lesson.steps[index].check, state)
                if self.progress_text:
                    return

    # ----- the document -----------------------------------------------------------------
    def _on_window_document_changed(self, document: Document) -> None:
        self._follow_document(document)
        self.schedule()

    def _follow_document(self, document: Document) -> None:
        if self._document is not None:
            with suppress(RuntimeError, TypeError):  # the old document may be gone
                self._document.changed.disconnect(self.schedule)
        self._document = document
        document.changed.connect(self.schedule)
