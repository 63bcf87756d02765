"""Reading lesson files (resources/lessons/*.json): every field checked, one LessonError
naming the file and the field on any problem, so a broken lesson is one clear line and
the others still load. The format is documented in docs/lessons/README.md."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlstudio.lessons.checks import validate_check
from dlstudio.lessons.errors import LessonError, join
from dlstudio.lessons.model import Lesson, Setup, Step
from dlstudio.resources import resource_path

FORMAT = 1
LESSONS_DIR = resource_path("lessons")
MAX_FILE_BYTES = 1024 * 1024
TOP_KEYS = ("format", "id", "title", "order", "minutes", "measured", "summary", "setup",
            "steps")
SETUP_KEYS = ("template", "project", "data", "training")
STEP_KEYS = ("title", "text", "check")
_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}\Z")


@dataclass
class LessonList:
    """Every lesson that loaded, in order, and one line per file that did not."""

    lessons: list[Lesson] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def load_lessons(folder: Path | None = None) -> LessonList:
    """Every *.json lesson in `folder` (resources/lessons/ by default), by `order`."""
    result = LessonList()
    folder = Path(folder) if folder is not None else LESSONS_DIR
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            lesson = load_lesson(path)
            if lesson.id in seen:
                raise LessonError(f"the id {lesson.id!r} is also {seen[lesson.id].name}'s",
                                  "id", str(path))
        except LessonError as error:
            result.problems.append(str(error))
            continue
        seen[lesson.id] = path
        result.lessons.append(lesson)
    result.lessons.sort(key=lambda lesson: (lesson.order, lesson.title))
    return result


def load_lesson(path: Path) -> Lesson:
    """One lesson file, checked; LessonError names the file and field."""
    path = Path(path)
    try:
        return lesson_from_dict(_read(path), path)
    except LessonError as error:
        raise error.in_file(str(path)) from None


def _read(path: Path) -> Any:
    try:
        raw = path.read_bytes()[: MAX_FILE_BYTES + 1]
    except OSError as error:
        raise LessonError(f"cannot read the file: {error.strerror or error}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise LessonError("larger than 1 MB: not a lesson file")
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise LessonError("not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise LessonError(f"not valid JSON at line {error.lineno}, column {error.colno} "
                          f"({error.msg})") from None


def lesson_from_dict(data: Any, path: Path) -> Lesson:
    if not isinstance(data, dict):
        raise LessonError("a lesson file holds one JSON object {...}")
    for key in data:
        if key not in TOP_KEYS:
            raise LessonError(f"is not a lesson field; use {', '.join(TOP_KEYS)}", key)
    for key in ("format", "id", "title", "minutes", "summary", "setup", "steps"):
        if key not in data:
            raise LessonError("is missing", key)
    if data["format"] != FORMAT:
        raise LessonError(f"must be {FORMAT} (this DL Studio reads lesson format {FORMAT})",
                          "format")
    ident = data["id"]
    if not isinstance(ident, str) or not _ID.match(ident):
        raise LessonError("must be lower-case letters, digits and '-' (at most 64)", "id")
    minutes = data["minutes"]
    if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not (
            0 < minutes <= 120):
        raise LessonError("must be the CPU minutes the lesson takes (0 < minutes ≤ 120)",
                          "minutes")
    order = data.get("order", 100)
    if isinstance(order, bool) or not isinstance(order, int):
        raise LessonError("must be a whole number (lessons are listed by it)", "order")
    steps = data["steps"]
    if not isinstance(steps, list) or not steps:
        raise LessonError("must be a list of at least one step", "steps")
    return Lesson(
        id=ident, title=_line(data["title"], "title"), order=order, minutes=float(minutes),
        measured=_line(data.get("measured", ""), "measured", empty=True),
        summary=_paragraphs(data["summary"], "summary"),
        setup=_setup(data["setup"], path), path=path,
        steps=tuple(_step(step, join("steps", index)) for index, step in enumerate(steps)))


def _line(value: Any, where: str, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()) or "\n" in value:
        raise LessonError("must be one line of text", where)
    return value.strip()


def _paragraphs(value: Any, where: str) -> tuple[str, ...]:
    """A string, or a list of strings: one per paragraph (JSON has no multi-line text)."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(
            isinstance(item, str) and item.strip() for item in items):
        raise LessonError("must be text: a string, or a list of strings, one per paragraph",
                          where)
    return tuple(item.strip() for item in items)


def _step(value: Any, where: str) -> Step:
    if not isinstance(value, dict):
        raise LessonError("a step is an object with title, text and an optional check", where)
    for key in value:
        if key not in STEP_KEYS:
            raise LessonError(f"is not a step field; use {', '.join(STEP_KEYS)}",
                              join(where, key))
    for key in ("title", "text"):
        if key not in value:
            raise LessonError("is missing", join(where, key))
    check = value.get("check")
    if check is not None:
        validate_check(check, join(where, "check"))
    return Step(_line(value["title"], join(where, "title")),
                _paragraphs(value["text"], join(where, "text")), check)


def _setup(value: Any, path: Path) -> Setup:
    from dlstudio.lessons.setup import check_setup  # torch: only when a lesson loads

    if not isinstance(value, dict):
        raise LessonError("must be an object with template or project, data, training",
                          "setup")
    for key in value:
        if key not in SETUP_KEYS:
            raise LessonError(f"is not a setup field; use {', '.join(SETUP_KEYS)}",
                              join("setup", key))
    if ("template" in value) == ("project" in value):
        raise LessonError("give a template or a project file (one of them)", "setup")
    template = value.get("template")
    if template is not None and not isinstance(template, str):
        raise LessonError("must be a template name", "setup.template")
    project = value.get("project")
    if project is not None:
        if not isinstance(project, str) or Path(project).is_absolute() or ".." in project:
            raise LessonError("must be a project file's name beside the lesson file",
                              "setup.project")
        project = path.parent / project
    data = value.get("data")
    if not isinstance(data, str) or not data:
        raise LessonError("must be a data spec such as builtin:xor", "setup.data")
    training = value.get("training", {})
    if not isinstance(training, dict):
        raise LessonError("must be an object of training settings", "setup.training")
    setup = Setup(template, project, data, dict(training))
    check_setup(setup)
    return setup
