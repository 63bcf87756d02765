"""A snapshot of what the learner has done, for checks to read: the graph, the training
settings and data, and the runs since the lesson was set up (with their histories).

The app builds one after each edit, settings change and run end; tests build one from
real templates and real run folders. Nothing here knows Qt.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlstudio.graph import Graph
from dlstudio.graph.errors import GraphError
from dlstudio.runs import Run

# Statuses whose history counts for metrics; "failed" runs teach nothing to check.
COUNTED_STATUSES = ("running", "finished", "stopped")
MAX_READ_VALUES = 64  # trained_weights reads small tensors only (w and b, not a kernel)

WeightsReader = Callable[[Run], dict[str, list[float]]]


@dataclass
class LessonState:
    """`settings` is flat as a project stores it (TrainSettings.to_dict(): `optimizer`,
    `augment.shift`, `data`...). `runs` are the lesson's runs, oldest first."""

    graph: Graph
    settings: dict[str, Any] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)
    read_weights: WeightsReader | None = None

    def counted_runs(self) -> list[Run]:
        return [run for run in self.runs if run.status in COUNTED_STATUSES]

    def run_graph(self, run: Run) -> Graph | None:
        """The graph a run trained (None when its record holds none that loads)."""
        try:
            return Graph.from_dict(run.graph) if run.graph else None
        except (GraphError, KeyError, TypeError, ValueError):
            return None


def runs_since(runs: Iterable[Run], since: str) -> list[Run]:
    """The runs created at or after `since` (ISO time, seconds), oldest first: a lesson
    counts what the learner did after setting it up, not yesterday's runs."""
    return sorted((run for run in runs if run.created >= since), key=lambda r: r.created)


def metric_values(run: Run, name: str) -> list[float]:
    """Every finite per-epoch value of a monitor name such as "val_accuracy"."""
    split, _, metric = name.partition("_")
    _, values = run.series(split, metric)
    return [value for value in values if math.isfinite(value)]


_CACHE: dict[tuple[str, float], dict[str, list[float]]] = {}


def checkpoint_weights(run: Run) -> dict[str, list[float]]:
    """The small tensors of a run's final weights (`linear.weight` -> [2.98]), read from
    its checkpoint; {} when it has none. Cached by file and time, since the app asks
    after every edit."""
    path = run.checkpoint
    if path is None or not Path(path).is_file():
        return {}
    key = (str(path), Path(path).stat().st_mtime)
    if key not in _CACHE:
        from dlstudio.train.checkpoint import CheckpointError, load_checkpoint  # torch

        try:
            state = load_checkpoint(path).model_state
        except CheckpointError:
            return {}
        _CACHE[key] = {name: [float(v) for v in tensor.flatten().tolist()]
                       for name, tensor in state.items()
                       if hasattr(tensor, "numel") and tensor.numel() <= MAX_READ_VALUES
                       and tensor.is_floating_point()}
    return _CACHE[key]
