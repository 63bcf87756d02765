"""Errors of the graph core. Each carries a message a learner can act on."""

from __future__ import annotations


class GraphError(ValueError):
    """An edit the graph refuses (cycle, occupied input, unknown node, bad value)."""


class ParamError(GraphError):
    """A parameter value outside its type, range or choices."""


class ShapeError(ValueError):
    """A layer cannot take the shapes it is given; raised by shape rules."""


class ProjectError(ValueError):
    """A project file that cannot be read or written.

    `path` is the file, `field` the JSON path of the offending value (for example
    graph.nodes[3].params.kernel_size), `problem` what is wrong; any may be empty.
    """

    def __init__(self, problem: str, field: str = "", path: str = "") -> None:
        # A damaged file can hold megabytes in one value: keep messages readable.
        self.problem, self.field, self.path = _clip(problem, 1000), _clip(field, 200), path
        super().__init__(": ".join(part for part in (path, self.field, self.problem) if part))

    def in_file(self, path: str) -> ProjectError:
        return ProjectError(self.problem, self.field, path)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
