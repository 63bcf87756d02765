"""Every training run kept on disk: its settings, graph, data and epoch history.

A run lives in `<project folder>/runs/<timestamp>/` (settings.json written when it
starts, history.json and metrics.csv rewritten after every epoch, the trainer's
checkpoints under checkpoints/), so runs survive the app and can be overlaid later.
No Qt and no torch here: the dashboard, the CLI and tests all read the same files.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from dlstudio.atomic import write_atomic

RUNS_FOLDER = "runs"
SETTINGS_FILE = "settings.json"
HISTORY_FILE = "history.json"
METRICS_FILE = "metrics.csv"
CHECKPOINT_FOLDER = "checkpoints"
STATUSES = ("running", "finished", "stopped", "failed")
RUN_FORMAT = 1
SPLITS = ("train", "val")
EXTRA_COLUMNS = ("lr", "seconds", "samples_per_second")


class RunError(ValueError):
    """A run folder that cannot be read or written; the message names the file."""


@dataclass
class Run:
    """One training run. `history` holds one JSON-safe dict per epoch with `epoch`,
    `train` and `val` (metric name -> value), `lr`, `seconds`, `samples_per_second`
    and `layer_stats`; `result` the final facts (best epoch, checkpoint, device)."""

    folder: Path
    name: str
    created: str
    data: str
    settings: dict[str, Any]
    graph: dict[str, Any] = field(default_factory=dict)
    status: str = "running"
    history: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    message: str = ""

    @property
    def id(self) -> str:
        return self.folder.name

    @property
    def checkpoint_dir(self) -> Path:
        return self.folder / CHECKPOINT_FOLDER

    @property
    def label(self) -> str:
        """How lists show the run, e.g. '2025-01-31 14-05-09 · cnn-small · builtin:digits28'."""
        return f"{self.id.replace('_', ' ')} · {self.name} · {self.data}"

    def metric_keys(self) -> list[str]:
        """Metric names seen in any epoch, loss first, e.g. ['loss', 'accuracy']."""
        keys: dict[str, None] = {}
        for entry in self.history:
            for split in SPLITS:
                keys.update(dict.fromkeys(entry.get(split) or {}))
        return sorted(keys, key=lambda k: (k != "loss", k))

    def series(self, split: str, key: str) -> tuple[list[int], list[float]]:
        """(epochs, values) of one metric of one split, skipping epochs without it."""
        epochs: list[int] = []
        values: list[float] = []
        for entry in self.history:
            value = (entry.get(split) or {}).get(key)
            if isinstance(value, (int, float)):
                epochs.append(int(entry["epoch"]))
                values.append(float(value))
        return epochs, values


class RunStore:
    """The runs of one project folder, oldest first."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @classmethod
    def for_project(cls, project_path: Path | None, project_name: str) -> RunStore:
        """`<folder of the project file>/runs`; an unsaved project keeps its runs in the
        user's data folder under its name, until it is saved somewhere."""
        if project_path is not None:
            return cls(Path(project_path).parent / RUNS_FOLDER)
        return cls(default_runs_dir() / _safe_name(project_name))

    def create(self, *, name: str, data: str, settings: dict[str, Any],
               graph: dict[str, Any], now: datetime | None = None) -> Run:
        """Make the folder of a new run and write its settings.json."""
        now = now or datetime.now()
        stamp = now.strftime("%Y-%m-%d_%H-%M-%S")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            folder = self.root / stamp
            suffix = 1
            while True:
                try:
                    folder.mkdir()
                    break
                except FileExistsError:
                    suffix += 1
                    folder = self.root / f"{stamp}-{suffix}"
        except OSError as error:
            raise RunError(f"cannot create a run folder in {self.root}: "
                           f"{error.strerror or error}") from None
        run = Run(folder, name, now.isoformat(timespec="seconds"), data, dict(settings),
                  dict(graph))
        _write_json(folder / SETTINGS_FILE, {
            "format": RUN_FORMAT, "name": name, "created": run.created, "data": data,
            "settings": run.settings, "graph": run.graph,
        })
        self.save(run)
        return run

    def save(self, run: Run) -> None:
        """Rewrite the run's history.json and metrics.csv (atomically)."""
        if run.status not in STATUSES:
            raise RunError(f"run {run.id}: status {run.status!r} is not one of "
                           f"{', '.join(STATUSES)}")
        _write_json(run.folder / HISTORY_FILE, {
            "format": RUN_FORMAT, "status": run.status, "message": run.message,
            "history": run.history, "result": run.result,
        })
        try:
            write_atomic(run.folder / METRICS_FILE, metrics_csv([run], with_run=False))
        except OSError as error:
            raise RunError(f"cannot write {run.folder / METRICS_FILE}: "
                           f"{error.strerror or error}") from None

    def runs(self) -> list[Run]:
        """Every readable run, oldest first; folders that are not runs are skipped."""
        if not self.root.is_dir():
            return []
        found = []
        for folder in sorted(self.root.iterdir()):
            if (folder / SETTINGS_FILE).is_file():
                try:
                    found.append(self.load(folder))
                except RunError:
                    continue  # a half-deleted or foreign folder must not hide the others
        return found

    @staticmethod
    def load(folder: Path) -> Run:
        """Read one run folder; RunError names the file and field on a problem."""
        folder = Path(folder)
        head = _read_json(folder / SETTINGS_FILE)
        tail = _read_json(folder / HISTORY_FILE)
        where = folder / SETTINGS_FILE
        run = Run(folder, _field(head, "name", str, where), _field(head, "created", str, where),
                  _field(head, "data", str, where), _field(head, "settings", dict, where),
                  _field(head, "graph", dict, where))
        where = folder / HISTORY_FILE
        run.status = _field(tail, "status", str, where)
        if run.status not in STATUSES:
            raise RunError(f"{where}: field 'status' is {run.status!r}")
        run.message = _field(tail, "message", str, where)
        run.history = _field(tail, "history", list, where)
        run.result = _field(tail, "result", dict, where)
        for index, entry in enumerate(run.history):
            if not isinstance(entry, dict) or not isinstance(entry.get("epoch"), int):
                raise RunError(f"{where}: history entry {index} has no whole 'epoch'")
        return run

    @staticmethod
    def delete(run: Run) -> None:
        shutil.rmtree(run.folder, ignore_errors=True)


