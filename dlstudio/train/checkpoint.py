"""Self-contained checkpoints: graph, settings, data facts, weights, optimizer and run state.

Everything that is not a tensor is stored as JSON text, so `torch.load(weights_only=True)`
reads the file and nothing in it can run code. Files are written to a temporary file
beside the target and renamed over it, so a crash or a stop never leaves half a file.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from dlstudio.atomic import atomic_file
from dlstudio.compile import CompileError, GraphModule, compile_graph
from dlstudio.data import DataError, DataInfo, check_fits
from dlstudio.graph import Graph, GraphError
from dlstudio.graph.errors import ProjectError
from dlstudio.graph.project_text import refuse_lone_surrogates
from dlstudio.train.events import EpochStats
from dlstudio.train.settings import TrainSettings, TrainSettingsError
from dlstudio.weights.torch_file import TorchFileError, first_line, load_tensors_only

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
        except (CompileError, RuntimeError, TypeError, ValueError, KeyError,
                AttributeError) as error:
            raise CheckpointError(f"{self.path}: the weights do not fit the graph stored "
                                  f"with them: {' '.join(str(error).split())[:400]}") from None
        self._check_data_facts(model)
        return model.eval()

    def _check_data_facts(self, model: GraphModule) -> None:
        """Prediction shapes its input by the data facts: they must fit the (first) Input,
        as training checked, or the model fails on its first sample."""
        name, shape = model.input_names[0], tuple(model.input_shapes[0])
        kinds = {node.name: node.params.get("kind") for node in self.graph.nodes_of_type("Input")}
        try:
            check_fits(self.data_info, shape, input_name=name, input_kind=kinds.get(name))
        except DataError as error:
            raise CheckpointError(f"{self.path}: field 'data_info' does not fit the graph "
                                  f"stored with it: {error}") from None


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
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(target) as stream:
        torch.save(contents, stream)


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint with `weights_only=True`; CheckpointError names what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no checkpoint file there")
    try:
        raw = load_tensors_only(path)
    except TorchFileError as error:
        raise CheckpointError(f"{path}: " + error.message(
            "a DL Studio checkpoint", "tensors and plain values")) from None
    if not isinstance(raw, dict) or not _equal(raw.get("format"), FORMAT):
        raise CheckpointError(f"{path}: not a DL Studio checkpoint (no 'format' field "
                              f"{FORMAT!r}); a plain state_dict cannot be trained or "
                              "predicted with alone")
    if not _equal(raw.get("version"), VERSION):
        raise CheckpointError(f"{path}: checkpoint version {_short(raw.get('version'))} is not "
                              f"supported (this DL Studio reads version {VERSION})")
    reader = _Reader(path, raw)
    try:
        return Checkpoint(
            graph=Graph.from_dict(reader.json("graph", dict)),
            settings=TrainSettings.from_dict(reader.json("settings", dict)),
            data_info=DataInfo.from_dict(reader.json("data_info", dict)),
            model_state=reader.tensors("model_state"),
            optimizer_state=reader.optimizer_state(),
            history=[EpochStats.from_dict(item) for item in reader.json("history", list)],
            epoch=reader.count("epoch"),
            metrics={k: math.nan if v is None else float(v)
                     for k, v in reader.json("metrics", dict).items()},
            schedule_state=reader.schedule_state(),
            rng_state=reader.rng_state(),
            path=path,
        )
    except CheckpointError:
        raise
    except (GraphError, DataError, TrainSettingsError) as error:
        raise CheckpointError(f"{path}: field {reader.current!r}: {error}") from None
    except Exception as error:  # noqa: BLE001 - a damaged field, whatever breaks on it
        raise CheckpointError(f"{path}: field {reader.current!r} is malformed "
                              f"({type(error).__name__}: {first_line(error)})") from None


def _equal(value: Any, expected: str | int) -> bool:
    """`value == expected` for plain values only: a tensor there has no one truth value."""
    return type(value) is type(expected) and value == expected


def _short(value: Any) -> str:
    return repr(value)[:40] if isinstance(value, (str, int, float, type(None))) \
        else f"of type {type(value).__name__}"


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
        """The field's JSON text parsed: strict (no NaN or infinity, as written), at most
        `MAX_DEPTH` deep, every string valid Unicode; CheckpointError names the field."""
        text = self.field(name, str)
        try:
            value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
        except json.JSONDecodeError as error:
            raise CheckpointError(f"{self.path}: field {name!r} is not valid JSON "
                                  f"({error.msg})") from None
        except RecursionError:
            raise CheckpointError(f"{self.path}: field {name!r} is nested too deeply "
                                  f"(more than {MAX_DEPTH} levels)") from None
        except ValueError as error:  # NaN, infinity, an integer of thousands of digits
            raise CheckpointError(f"{self.path}: field {name!r}: {error}") from None
        if not isinstance(value, kind):
            raise CheckpointError(f"{self.path}: field {name!r} should hold a JSON "
                                  f"{'object' if kind is dict else 'list'}, not "
                                  f"{_json_kind(value)}")
        problem = _json_problem(value)
        if problem:
            raise CheckpointError(f"{self.path}: field {name!r} {problem}")
        return value

    def count(self, name: str) -> int:
        value = self.field(name, int)
        if value < 0:
            raise CheckpointError(f"{self.path}: field {name!r} is {value}, below 0")
        return value

    def tensors(self, name: str) -> dict[str, torch.Tensor]:
        state = self.field(name, dict)
        for key, value in state.items():
            if not isinstance(key, str) or not isinstance(value, torch.Tensor):
                raise CheckpointError(f"{self.path}: field {name!r}: entry {key!r} is a "
                                      f"{type(value).__name__}, not a tensor")
        return state

    def optimizer_state(self) -> dict[str, Any]:
        """Empty (an imported model's) or the layout `Optimizer.load_state_dict` reads;
        the values inside are checked by torch when a run resumes."""
        state = self.field("optimizer_state", dict)
        groups = state.get("param_groups")
        if state and not (isinstance(state.get("state"), dict) and isinstance(groups, list)
                          and all(isinstance(g, dict) and isinstance(g.get("params"), list)
                                  and all(type(i) is int for i in g["params"])
                                  for g in groups)):
            raise CheckpointError(f"{self.path}: field 'optimizer_state' is not an "
                                  "optimizer's state ('state' and 'param_groups' with "
                                  "'params' numbers)")
        return state

    def schedule_state(self) -> dict[str, Any]:
        """Empty or the learning-rate schedule's factor, best value and bad epochs."""
        state = self.json("schedule_state", dict)
        number = (int, float)
        if state and not (
                isinstance(state.get("factor"), number) and not isinstance(state["factor"], bool)
                and (state.get("best") is None or isinstance(state["best"], number))
                and type(state.get("bad_epochs")) is int and state["bad_epochs"] >= 0):
            raise CheckpointError(f"{self.path}: field 'schedule_state' should hold 'factor' "
                                  "(a number), 'best' (a number or null) and 'bad_epochs' "
                                  "(a count)")
        return state

    def rng_state(self) -> dict[str, Any]:
        """The random states, checked as `restore_rng` will use them."""
        state = self.field("rng_state", dict)
        values = [state[k] for k in ("torch", "generator") if k in state]
        cuda = state.get("cuda", [])
        if not isinstance(cuda, list) or not all(
                isinstance(v, torch.Tensor) and v.dtype == torch.uint8 and v.dim() == 1
                for v in [*values, *cuda]):
            raise CheckpointError(f"{self.path}: field 'rng_state' does not hold random "
                                  "generator states (byte tensors)")
        return state


MAX_DEPTH = 64  # far deeper than any graph or settings DL Studio writes


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number DL Studio writes")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is too large")
    return value


def _json_kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false",
            type(None): "null"}.get(type(value), "a number")


def _json_problem(value: Any) -> str:
    """What makes parsed JSON unusable (too deep, a lone surrogate in a string), or ""."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"is nested too deeply (more than {MAX_DEPTH} levels)"
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    try:  # the project files' check: one encode at C speed, a walk only to name the place
        refuse_lone_surrogates(value)
    except ProjectError as error:
        where = f" at {error.field}" if error.field else ""
        return f"holds text that is not valid Unicode (a lone surrogate){where}"
    return ""
