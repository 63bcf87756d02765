"""Help ▸ Lessons: the panel of guided lessons (dlstudio/lessons/ reads and checks them)."""

from dlstudio.ui.lessons.install import LessonsDock, lessons_dock, show_lessons
from dlstudio.ui.lessons.panel import LessonsPanel
from dlstudio.ui.lessons.tracker import LessonTracker

__all__ = ["LessonTracker", "LessonsDock", "LessonsPanel", "lessons_dock", "show_lessons"]
