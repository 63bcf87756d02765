"""The Lessons panel: the list of lessons, the chosen one's text and steps with their
ticks, Set up, and Previous / Next. Widgets only: the tracker (tracker.py) checks the
steps, and install.py sets lessons up in the window."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from dlstudio.lessons import Lesson, LessonList, describe
from dlstudio.lessons.text import paragraphs_html
from dlstudio.ui.theme import current_ui_colors

DONE, TODO, READ = "✓", "○", "•"
LESSON_ROLE = Qt.ItemDataRole.UserRole


class LessonsPanel(QWidget):
    """Shows lessons; `lesson_chosen`, `setup_requested` and `step_requested` ask for
    the rest."""

    lesson_chosen = Signal(object)    # Lesson | None
    setup_requested = Signal(object)  # Lesson
    step_requested = Signal(int)      # a step index

    def __init__(self, lessons: LessonList, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lessons_panel")
        self.lessons = lessons.lessons
        self.list = QListWidget()
        self.list.setObjectName("lessons_list")
        self.list.setAccessibleName("Lessons")
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for lesson in self.lessons:
            item = QListWidgetItem(f"{lesson.minutes:g} min · {lesson.title}")
            item.setData(LESSON_ROLE, lesson.id)
            item.setToolTip(lesson.summary[0])
            self.list.addItem(item)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problems.setVisible(bool(lessons.problems))
        if lessons.problems:
            self.problems.setStyleSheet(f"color: {current_ui_colors().warning};")
            self.problems.setText("Not listed (the file has a mistake):\n"
                                  + "\n".join(lessons.problems))
        self.setup_button = QPushButton("&Set up this lesson")
        self.setup_button.setObjectName("lessons_setup")
        self.setup_button.setToolTip("Load the lesson's network, data and settings "
                                     "(asks first if the open project has unsaved changes)")
        self.steps = QListWidget()
        self.steps.setObjectName("lessons_steps")
        self.steps.setAccessibleName("Steps")
        self.steps.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.steps.setWordWrap(True)
        self.steps.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.text = QTextBrowser()
        self.text.setObjectName("lessons_text")
        self.text.setOpenExternalLinks(False)
        self.previous_button = QPushButton("&Previous")
        self.next_button = QPushButton("&Next")
        self.position = QLabel()
        self.position.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._build_layout()
        self.list.currentRowChanged.connect(self._on_list_current_row_changed)
        self.setup_button.clicked.connect(self._on_setup_button_clicked)
        self.steps.currentRowChanged.connect(self._on_steps_current_row_changed)
        self.previous_button.clicked.connect(lambda: self.step_requested.emit(self._step - 1))
        self.next_button.clicked.connect(lambda: self.step_requested.emit(self._step + 1))
        self._lesson: Lesson | None = None
        self._step = 0
        self._showing = False
        self.show_lesson(None, set(), 0, "")

    def _build_layout(self) -> None:
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.list, 1)
        top_layout.addWidget(self.problems)
        bottom = QWidget()
        layout = QVBoxLayout(bottom)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.setup_button)
        layout.addWidget(self.steps, 1)
        layout.addWidget(self.text, 3)
        buttons = QHBoxLayout()
        buttons.addWidget(self.previous_button)
        buttons.addWidget(self.position, 1)
        buttons.addWidget(self.next_button)
        layout.addLayout(buttons)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 5)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addWidget(splitter)
        # Every lesson in view without scrolling (up to ten): at 1366×768 the list
        # otherwise shows six and cuts the seventh in half.
        rows = min(max(self.list.count(), 4), 10)
        self.list.setMinimumHeight(max(60, self.list.sizeHintForRow(0) * rows + 8))
        self.steps.setMinimumHeight(60)
        self.text.setMinimumHeight(120)

    # ----- what is shown ------------------------------------------------------------------
    def lesson_by_id(self, ident: str) -> Lesson | None:
        return next((lesson for lesson in self.lessons if lesson.id == ident), None)

    def choose(self, ident: str) -> None:
        """Select a lesson in the list, as a click would."""
        for row in range(self.list.count()):
            if self.list.item(row).data(LESSON_ROLE) == ident:
                self.list.setCurrentRow(row)

    def show_lesson(self, lesson: Lesson | None, passed: set[int], current: int,
                    progress: str) -> None:
        """The lesson's steps with their ticks, and the current step's text."""
        self._showing = True
        self._lesson, self._step = lesson, current
        self.setup_button.setEnabled(lesson is not None)
        self.steps.clear()
        if lesson is None:
            self.text.setHtml("<p>Choose a lesson above. <b>Set up</b> loads its network, "
                              "data and settings; its steps tick as you work.</p>")
            self.position.setText("")
            for button in (self.previous_button, self.next_button):
                button.setEnabled(False)
            self._showing = False
            return
        for index, step in enumerate(lesson.steps):
            mark = DONE if index in passed else (TODO if step.check is not None else READ)
            item = QListWidgetItem(f"{mark}  {index + 1}. {step.title}")
            item.setToolTip(f"Done when: {describe(step.check)}" if step.check else
                            "Read this step, then go on")
            if index == current:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.steps.addItem(item)
        self.steps.setCurrentRow(current)
        self.text.setHtml(self._step_html(lesson, current, current in passed, progress))
        self.position.setText(f"Step {current + 1} of {len(lesson.steps)}")
        self.previous_button.setEnabled(current > 0)
        self.next_button.setEnabled(current < len(lesson.steps) - 1)
        self._showing = False

    def _step_html(self, lesson: Lesson, index: int, done: bool, progress: str) -> str:
        colors = current_ui_colors()
        step = lesson.steps[index]
        parts = [f"<h3>{escape(lesson.title)}</h3>"]
        if index == 0:
            parts.append(paragraphs_html(lesson.summary))
            parts.append(f"<p style='color:{colors.muted}'>About {lesson.minutes:g} min of "
                         f"CPU training. {escape(lesson.measured)}</p>")
        parts.append(f"<h4>{index + 1}. {escape(step.title)}</h4>")
        parts.append(paragraphs_html(step.text))
        if step.check is not None:
            color = colors.ok if done else colors.muted
            state = f"{DONE} Done" if done else "Not yet"
            parts.append(f"<p style='color:{color}'><b>{state}</b> — done when "
                         f"{escape(describe(step.check))}.</p>")
        if progress:
            parts.append(f"<p>{escape(progress)}</p>")
        return "".join(parts)

    # ----- user gestures -----------------------------------------------------------------
    def _on_list_current_row_changed(self, row: int) -> None:
        item = self.list.item(row) if row >= 0 else None
        self.lesson_chosen.emit(self.lesson_by_id(item.data(LESSON_ROLE)) if item else None)

    def _on_setup_button_clicked(self) -> None:
        if self._lesson is not None:
            self.setup_requested.emit(self._lesson)

    def _on_steps_current_row_changed(self, row: int) -> None:
        if not self._showing and row >= 0 and row != self._step:
            self.step_requested.emit(row)
