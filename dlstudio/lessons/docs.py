"""docs/lessons/*.md written from the lesson files, so the readable copies never drift:
`python -m dlstudio.lessons.docs` rewrites them, and a test compares them with
`render_all()`."""

from __future__ import annotations

import sys
from pathlib import Path

from dlstudio.atomic import write_atomic
from dlstudio.lessons.checks import describe
from dlstudio.lessons.loader import load_lessons
from dlstudio.lessons.model import Lesson
from dlstudio.resources import RESOURCES_DIR

DOCS_DIR = RESOURCES_DIR.parent / "docs" / "lessons"
INDEX = "index.md"
NOTICE = ("<!-- Written by `python -m dlstudio.lessons.docs` from "
          "resources/lessons/{name}; edit that file, not this one. -->")


def render(lesson: Lesson) -> str:
    """One lesson as Markdown: its text, how to set it up, and each step's check."""
    setup = lesson.setup
    start = (f"the `{setup.template}` template" if setup.template is not None
             else f"the project `resources/lessons/{setup.project.name}`"  # type: ignore[union-attr]
             )
    lines = [NOTICE.format(name=lesson.path.name), "", f"# {lesson.title}", "",
             f"*About {lesson.minutes:g} minute{'s' if lesson.minutes != 1 else ''} of CPU "
             f"training.* {lesson.measured}".rstrip(), ""]
    for paragraph in lesson.summary:
        lines += [paragraph, ""]
    lines += ["## Set up", "",
              f"In the app: **Help ▸ Lessons**, choose “{lesson.title}”, press **Set up**. "
              f"It opens {start} on `{setup.data}`"
              + (" with these training settings: " + ", ".join(
                  f"`{k}` {_value(v)}" for k, v in setup.training.items()) if setup.training
                 else "") + ".", ""]
    for number, step in enumerate(lesson.steps, start=1):
        lines += [f"## {number}. {step.title}", ""]
        for paragraph in step.text:
            lines += [paragraph, ""]
        if step.check is not None:
            lines += [f"*Done when:* {describe(step.check)}.", ""]
    return "\n".join(lines).rstrip() + "\n"


def render_index(lessons: list[Lesson]) -> str:
    lines = [NOTICE.format(name="*.json"), "", "# Lessons", "",
             "Guided lessons built from the classic exercises. Open them in the app with "
             "**Help ▸ Lessons**; each also reads on its own here. How to write one: "
             "[README.md](README.md).", "",
             "| lesson | CPU minutes | steps |", "| --- | --- | --- |"]
    for lesson in lessons:
        steps = " · ".join(step.title for step in lesson.steps)
        lines.append(f"| [{lesson.title}]({lesson.id}.md) | {lesson.minutes:g} | {steps} |")
    return "\n".join(lines) + "\n"


def render_all(folder: Path | None = None) -> dict[str, str]:
    """File name -> Markdown for every lesson and the index."""
    lessons = load_lessons(folder).lessons
    pages = {f"{lesson.id}.md": render(lesson) for lesson in lessons}
    pages[INDEX] = render_index(lessons)
    return pages


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"{value:g}" if isinstance(value, float) else str(value)


def main(argv: list[str] | None = None) -> int:
    """Write docs/lessons/*.md (a broken lesson file is reported and exits 2)."""
    result = load_lessons()
    if result.problems:
        for problem in result.problems:
            print(problem, file=sys.stderr)
        return 2
    DOCS_DIR.mkdir(parents=True, exist_ok=True)
    for name, text in render_all().items():
        write_atomic(DOCS_DIR / name, text)
        print(DOCS_DIR / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
