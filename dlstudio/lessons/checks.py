"""The checks a lesson step may carry: data, so a teacher writes them in the lesson file.

A check is a JSON object with one key, its kind: `{"hidden_layer": true}`,
`{"run_metric": {"name": "val_accuracy", "at_least": 0.97}}`. Each kind validates its
argument (naming the field at fault), evaluates it against a LessonState, and describes
itself in a line for the docs and the panel. `CHECKS` is the whole vocabulary; the
format is documented in docs/lessons/README.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from dlstudio.lessons.conditions import (
    check_condition,
    check_count,
    check_object,
    describe_condition,
    holds,
    is_number,
)
from dlstudio.lessons.errors import LessonError, join
from dlstudio.lessons.graph_checks import (
    describe_graph_has,
    graph_has,
    has_hidden_layer,
    validate_graph_has,
)
from dlstudio.lessons.state import LessonState, metric_values
from dlstudio.runs import Run
from dlstudio.train.settings import AUGMENT_PREFIX, MONITORS, TrainSettings

AUGMENTATIONS = ("shift", "rotation", "scale", "noise", "flip_horizontal", "flip_vertical",
                 "crop")
SETTING_NAMES = tuple(f.name for f in fields(TrainSettings) if f.name != "augment") + tuple(
    AUGMENT_PREFIX + name for name in AUGMENTATIONS)
GRAPH_KINDS = ("graph_has", "hidden_layer", "all", "any")  # may filter a run's graph


@dataclass(frozen=True)
class CheckKind:
    validate: Callable[[Any, str], None]
    passes: Callable[[Any, LessonState], bool]
    describe: Callable[[Any], str]


# ----- validating the parts -----------------------------------------------------------------
def _bool(value: Any, where: str) -> None:
    if not isinstance(value, bool):
        raise LessonError(f"must be true or false, not {value!r}", where)


def _settings(value: Any, where: str) -> None:
    if not isinstance(value, dict) or not value:
        raise LessonError("must be an object of setting names and conditions", where)
    for name, condition in value.items():
        if name not in SETTING_NAMES:
            raise LessonError(f"{name!r} is not a training setting; known: "
                              + ", ".join(SETTING_NAMES), join(where, name))
        check_condition(condition, join(where, name))


def _metric(value: Any, where: str) -> None:
    if value not in MONITORS:
        raise LessonError(f"{value!r} is not a metric; use one of " + ", ".join(MONITORS),
                          where)


# ----- runs ------------------------------------------------------------------------------------
RUN_FILTER_KEYS = ("settings", "graph", "min_epochs", "finished")


def _validate_where(arg: Any, where: str) -> None:
    check_object(arg, where, RUN_FILTER_KEYS)
    if "settings" in arg:
        _settings(arg["settings"], join(where, "settings"))
    if "graph" in arg:
        validate_check(arg["graph"], join(where, "graph"), GRAPH_KINDS)
    if "min_epochs" in arg:
        check_count(arg["min_epochs"], join(where, "min_epochs"))
    if "finished" in arg:
        _bool(arg["finished"], join(where, "finished"))


def matching_runs(where: dict[str, Any] | None, state: LessonState) -> list[Run]:
    """The lesson's runs that meet a run filter (settings, graph, epochs, finished)."""
    where = where or {}
    runs = []
    for run in state.counted_runs():
        if where.get("finished") and run.status != "finished":
            continue
        if len(run.history) < where.get("min_epochs", 0):
            continue
        if not all(holds(c, run.settings.get(k)) for k, c in where.get("settings", {}).items()):
            continue
        if "graph" in where:
            graph = state.run_graph(run)
            if graph is None or not passes(where["graph"], LessonState(graph)):
                continue
        runs.append(run)
    return runs


def _describe_where(where: dict[str, Any] | None) -> str:
    if not where:
        return ""
    parts = []
    if "settings" in where:
        parts.append(", ".join(f"{k} {describe_condition(c)}" for k, c in
                               where["settings"].items()))
    if "graph" in where:
        text = describe(where["graph"])
        parts.append("a network that " + text.removeprefix("the network ")
                     if text.startswith("the network ") else text)
    if "min_epochs" in where:
        parts.append(f"at least {where['min_epochs']} epochs")
    return ", with " + "; ".join(parts) if parts else ""


def _validate_run_finished(arg: Any, where: str) -> None:
    if arg is not True:
        _validate_where(arg, where)


def _run_finished(arg: Any, state: LessonState) -> bool:
    where = {} if arg is True else dict(arg)
    where["finished"] = True
    return bool(matching_runs(where, state))


