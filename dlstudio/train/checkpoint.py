"""Self-contained checkpoints: graph, settings, data facts, weights, optimizer and run state.

Everything that is not a tensor is stored as JSON text, so `torch.load(weights_only=True)`
reads the file and nothing in it can run code. Files are written to a temporary file
beside the target and renamed over it, so a crash or a stop never leaves half a file.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import pickle
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from dlstudio.atomic import TEMP_SUFFIX
from dlstudio.compile import CompileError, GraphModule, compile_graph
from dlstudio.data import DataError, DataInfo
from dlstudio.graph import Graph, GraphError
from dlstudio.train.events import EpochStats
from dlstudio.train.settings import TrainSettings, TrainSettingsError

FORMAT = "dlstudio.checkpoint"
VERSION = 1
_JSON_FIELDS = ("graph", "settings", "data_info", "history", "metrics", "schedule_state")


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or used; the message names the file and field."""


@dataclass
class Checkpoint:
    """A loaded checkpoint. `epoch` is the number of finished epochs it holds;
    `rng_state` holds the random generators' states for an exact resume."""

    graph: Graph
    settings: TrainSettings
    data_info: DataInfo
    model_state: dict[str, torch.Tensor]
    optimizer_state: dict[str, Any]
    history: list[EpochStats]
    epoch: int
    metrics: dict[str, float] = field(default_factory=dict)
    schedule_state: dict[str, Any] = field(default_factory=dict)
    rng_state: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def build_model(self) -> GraphModule:
        """The trained model on the CPU, in eval mode."""
        try:
            model = compile_graph(self.graph)
            model.load_state_dict(self.model_state)
        except (CompileError, RuntimeError) as error:
            raise CheckpointError(f"{self.path}: the weights do not fit the graph stored "
                                  f"with them: {error}") from error
        return model.eval()


def save_checkpoint(path: str | os.PathLike[str], *, graph: Graph, settings: TrainSettings,
                    data_info: DataInfo, model_state: dict[str, torch.Tensor],
                    optimizer_state: dict[str, Any], history: list[EpochStats], epoch: int,
                    metrics: dict[str, float] | None = None,
                    schedule_state: dict[str, Any] | None = None,
                    rng_state: dict[str, Any] | None = None) -> None:
    """Write a checkpoint to `path` atomically: the old file stays until the new one is
    complete on disk."""
    payload = {
        "format": FORMAT, "version": VERSION, "epoch": int(epoch),
        "graph": graph.to_dict(), "settings": settings.to_dict(),
        "data_info": data_info.to_dict(), "history": [s.to_dict() for s in history],
        "metrics": {k: v if math.isfinite(v) else None for k, v in (metrics or {}).items()},
        "schedule_state": dict(schedule_state or {}),
    }
    contents: dict[str, Any] = {key: (json.dumps(value, allow_nan=False, default=_plain)
                                      if key in _JSON_FIELDS else value)
                                for key, value in payload.items()}
    contents.update(model_state=model_state, optimizer_state=optimizer_state,
                    rng_state=dict(rng_state or {}))
    _save_atomic(contents, Path(path))


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} cannot be stored in a checkpoint")


def _save_atomic(contents: dict[str, Any], target: Path) -> None:
    target = Path(os.path.realpath(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX,
                                             dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            torch.save(contents, stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o644)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint with `weights_only=True`; CheckpointError names what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no checkpoint file there")
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, zipfile.BadZipFile, EOFError, RuntimeError, KeyError,
            IndexError, ValueError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise CheckpointError(f"{path}: not a DL Studio checkpoint, or damaged "
                              f"({type(error).__name__}: {first_line[:200]})") from None
    except OSError as error:
        raise CheckpointError(f"{path}: cannot read it: {error.strerror or error}") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a DL Studio checkpoint (no 'format' field "
                              f"{FORMAT!r}); a plain state_dict cannot be trained or "
                              "predicted with alone")
    if raw.get("version") != VERSION:
        raise CheckpointError(f"{path}: checkpoint version {raw.get('version')!r} is not "
                              f"supported (this DL Studio reads version {VERSION})")
    reader = _Reader(path, raw)
    try:
        return Checkpoint(
            graph=Graph.from_dict(reader.json("graph", dict)),
            settings=TrainSettings.from_dict(reader.json("settings", dict)),
            data_info=DataInfo.from_dict(reader.json("data_info", dict)),
            model_state=reader.field("model_state", dict),
            optimizer_state=reader.field("optimizer_state", dict),
            history=[EpochStats.from_dict(item) for item in reader.json("history", list)],
            epoch=reader.field("epoch", int),
            metrics={k: math.nan if v is None else float(v)
                     for k, v in reader.json("metrics", dict).items()},
            schedule_state=reader.json("schedule_state", dict),
            rng_state=reader.field("rng_state", dict),
            path=path,
        )
    except CheckpointError:
        raise
    except (GraphError, DataError, TrainSettingsError) as error:
        raise CheckpointError(f"{path}: field {reader.current!r}: {error}") from None
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: field {reader.current!r} is malformed: "
                              f"{error}") from None


class _Reader:
    """Field access that remembers which field it is on, for the error message."""

    def __init__(self, path: Path, raw: dict[str, Any]) -> None:
        self.path, self.raw, self.current = path, raw, ""

    def field(self, name: str, kind: type) -> Any:
        self.current = name
        if name not in self.raw:
            raise CheckpointError(f"{self.path}: field {name!r} is missing")
        value = self.raw[name]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise CheckpointError(f"{self.path}: field {name!r} should be a "
                                  f"{kind.__name__}, not {type(value).__name__}")
        return value

    def json(self, name: str, kind: type) -> Any:
        text = self.field(name, str)
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            raise CheckpointError(f"{self.path}: field {name!r} is not valid JSON "
                                  f"({error.msg})") from None
        if not isinstance(value, kind):
            raise CheckpointError(f"{self.path}: field {name!r} should hold a JSON "
                                  f"{'object' if kind is dict else 'list'}")
        return value
