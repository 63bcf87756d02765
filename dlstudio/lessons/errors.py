"""The one error a lesson file can raise: it names the file and the field at fault."""

from __future__ import annotations


class LessonError(ValueError):
    """A lesson file that cannot be used. `path` is the file, `field` the JSON path of the
    offending value (steps[2].check.setting.optimizer), `problem` what is wrong."""

    def __init__(self, problem: str, field: str = "", path: str = "") -> None:
        self.problem, self.field, self.path = problem, field, path
        super().__init__(": ".join(part for part in (path, field, problem) if part))

    def in_file(self, path: str) -> LessonError:
        return LessonError(self.problem, self.field, path)


def join(where: str, key: str | int) -> str:
    """`where` extended by a key (`a.b`) or an index (`a[2]`)."""
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key