def _validate_run_metric(arg: Any, where: str) -> None:
    check_object(arg, where, ("name", "at_least", "at_most", "of", "where"), ("name",))
    _metric(arg["name"], join(where, "name"))
    if "at_least" not in arg and "at_most" not in arg:
        raise LessonError("needs at_least or at_most", where)
    for key in ("at_least", "at_most"):
        if key in arg and not is_number(arg[key]):
            raise LessonError(f"must be a number, not {arg[key]!r}", join(where, key))
    if arg.get("of", "best") not in ("best", "last"):
        raise LessonError("must be best (any epoch) or last (the last epoch)", join(where, "of"))
    if "where" in arg:
        _validate_where(arg["where"], join(where, "where"))


def _run_metric(arg: dict[str, Any], state: LessonState) -> bool:
    condition = {k: arg[k] for k in ("at_least", "at_most") if k in arg}
    for run in matching_runs(arg.get("where"), state):
        values = metric_values(run, arg["name"])
        if arg.get("of", "best") == "last":
            values = values[-1:]
        if any(holds(condition, value) for value in values):
            return True
    return False


def _describe_run_metric(arg: dict[str, Any]) -> str:
    condition = describe_condition({k: arg[k] for k in ("at_least", "at_most") if k in arg})
    when = "at its last epoch" if arg.get("of") == "last" else "in some epoch"
    return f"a run reached {arg['name']} {condition} {when}" + _describe_where(arg.get("where"))


def _validate_distinct(arg: Any, where: str) -> None:
    check_object(arg, where, ("setting", "count", "where"), ("setting", "count"))
    if arg["setting"] not in SETTING_NAMES:
        raise LessonError(f"{arg['setting']!r} is not a training setting",
                          join(where, "setting"))
    check_count(arg["count"], join(where, "count"))
    if "where" in arg:
        _validate_where(arg["where"], join(where, "where"))


def _distinct(arg: dict[str, Any], state: LessonState) -> bool:
    where = {"finished": True, **arg.get("where", {})}
    values = {repr(run.settings.get(arg["setting"])) for run in matching_runs(where, state)}
    return len(values) >= arg["count"]


def _validate_weights(arg: Any, where: str) -> None:
    check_object(arg, where, ("node", "values", "within"), ("node", "values", "within"))
    if not isinstance(arg["node"], str):
        raise LessonError("must be a layer's name", join(where, "node"))
    values = arg["values"]
    if not isinstance(values, dict) or not values or not all(
            isinstance(k, str) and is_number(v) for k, v in values.items()):
        raise LessonError('must map tensor names to numbers, e.g. {"weight": 3.0}',
                          join(where, "values"))
    if not is_number(arg["within"]) or arg["within"] <= 0:
        raise LessonError("must be a number > 0", join(where, "within"))


def _weights(arg: dict[str, Any], state: LessonState) -> bool:
    if state.read_weights is None:
        return False
    for run in reversed(matching_runs({"finished": True}, state)):
        tensors = state.read_weights(run)
        found = [tensors.get(f"{arg['node']}.{name}") for name in arg["values"]]
        if all(f is not None and len(f) == 1 for f in found):
            return all(abs(f[0] - wanted) <= arg["within"]  # type: ignore[index]
                       for f, wanted in zip(found, arg["values"].values(), strict=True))
    return False


def _validate_gap(arg: Any, where: str) -> None:
    check_object(arg, where, ("metric", "at_least", "at_most", "where"), ("metric",))
    if arg["metric"] not in ("loss", "accuracy"):
        raise LessonError("must be loss or accuracy", join(where, "metric"))
    if "at_least" not in arg and "at_most" not in arg:
        raise LessonError("needs at_least or at_most", where)
    for key in ("at_least", "at_most"):
        if key in arg and not is_number(arg[key]):
            raise LessonError("must be a number", join(where, key))
    if "where" in arg:
        _validate_where(arg["where"], join(where, "where"))


def _gap(arg: dict[str, Any], state: LessonState) -> bool:
    """How far training beats validation at the last epoch of a finished run (for the
    loss: how much lower the training loss is) meets at_least / at_most."""
    condition = {k: arg[k] for k in ("at_least", "at_most") if k in arg}
    for run in matching_runs({"finished": True, **arg.get("where", {})}, state):
        train = metric_values(run, "train_" + arg["metric"])
        val = metric_values(run, "val_" + arg["metric"])
        if train and val:
            gap = val[-1] - train[-1] if arg["metric"] == "loss" else train[-1] - val[-1]
            if holds(condition, gap):
                return True
    return False


def _describe_gap(arg: dict[str, Any]) -> str:
    condition = describe_condition({k: arg[k] for k in ("at_least", "at_most") if k in arg})
    return (f"a finished run's training {arg['metric']} beat its validation {arg['metric']} "
            f"by {condition} at the last epoch" + _describe_where(arg.get("where")))


