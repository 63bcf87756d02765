"""Checks against real graphs (templates, the lessons' own project files) and real runs
(trained by the Trainer into a RunStore, read back from its files)."""

from __future__ import annotations

import pytest

from dlstudio.graph.project import load_project
from dlstudio.graph.templates import build_template
from dlstudio.graph.templates.builder import Builder
from dlstudio.lessons import (
    LESSONS_DIR,
    LessonState,
    checkpoint_weights,
    describe,
    passes,
    runs_since,
    validate_check,
)
from dlstudio.lessons.progress import progress
from dlstudio.runs import RunStore
from dlstudio.train import TrainSettings, defaults_for_template


def _check(check, state):
    validate_check(check, "check")
    return passes(check, state)


@pytest.mark.parametrize(("graph", "hidden"), [
    (build_template("xor"), True), (build_template("mlp"), True),
    (build_template("cnn-small"), True), (build_template("linear-regression"), False),
    (build_template("logistic-regression"), False),
    (load_project(LESSONS_DIR / "xor-no-hidden-layer.dlstudio").graph, False),
])
def test_hidden_layer_on_real_graphs(graph, hidden):
    assert _check({"hidden_layer": True}, LessonState(graph)) is hidden
    assert _check({"hidden_layer": False}, LessonState(graph)) is not hidden


def test_two_dense_layers_without_an_activation_are_no_hidden_layer():
    b = Builder()
    b.add("Input", "features", kind="vector", shape=(2,))
    b.add("Dense", "fc_a", units=8)
    b.add("Dense", "fc_b", units=1)
    b.add("Sigmoid", "sig")
    b.add("Output", "output", loss="binary_cross_entropy")
    assert not _check({"hidden_layer": True}, LessonState(b.graph))
    tanh = b.graph.add_node("Tanh").id  # a + tanh + b: now it bends
    a, second = b.graph.node_by_name("fc_a").id, b.graph.node_by_name("fc_b").id
    b.graph.disconnect(b.graph.edge_into(second, "in").id)
    b.graph.connect(a, tanh)
    assert not _check({"hidden_layer": True}, LessonState(b.graph))  # tanh leads nowhere
    b.graph.connect(tanh, second)
    assert _check({"hidden_layer": True}, LessonState(b.graph))


def test_graph_has_counts_and_parameters():
    vgg = LessonState(load_project(LESSONS_DIR / "vgg16-transfer-32.dlstudio").graph)
    frozen = {"type": "Conv2d", "min_count": 13, "params": {"trainable": False}}
    assert _check({"graph_has": frozen}, vgg)
    assert not _check({"graph_has": {**frozen, "params": {"trainable": True}}}, vgg)
    compact = LessonState(build_template("cnn-compact"))
    assert _check({"graph_has": {"type": "Dropout", "params": {"rate": {"at_least": 0.5}}}},
                  compact)
    assert not _check({"graph_has": {"type": "Dense", "min_count": 2}}, compact)
    assert _check({"graph_has": {"type": "Conv2d", "min_count": 2, "max_count": 2}}, compact)
    assert describe({"graph_has": {"type": "Dense", "min_count": 2}}) == (
        "the network has at least 2 Dense layers")


def test_settings_and_data_conditions():
    settings = TrainSettings(optimizer="sgd", lr=0.01, data="builtin:xor",
                             augment={"shift": 0.1}).to_dict()
    state = LessonState(build_template("xor"), settings)
    assert _check({"setting": {"optimizer": "sgd", "lr": {"at_most": 0.01}}}, state)
    assert not _check({"setting": {"optimizer": {"one_of": ["adam", "rmsprop"]}}}, state)
    assert _check({"setting": {"augment.shift": {"at_least": 0.05}}}, state)
    assert _check({"setting": {"early_stopping": False}}, state)
    assert _check({"data": "builtin:xor"}, state)
    assert not _check({"data": {"not": "builtin:xor"}}, state)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, train_run):
    """A lesson's worth of real runs in one store."""
    store = RunStore(tmp_path_factory.mktemp("runs"))
    linear = defaults_for_template("linear-regression")
    xor = defaults_for_template("xor").to_dict()
    no_hidden = load_project(LESSONS_DIR / "xor-no-hidden-layer.dlstudio").graph
    mlp = {**defaults_for_template("mlp").to_dict(), "val_fraction": 0.9}
    made = {
        "linear": train_run(store, build_template("linear-regression"), linear),
        "xor": train_run(store, build_template("xor"), TrainSettings.from_dict(xor)),
        "no_hidden": train_run(store, no_hidden, TrainSettings.from_dict({**xor, "epochs": 5})),
        "sgd": train_run(store, no_hidden, TrainSettings.from_dict(
            {**xor, "epochs": 2, "optimizer": "sgd"})),
        "rmsprop": train_run(store, no_hidden, TrainSettings.from_dict(
            {**xor, "epochs": 2, "optimizer": "rmsprop"})),
        "early": train_run(store, build_template("mlp"), TrainSettings.from_dict(
            {**mlp, "epochs": 25, "early_stopping": True, "patience": 1})),
    }
    return store, made


