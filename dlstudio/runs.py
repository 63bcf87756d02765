"""Every training run kept on disk: its settings, graph, data and epoch history.

A project's runs live beside its file: `name.dlstudio` and `name.runs/<timestamp>/`
(settings.json written when a run starts, history.json and metrics.csv rewritten after
every epoch, the trainer's checkpoints under checkpoints/). Paths inside a run are kept
relative to its folder, so moving the file and its runs folder together moves
everything. An unsaved project keeps its runs in the user's data folder until its first
save moves them (`RunStore.adopt`); the previous version's shared `<folder>/runs/` is
still read. No Qt and no torch here: the dashboard, the CLI and tests read the same files.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from dlstudio.atomic import write_atomic
from dlstudio.run_files import (
    RUN_FORMAT,
    RunError,
    best_epoch,
    json_field,
    read_run_json,
    write_run_json,
)

RUNS_FOLDER = "runs"  # the user data folder's; also the shared folder of version 1 projects
RUNS_SUFFIX = ".runs"  # name.dlstudio keeps its runs in name.runs/
SETTINGS_FILE = "settings.json"
HISTORY_FILE = "history.json"
METRICS_FILE = "metrics.csv"
CHECKPOINT_FOLDER = "checkpoints"
EPOCH_CHECKPOINT = re.compile(r"epoch-(\d{4,})\.pt")  # the trainer's kept epochs
STATUSES = ("running", "finished", "stopped", "failed")
SPLITS = ("train", "val")
EXTRA_COLUMNS = ("lr", "seconds", "samples_per_second")


@dataclass
class Run:
    """One training run. `history` holds one JSON-safe dict per epoch with `epoch`,
    `train` and `val` (metric name -> value), `lr`, `seconds`, `samples_per_second`
    and `layer_stats`; `result` the final facts (best epoch, checkpoint, device, and
    `test`: the final weights on the test split, see `RunResult.to_dict`)."""

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
    def checkpoint(self) -> Path | None:
        """The weights the run ended with: `result['checkpoint']`, which is stored
        relative to the run folder. An absolute path (written by the previous version)
        that no longer exists, or that points into the folder a copied run came from,
        gives way to the file of the same name in this run's checkpoints/."""
        value = self.result.get("checkpoint")
        if not isinstance(value, str) or not value:
            return None
        path = Path(value)
        if not path.is_absolute():
            return self.folder / path
        local = self.checkpoint_dir / path.name
        if (path.parent.name == CHECKPOINT_FOLDER and not path.is_relative_to(self.folder)
                and local.is_file()):
            return local
        return path

    def epoch_checkpoints(self) -> dict[int, Path]:
        """Epoch -> the file holding that epoch's weights, oldest first: the epochs kept by
        `checkpoint_every` (checkpoints/epoch-0003.pt), the best epoch (best.pt, as the
        trainer's checkpoints/history.json names it) and the newest epoch of the history
        (last.pt). Empty for a run that kept no weights; an old run may have only last.pt."""
        found: dict[int, Path] = {}
        folder = self.checkpoint_dir
        try:
            names = [entry.name for entry in os.scandir(folder) if entry.is_file()]
        except OSError:
            return found
        for name in names:
            match = EPOCH_CHECKPOINT.fullmatch(name)
            if match:
                found[int(match.group(1))] = folder / name
        if self.history and "last.pt" in names:
            found.setdefault(int(self.history[-1]["epoch"]), folder / "last.pt")
        best = best_epoch(folder / HISTORY_FILE)
        if best is not None and "best.pt" in names:
            found.setdefault(best, folder / "best.pt")
        return dict(sorted(found.items()))

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

    def test_metrics(self) -> dict[str, float]:
        """The final weights' metrics on the test split, measured when the run ended
        (`result['test']`); empty when the data had no test split or the run stopped."""
        test = self.result.get("test")
        metrics = test.get("metrics") if isinstance(test, dict) else None
        if not isinstance(metrics, dict):
            return {}
        return {str(k): float(v) for k, v in metrics.items()
                if isinstance(v, (int, float)) and not isinstance(v, bool)}

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
    """The runs of one project, oldest first. New runs go to `root`. `name`: only the
    runs of that project are listed (a folder shared by several projects). `legacy`:
    another store whose runs are listed too, read in place (a version 1 project's
    `<folder>/runs/`)."""

    def __init__(self, root: Path, *, name: str | None = None,
                 legacy: RunStore | None = None) -> None:
        self.root = Path(root)
        self.name = name
        self.legacy = legacy

    @classmethod
    def for_project(cls, project_path: Path | None, project_name: str) -> RunStore:
        """`name.runs/` beside `name.dlstudio`, also listing the runs of this project in
        the `runs/` folder that the previous version shared between the projects of a
        folder. An unsaved project keeps its runs in the user's data folder under its
        name, until its first save."""
        if project_path is not None:
            path = Path(project_path)
            legacy = cls(path.parent / RUNS_FOLDER, name=project_name)
            return cls(runs_folder(path), legacy=legacy)
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
        write_run_json(folder / SETTINGS_FILE, {
            "format": RUN_FORMAT, "name": name, "created": run.created, "data": data,
            "settings": run.settings, "graph": run.graph,
        })
        self.save(run)
        return run

    def save(self, run: Run) -> None:
        """Rewrite the run's history.json and metrics.csv (atomically); a checkpoint
        inside the run folder is written relative to it."""
        if run.status not in STATUSES:
            raise RunError(f"run {run.id}: status {run.status!r} is not one of "
                           f"{', '.join(STATUSES)}")
        result = dict(run.result)
        checkpoint = run.checkpoint
        if checkpoint is not None and checkpoint.is_relative_to(run.folder):
            result["checkpoint"] = checkpoint.relative_to(run.folder).as_posix()
        write_run_json(run.folder / HISTORY_FILE, {
            "format": RUN_FORMAT, "status": run.status, "message": run.message,
            "history": run.history, "result": result,
        })
        try:
            write_atomic(run.folder / METRICS_FILE, metrics_csv([run], with_run=False))
        except OSError as error:
            raise RunError(f"cannot write {run.folder / METRICS_FILE}: "
                           f"{error.strerror or error}") from None

    def runs(self) -> list[Run]:
        """Every readable run (with the legacy store's), oldest first; folders that are
        not runs are skipped."""
        found = []
        if self.root.is_dir():
            for folder in sorted(self.root.iterdir()):
                if (folder / SETTINGS_FILE).is_file():
                    try:
                        run = self.load(folder)
                    except RunError:
                        continue  # a half-deleted or foreign folder must not hide the others
                    if self.name is None or run.name == self.name:
                        found.append(run)
        if self.legacy is not None and self.legacy.root != self.root:
            own = {run.id for run in found}  # a legacy run copied here is listed once
            found += [run for run in self.legacy.runs() if run.id not in own]
            found.sort(key=lambda run: (run.created, run.id))
        return found

    def adopt(self, other: RunStore, *, move: bool, skip: Iterable[str] = ()) -> list[Run]:
        """Bring the runs of `other` here: moved (an unsaved project's first save) or
        copied (Save As: the old project keeps its own). Runs of `other`'s legacy folder
        are always copied. `skip`: ids left where they are (a run still training).
        Every run is tried; RunError afterwards says which could not come."""
        skip = set(skip)
        taken: list[Run] = []
        problems: list[str] = []
        runs = [run for run in other.runs() if run.id not in skip]
        for run in runs:
            try:
                taken.append(self.take(run, move=move and run.folder.parent == other.root))
            except RunError as error:
                problems.append(str(error))
        if problems:
            raise RunError(f"{len(problems)} of {len(runs)} runs could not be "
                           f"{'moved' if move else 'copied'}: {problems[0]}")
        return taken

    def take(self, run: Run, *, move: bool) -> Run:
        """Move or copy one run folder into this store; the run as it is here. A run
        with the same id already here is the same run: it is kept, nothing is copied."""
        target = self.root / run.id
        if (target / SETTINGS_FILE).is_file():
            return self.load(target)
        verb = "move" if move else "copy"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            if move:
                try:
                    run.folder.rename(target)  # the same disk: one step
                except OSError:
                    _copy_folder(run.folder, target)
                    shutil.rmtree(run.folder, ignore_errors=True)  # the copy is whole
            else:
                _copy_folder(run.folder, target)
        except OSError as error:
            raise RunError(f"cannot {verb} the run {run.id} from {run.folder.parent} to "
                           f"{self.root}: {error.strerror or error}") from None
        taken = self.load(target)
        self.save(taken)  # a checkpoint path from the previous version becomes relative
        return taken

    @staticmethod
    def load(folder: Path) -> Run:
        """Read one run folder; RunError names the file and field on a problem."""
        folder = Path(folder)
        head = read_run_json(folder / SETTINGS_FILE)
        tail = read_run_json(folder / HISTORY_FILE)
        where = folder / SETTINGS_FILE
        run = Run(folder, json_field(head, "name", str, where),
                  json_field(head, "created", str, where),
                  json_field(head, "data", str, where),
                  json_field(head, "settings", dict, where),
                  json_field(head, "graph", dict, where))
        where = folder / HISTORY_FILE
        run.status = json_field(tail, "status", str, where)
        if run.status not in STATUSES:
            raise RunError(f"{where}: field 'status' is {run.status!r}")
        run.message = json_field(tail, "message", str, where)
        run.history = json_field(tail, "history", list, where)
        run.result = json_field(tail, "result", dict, where)
        for index, entry in enumerate(run.history):
            if not isinstance(entry, dict) or not isinstance(entry.get("epoch"), int):
                raise RunError(f"{where}: history entry {index} has no whole 'epoch'")
        return run

    @staticmethod
    def delete(run: Run) -> None:
        shutil.rmtree(run.folder, ignore_errors=True)


def runs_folder(project_path: Path) -> Path:
    """`name.runs` beside `name.dlstudio`."""
    project_path = Path(project_path)
    return project_path.with_name(project_path.stem + RUNS_SUFFIX)


def _copy_folder(source: Path, target: Path) -> None:
    """Copy to a hidden sibling first, then rename: a copy cut short leaves no run."""
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        shutil.copytree(source, partial)
        partial.rename(target)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
        raise


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