def _validate_list(arg: Any, where: str, allowed: tuple[str, ...] | None = None) -> None:
    if not isinstance(arg, list) or not arg:
        raise LessonError("must be a list of checks", where)
    for index, item in enumerate(arg):
        validate_check(item, join(where, index), allowed)


# ----- the vocabulary ----------------------------------------------------------------------------
CHECKS: dict[str, CheckKind] = {
    "graph_has": CheckKind(validate_graph_has, lambda a, s: graph_has(a, s.graph),
                           describe_graph_has),
    "hidden_layer": CheckKind(
        _bool, lambda a, s: has_hidden_layer(s.graph) is a,
        lambda a: "the network has a hidden layer (a non-linear activation between two "
                  "layers with weights)" if a else "the network has no hidden layer"),
    "setting": CheckKind(
        _settings, lambda a, s: all(holds(c, s.settings.get(k)) for k, c in a.items()),
        lambda a: "the training settings have " + ", ".join(
            f"{k} {describe_condition(c)}" for k, c in a.items())),
    "data": CheckKind(check_condition, lambda a, s: holds(a, s.settings.get("data")),
                      lambda a: f"the data is {describe_condition(a).removeprefix('= ')}"),
    "run_finished": CheckKind(_validate_run_finished, _run_finished,
                              lambda a: "a training run finished"
                              + _describe_where(None if a is True else a)),
    "run_metric": CheckKind(_validate_run_metric, _run_metric, _describe_run_metric),
    "runs_with_distinct": CheckKind(
        _validate_distinct, _distinct,
        lambda a: f"finished runs with {a['count']} different values of {a['setting']}"
                  + _describe_where(a.get("where"))),
    "trained_weights": CheckKind(
        _validate_weights, _weights,
        lambda a: f"the last finished run's {a['node']} has " + ", ".join(
            f"{k} ≈ {v:g}" for k, v in a["values"].items()) + f" (± {a['within']:g})"),
    "generalisation_gap": CheckKind(_validate_gap, _gap, _describe_gap),
    "early_stopped": CheckKind(
        _bool, lambda a, s: any(bool(r.result.get("early_stopped")) is a
                                for r in matching_runs({"finished": True}, s)),
        lambda a: "a run was ended by early stopping" if a
        else "a run finished without early stopping"),
    "all": CheckKind(_validate_list, lambda a, s: all(passes(c, s) for c in a),
                     lambda a: _describe_all([describe(c) for c in a])),
    "any": CheckKind(_validate_list, lambda a, s: any(passes(c, s) for c in a),
                     lambda a: "either " + ", or ".join(describe(c) for c in a)),
}


def _describe_all(parts: list[str]) -> str:
    """'the network has A, B and C' rather than the network three times."""
    lead = "the network has "
    if len(parts) > 1 and all(part.startswith(lead) for part in parts):
        parts = [parts[0]] + [part[len(lead):] for part in parts[1:]]
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]


def validate_check(check: Any, where: str, allowed: tuple[str, ...] | None = None) -> None:
    """Refuse a check that is not one known kind with a valid argument."""
    if not isinstance(check, dict) or len(check) != 1:
        raise LessonError("a check is an object with one key, its kind: "
                          + ", ".join(allowed or CHECKS), where)
    (kind, arg), = check.items()
    if kind not in CHECKS or (allowed is not None and kind not in allowed):
        raise LessonError(f"{kind!r} is not a check{' here' if kind in CHECKS else ''}; use "
                          + ", ".join(allowed or CHECKS), where)
    if kind in ("all", "any"):
        _validate_list(arg, join(where, kind), allowed)
    else:
        CHECKS[kind].validate(arg, join(where, kind))


def passes(check: dict[str, Any], state: LessonState) -> bool:
    """Whether a validated check holds in `state`."""
    (kind, arg), = check.items()
    return bool(CHECKS[kind].passes(arg, state))


def describe(check: dict[str, Any]) -> str:
    """One line: what must be true for the check to pass."""
    (kind, arg), = check.items()
    return CHECKS[kind].describe(arg)


def check_kinds(check: dict[str, Any]) -> list[str]:
    """Every kind a check uses, nested ones included (tests check each is known)."""
    (kind, arg), = check.items()
    kinds = [kind]
    if kind in ("all", "any"):
        for item in arg:
            kinds += check_kinds(item)
    elif isinstance(arg, dict):
        for key in ("where",):
            if isinstance(arg.get(key), dict) and "graph" in arg[key]:
                kinds += check_kinds(arg[key]["graph"])
        if kind == "run_finished" and "graph" in arg:
            kinds += check_kinds(arg["graph"])
    return kinds