def _state(store, *, since="", weights=True):
    return LessonState(build_template("xor"), {}, runs_since(store.runs(), since),
                       checkpoint_weights if weights else None)


def test_trained_weights_read_w_and_b_in_the_datas_units(runs):
    store, _ = runs
    state = _state(store)
    near = {"trained_weights": {"node": "linear", "values": {"weight": 3.0, "bias": 0.5},
                                "within": 0.15}}
    assert _check(near, state)
    assert not _check({"trained_weights": {**near["trained_weights"], "within": 1e-6}},
                      state)
    assert not _check(near, _state(store, weights=False))
    line = progress(near, state)
    assert line.startswith("Last finished run: linear has weight = ")
    weight = float(line.split("weight = ")[1].split(",")[0])
    assert abs(weight - 3.0) <= 0.15


def test_run_metrics_filtered_by_the_runs_graph_and_settings(runs):
    store, made = runs
    state = _state(store)
    solved = {"run_metric": {"name": "val_accuracy", "at_least": 0.95,
                             "where": {"graph": {"hidden_layer": True}}}}
    assert _check(solved, state)
    unsolved = {"run_metric": {"name": "val_accuracy", "at_least": 0.95,
                               "where": {"graph": {"hidden_layer": False}}}}
    assert not _check(unsolved, state)
    assert _check({"run_finished": {"graph": {"hidden_layer": False}}}, state)
    assert _check({"run_finished": {"settings": {"optimizer": "rmsprop"}}}, state)
    assert not _check({"run_finished": {"settings": {"optimizer": "adamw"}}}, state)
    best = max(made["xor"].series("val", "accuracy")[1])
    assert progress(solved, state) == f"Best val_accuracy so far: {best:.4g}."


def test_runs_with_distinct_optimizers(runs):
    store, _ = runs
    state = _state(store)
    assert _check({"runs_with_distinct": {"setting": "optimizer", "count": 3}}, state)
    assert not _check({"runs_with_distinct": {"setting": "optimizer", "count": 4}}, state)
    only_sgd = {"settings": {"optimizer": "sgd"}}
    assert not _check({"runs_with_distinct": {"setting": "optimizer", "count": 2,
                                              "where": only_sgd}}, state)


def test_early_stopping_and_the_generalisation_gap(runs):
    store, made = runs
    assert made["early"].result["early_stopped"] is True
    assert len(made["early"].history) < 25
    early_only = LessonState(build_template("mlp"), {}, [made["early"]])
    assert _check({"early_stopped": True}, early_only)
    train = made["early"].series("train", "accuracy")[1][-1]
    val = made["early"].series("val", "accuracy")[1][-1]
    gap = train - val
    assert _check({"generalisation_gap": {"metric": "accuracy", "at_least": gap - 1e-9}},
                  early_only)
    assert not _check({"generalisation_gap": {"metric": "accuracy", "at_least": gap + 1e-6}},
                      early_only)
    assert _check({"generalisation_gap": {"metric": "accuracy", "at_most": gap + 1e-6}},
                  early_only)


def test_only_runs_since_the_lesson_began_count(runs):
    store, _ = runs
    later = "9999-01-01T00:00:00"
    state = _state(store, since=later)
    assert state.runs == []
    assert not _check({"run_finished": True}, state)
    assert _check({"run_finished": True}, _state(store))


def test_all_and_any_combine(runs):
    store, _ = runs
    state = _state(store)
    yes, no = {"run_finished": True}, {"early_stopped": False}
    no_state = LessonState(build_template("xor"), {}, [])
    assert _check({"any": [no, yes]}, state)
    assert _check({"all": [yes, {"hidden_layer": True}]}, state)
    assert not _check({"all": [yes, {"hidden_layer": True}]}, no_state)