def default_runs_dir() -> Path:
    """$DLSTUDIO_RUNS_DIR, else $XDG_DATA_HOME/dlstudio/runs, else ~/.local/share/..."""
    if os.environ.get("DLSTUDIO_RUNS_DIR"):
        return Path(os.environ["DLSTUDIO_RUNS_DIR"])
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "dlstudio" / RUNS_FOLDER


def metrics_csv(runs: Iterable[Run], *, with_run: bool = True) -> str:
    """One row per epoch of each run: epoch, train_<metric>, val_<metric>, lr, seconds,
    samples_per_second (and the run id first when `with_run`). Missing values are empty."""
    runs = list(runs)
    keys: dict[str, None] = {}
    for run in runs:
        keys.update(dict.fromkeys(run.metric_keys()))
    metric_columns = [f"{split}_{key}" for split in SPLITS for key in keys]
    header = (["run"] if with_run else []) + ["epoch", *metric_columns, *EXTRA_COLUMNS]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for run in runs:
        for entry in run.history:
            row: list[Any] = [run.id] if with_run else []
            row.append(entry["epoch"])
            row += [_cell((entry.get(split) or {}).get(key)) for split in SPLITS for key in keys]
            row += [_cell(entry.get(name)) for name in EXTRA_COLUMNS]
            writer.writerow(row)
    return out.getvalue()


def write_metrics_csv(path: Path, runs: Iterable[Run]) -> None:
    """Export the epoch metrics of `runs` to one CSV file (atomically)."""
    try:
        write_atomic(path, metrics_csv(runs))
    except OSError as error:
        raise RunError(f"cannot write {path}: {error.strerror or error}") from None


def _cell(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ""
    return repr(float(value)) if isinstance(value, float) else str(value)


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "untitled"


def _json_safe(value: Any) -> Any:
    """NaN and infinities (a diverged loss) become null: JSON has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _write_json(path: Path, data: dict[str, Any]) -> None:
    try:
        write_atomic(path, json.dumps(_json_safe(data), indent=1, allow_nan=False) + "\n")
    except (OSError, TypeError, ValueError) as error:
        raise RunError(f"cannot write {path}: {error}") from None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise RunError(f"cannot read {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise RunError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise RunError(f"{path}: expected a JSON object")
    if data.get("format") != RUN_FORMAT:
        raise RunError(f"{path}: field 'format' is {data.get('format')!r}; this DL Studio "
                       f"reads run format {RUN_FORMAT}")
    return data


def _field(data: dict[str, Any], key: str, kind: type, where: Path) -> Any:
    if key not in data:
        raise RunError(f"{where}: field {key!r} is missing")
    value = data[key]
    if not isinstance(value, kind):
        raise RunError(f"{where}: field {key!r} should be a {kind.__name__}")
    return value
