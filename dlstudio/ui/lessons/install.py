"""Help ▸ Lessons: the Lessons dock in the window, made on first use, and Set up.

The dock belongs to the main window itself, not to a workspace, so the lesson stays in
view while the learner moves between Design and Train. Set up replaces the open project
as File ▸ New from template does (asking first about unsaved changes): a new document
with its own undo history, so the lesson's start is never mixed into earlier edits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

from dlstudio.lessons import Lesson, lesson_project, load_lessons
from dlstudio.ui.document import Document
from dlstudio.ui.lessons.panel import LessonsPanel
from dlstudio.ui.lessons.tracker import LessonTracker

if TYPE_CHECKING:
    from dlstudio.ui.main_window import MainWindow

DOCK_NAME = "dock_lessons"
DOCK_WIDTH = 380


class LessonsDock(QDockWidget):
    """The dock, its panel and its tracker, wired together."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__("Lessons", window)
        self.setObjectName(DOCK_NAME)
        self.window_ = window
        self.panel = LessonsPanel(load_lessons())
        self.tracker = LessonTracker(window)
        self.setWidget(self.panel)
        self.setMinimumWidth(280)
        self.panel.lesson_chosen.connect(self._on_panel_lesson_chosen)
        self.panel.setup_requested.connect(self.set_up)
        self.panel.step_requested.connect(self.tracker.go)
        self.tracker.changed.connect(self._on_tracker_changed)

    def set_up(self, lesson: Lesson) -> bool:
        """Load the lesson's network, data and settings; False when the user kept the
        open project (Cancel on unsaved changes)."""
        window = self.window_
        if not window.files.maybe_save():
            return False
        window.set_document(Document(lesson_project(lesson)))
        window.fit_canvas()
        window.show_workspace("design")
        self.panel.choose(lesson.id)  # the list shows it, and the tracker follows
        self.tracker.choose(lesson)
        self.tracker.restart()
        window.statusBar().showMessage(f"Lesson set up: {lesson.title}", 5000)
        return True

    def _on_panel_lesson_chosen(self, lesson: Lesson | None) -> None:
        self.tracker.choose(lesson)

    def _on_tracker_changed(self) -> None:
        t = self.tracker
        self.panel.show_lesson(t.lesson, t.passed, t.current, t.progress_text)


def lessons_dock(window: MainWindow) -> LessonsDock:
    """The window's Lessons dock, made (on the right, hidden) the first time."""
    dock = window.findChild(LessonsDock, DOCK_NAME)
    if dock is None:
        dock = LessonsDock(window)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        window.resizeDocks([dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)
    return dock


def show_lessons(window: MainWindow) -> LessonsDock:
    """Help ▸ Lessons: show the dock and put the keyboard in its list."""
    first = window.findChild(LessonsDock, DOCK_NAME) is None
    dock = lessons_dock(window)
    dock.show()
    if first:  # wide enough to read, once it is shown and can be sized
        window.resizeDocks([dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)
    dock.raise_()
    dock.panel.list.setFocus()
    if dock.panel.list.currentRow() < 0 and dock.panel.list.count():
        dock.panel.list.setCurrentRow(0)
    return dock
