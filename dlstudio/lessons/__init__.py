"""Lessons: guided exercises as data. Each lesson file under resources/lessons/ holds its
text, a setup (canvas, data, settings) and steps whose checks the app evaluates against
a snapshot of what the learner has done. No Qt here; dlstudio/ui/lessons/ shows them."""

from dlstudio.lessons.checks import CHECKS, check_kinds, describe, passes, validate_check
from dlstudio.lessons.errors import LessonError
from dlstudio.lessons.loader import LESSONS_DIR, LessonList, load_lesson, load_lessons
from dlstudio.lessons.model import Lesson, Setup, Step
from dlstudio.lessons.setup import lesson_project
from dlstudio.lessons.state import LessonState, checkpoint_weights, runs_since

__all__ = [
    "CHECKS", "LESSONS_DIR", "Lesson", "LessonError", "LessonList", "LessonState", "Setup",
    "Step", "check_kinds", "checkpoint_weights", "describe", "lesson_project", "load_lesson",
    "load_lessons", "passes", "runs_since", "validate_check",
]
