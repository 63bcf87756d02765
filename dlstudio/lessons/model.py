"""A lesson as the app and the docs see it: what it is, how to set it up, its steps."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Step:
    """One thing to do. `text` is paragraphs (see text.py for the markup); `check` is
    None for a step the learner only reads."""

    title: str
    text: tuple[str, ...]
    check: dict[str, Any] | None = None


@dataclass(frozen=True)
class Setup:
    """What Set up loads: a template or a project file (beside the lesson file), the data
    spec, and training settings over the template's defaults."""

    template: str | None
    project: Path | None
    data: str
    training: dict[str, Any]


@dataclass(frozen=True)
class Lesson:
    """`minutes` is the CPU time the lesson's training took when it was measured, as
    `measured` says where."""

    id: str
    title: str
    order: int
    minutes: float
    measured: str
    summary: tuple[str, ...]
    setup: Setup
    steps: tuple[Step, ...]
    path: Path

    @property
    def project_name(self) -> str:
        """The name the set-up project gets; its runs are kept under it."""
        return f"lesson-{self.id}"
