"""Training health checks on real runs over the 8×8 digits: each sign shows on the run
that has it, with its fixes, once, and a healthy run shows none; the rules themselves on
hand-made epochs; the signs survive history.json and the checkpoint."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from dlstudio.data import DataBundle, load_data
from dlstudio.graph import Graph
from dlstudio.graph.templates import build_template
from dlstudio.train import (
    EpochStats,
    Trainer,
    TrainSettings,
    defaults_for_template,
    load_checkpoint,
)
from dlstudio.train.dead_units import fired_units
from dlstudio.train.health import HealthWatch, new_signs
from dlstudio.train.health_signs import (
    ADD_DROPOUT,
    DEAD_RELU,
    EARLY_STOPPING,
    EXPLODING_GRADIENTS,
    HALVE_LR,
    INSERT_BATCHNORM,
    LOSS_FLAT,
    LOSS_JUMPS,
    OVERFITTING,
    USE_LEAKY_RELU,
    VANISHING_GRADIENTS,
)


def _deep(activation: str, depth: int, units: int = 32, batchnorm: int = 0) -> Graph:
    """1×8×8 -> Flatten -> depth × (Dense units [-> BatchNorm1d] -> activation) -> Dense 10
    -> Softmax; the first `batchnorm` Dense layers are followed by a BatchNorm1d."""
    g = Graph()
    nodes = [g.add_node("Input", name="image", params={"kind": "image", "shape": (1, 8, 8)}),
             g.add_node("Flatten", name="flatten")]
    for i in range(1, depth + 1):
        nodes.append(g.add_node("Dense", name=f"fc{i}", params={"units": units}))
        if i <= batchnorm:
            nodes.append(g.add_node("BatchNorm1d", name=f"bn{i}"))
        nodes.append(g.add_node(activation, name=f"act{i}"))
    nodes += [g.add_node("Dense", name="out", params={"units": 10}),
              g.add_node("Softmax", name="softmax"),
              g.add_node("Output", name="output", params={"loss": "cross_entropy"})]
    for src, dst in zip(nodes, nodes[1:], strict=False):
        g.connect(src.id, dst.id)
    return g


def _train(graph: Graph, data: DataBundle, prepare: Callable[[Any], None] | None = None,
           out: Path | None = None, **changes: Any) -> list[EpochStats]:
    settings = {"epochs": 2, "batch_size": 32, "lr": 0.01, "device": "cpu", **changes}
    trainer = Trainer(graph, data, TrainSettings(**settings), out_dir=out)
    if prepare is not None:
        prepare(trainer.model)
    return trainer.run().history


def _kinds(stats: EpochStats) -> set[tuple[str, str]]:
    return {(sign.kind, sign.node) for sign in stats.health}


def test_a_deep_sigmoid_stack_shows_vanishing_gradients(
        digits: DataBundle, shrink: Callable[..., DataBundle]) -> None:
    history = _train(_deep("Sigmoid", 8), shrink(digits, 200, 50), lr=1e-3)
    first, last = history
    vanishing = {s.node: s for s in first.health if s.kind == VANISHING_GRADIENTS}
    assert {"fc1", "fc2", "fc3"} <= set(vanishing) and not {"fc8", "out"} & set(vanishing)
    assert all(s.fixes == (INSERT_BATCHNORM,) and s.epoch == 1 for s in vanishing.values())
    assert "vanishing gradients" in vanishing["fc1"].message
    # the sign stays, unchanged, while it holds; only the first epoch prints it
    assert {s for s in last.health if s.kind == VANISHING_GRADIENTS} == set(vanishing.values())
    assert new_signs(last) == [] and set(new_signs(first)) == set(first.health)
    assert not any(s.kind == LOSS_FLAT for s in last.health)  # vanishing explains it


def test_inserted_batchnorm_layers_are_not_judged_for_vanishing_gradients(
        digits: DataBundle, shrink: Callable[..., DataBundle]) -> None:
    """After Insert BatchNorm on the first five Dense layers of the deep Sigmoid stack,
    the BatchNorm scales' own gradients are tiny beside their weights (a scale near 1):
    they were flagged as vanishing, on the very layers the fix added. They are not judged
    now, nor do they hide a real sign: the stack without them is flagged as before."""
    history = _train(_deep("Sigmoid", 8, batchnorm=5), shrink(digits, 200, 50), lr=1e-3)
    stats = history[0].layer_stats
    assert all(stats[f"bn{i}"]["grad_norm"] / stats[f"bn{i}"]["weight_norm"]
               < 1e-3 * stats["out"]["grad_norm"] / stats["out"]["weight_norm"]
               for i in range(1, 6))  # what used to be called vanishing
    assert not {node for epoch in history for _, node in _kinds(epoch)
                if node.startswith("bn")}
    # by epoch 2 the normalised layers fall behind the three bare Sigmoid layers after
    # them: said so, with no fix offered (Insert BatchNorm is already done there)
    vanishing = [s for s in history[1].health if s.kind == VANISHING_GRADIENTS]
    assert vanishing and {s.node for s in vanishing} <= {f"fc{i}" for i in range(1, 6)}
    for sign in vanishing:
        assert sign.fixes == () and f"already feeds bn{sign.node[2:]}" in sign.message
        assert "(first fc6, which has none)" in sign.message


def test_a_very_negative_bias_kills_the_relus(
        digits: DataBundle, shrink: Callable[..., DataBundle], mlp: Callable[..., Graph]) -> None:
    def negative_bias(model: Any) -> None:
        with torch.no_grad():
            model.fc1.bias.fill_(-20.0)

    history = _train(mlp(), shrink(digits, 200, 50), negative_bias)
    for stats in history:
        assert stats.dead_units == {"relu": 1.0}
        # fc1 gets no gradient through the dead units: that is the dead ReLU, not fc1
        assert _kinds(stats) == {(DEAD_RELU, "relu")}
        sign = stats.health[0]
        assert sign.fixes == (USE_LEAKY_RELU,) and sign.epoch == 1
        assert sign.message.startswith("100% of its units gave 0")


def test_a_huge_learning_rate_kills_relus_and_makes_the_loss_jump(
        digits: DataBundle, shrink: Callable[..., DataBundle], mlp: Callable[..., Graph]) -> None:
    first, *_ = _train(mlp(), shrink(digits, 400, 100), lr=1.0)
    assert first.dead_units["relu"] >= 0.9
    assert (DEAD_RELU, "relu") in _kinds(first)
    jump = next(s for s in first.health if s.kind == LOSS_JUMPS)
    assert jump.node == "" and jump.fixes == (HALVE_LR,)
    assert jump.message == first.warning  # the runaway warning, said once
    assert "learning rate may be too high" in jump.message
    assert all(s.kind != LOSS_JUMPS for s in new_signs(first))  # the epoch line has it


def test_a_rate_far_too_low_leaves_the_loss_flat(
        digits: DataBundle, shrink: Callable[..., DataBundle], mlp: Callable[..., Graph]) -> None:
    history = _train(mlp(), shrink(digits, 300, 50), lr=1e-5, optimizer="sgd", epochs=3)
    assert [s.health for s in history[:2]] == [(), ()]  # too early to tell
    (flat,) = history[2].health
    assert (flat.kind, flat.node, flat.epoch, flat.fixes) == (LOSS_FLAT, "", 3, ())
    assert "learning-rate finder" in flat.message


def test_a_big_net_on_a_tiny_training_set_overfits(
        digits: DataBundle, shrink: Callable[..., DataBundle], mlp: Callable[..., Graph],
        tmp_path: Path) -> None:
    history = _train(mlp(hidden=256), shrink(digits, 30, 270), out=tmp_path, epochs=8,
                     batch_size=10)
    signs = [s for stats in history for s in stats.health if s.kind == OVERFITTING]
    assert signs, [(h.train["loss"], h.val["loss"]) for h in history]
    sign = signs[0]
    assert sign.node == "relu" and sign.fixes == (ADD_DROPOUT, EARLY_STOPPING)
    assert "overfitting" in sign.message and all(s == sign for s in signs)
    assert history[sign.epoch - 1].val["loss"] > min(h.val["loss"] for h in history)
    # the signs go to history.json and the checkpoint as they were
    saved = json.loads((tmp_path / "history.json").read_text(encoding="utf-8"))
    assert [EpochStats.from_dict(e) for e in saved["epochs"]] == history
    assert load_checkpoint(tmp_path / "last.pt").history == history
    # resumed, the run carries its sign on with the epoch it first appeared at
    settings = TrainSettings(epochs=10, batch_size=10, lr=0.01, device="cpu")
    resumed = Trainer(mlp(hidden=256), shrink(digits, 30, 270), settings, out_dir=tmp_path,
                      resume_from=tmp_path / "last.pt").run().history
    assert resumed[:8] == history
    assert [s for stats in resumed[8:] for s in stats.health] == [sign, sign]


def test_overfitting_with_early_stopping_on_offers_only_dropout(
        digits: DataBundle, shrink: Callable[..., DataBundle], mlp: Callable[..., Graph]) -> None:
    history = _train(mlp(hidden=256), shrink(digits, 30, 270), epochs=8, batch_size=10,
                     early_stopping=True, patience=20)
    sign = next(s for stats in history for s in stats.health if s.kind == OVERFITTING)
    assert sign.fixes == (ADD_DROPOUT,)


@pytest.fixture(scope="module")
def digits28() -> DataBundle:
    return load_data("builtin:digits28", seed=0)


@pytest.mark.parametrize("template", ["mlp", "cnn-small"])
def test_the_templates_train_healthily(template: str, digits28: DataBundle,
                                       shrink: Callable[..., DataBundle]) -> None:
    history = _train(build_template(template), shrink(digits28, 600, 150), epochs=3,
                     batch_size=64, lr=1e-3)
    assert history[-1].train["loss"] < 0.5 * history[0].train["loss"]
    assert [stats.health for stats in history] == [()] * 3
    assert all(0 <= f < 0.9 for stats in history for f in stats.dead_units.values())


# ----- the rules on hand-made epochs -----------------------------------------------------
def _graph() -> Graph:
    g = Graph()
    nodes = [g.add_node("Input", name="features", params={"kind": "vector", "shape": (4,)}),
             g.add_node("Dense", name="fc1", params={"units": 4}),
             g.add_node("ReLU", name="relu"),
             g.add_node("Dense", name="fc2", params={"units": 1}),
             g.add_node("Output", name="output", params={"loss": "mse"})]
    for src, dst in zip(nodes, nodes[1:], strict=False):
        g.connect(src.id, dst.id)
    return g


def _epoch(epoch: int, loss: float, val: float | None = None,
           grads: tuple[float, float] = (0.1, 0.5)) -> EpochStats:
    layers = {"fc1": {"weight_norm": 1.0, "grad_norm": grads[0]},
              "fc2": {"weight_norm": 1.0, "grad_norm": grads[1]}}
    return EpochStats(epoch, 20, {"loss": loss}, {} if val is None else {"loss": val},
                      1e-3, 1.0, 100.0, 1.0, layer_stats=layers)


def _feed(watch: HealthWatch, epochs: list[EpochStats],
          batches: list[float] | None = None) -> list[EpochStats]:
    done: list[EpochStats] = []
    for stats in epochs:
        signs = watch.check(stats, done, batches or [stats.train["loss"]] * 4, 2.0)
        done.append(EpochStats.from_dict({**stats.to_dict(),
                                          "health": [s.to_dict() for s in signs]}))
    return done


def test_a_loss_that_rises_is_a_jump_until_it_is_back_down() -> None:
    watch = HealthWatch(_graph(), ["fc1", "fc2"], early_stopping=False)
    losses = [1.5, 1.0, 0.8, 1.3, 1.2, 0.85, 0.8, 1.4]
    history = _feed(watch, [_epoch(i + 1, loss) for i, loss in enumerate(losses)])
    jumps = [[s.epoch for s in h.health if s.kind == LOSS_JUMPS] for h in history]
    assert jumps == [[], [], [], [4], [4], [], [], [8]]
    assert history[3].health[0].message == ("training loss rose from 0.8 to 1.3: the "
                                            "learning rate is probably too high")
    # a small rise near the end is no jump: 0.010 -> 0.014 of a loss that began at 2
    calm = HealthWatch(_graph(), ["fc1", "fc2"], early_stopping=False)
    assert _feed(calm, [_epoch(1, 0.5), _epoch(2, 0.010), _epoch(3, 0.014)])[-1].health == ()


def test_wild_batch_swings_are_a_jump_and_an_erratic_flat_loss_is_halved() -> None:
    watch = HealthWatch(_graph(), ["fc1", "fc2"], early_stopping=False)
    swinging = _feed(watch, [_epoch(1, 1.5)], batches=[0.3, 3.1, 0.4, 2.9])[0]
    (sign,) = swinging.health
    assert sign.kind == LOSS_JUMPS and "swings between 0.3 and 3.1" in sign.message
    flat = HealthWatch(_graph(), ["fc1", "fc2"], early_stopping=False)
    history = _feed(flat, [_epoch(i, 1.98) for i in (1, 2, 3)], batches=[1.4, 2.6, 1.5, 2.4])
    (sign,) = history[-1].health
    assert (sign.kind, sign.fixes) == (LOSS_FLAT, (HALVE_LR,))


def test_gradients_that_grow_tenfold_each_epoch_explode() -> None:
    watch = HealthWatch(_graph(), ["fc1", "fc2"], early_stopping=False)
    history = _feed(watch, [_epoch(1, 1.0, grads=(0.2, 0.5)), _epoch(2, 0.9, grads=(3.0, 0.5)),
                            _epoch(3, 0.8, grads=(40.0, 0.5)),
                            _epoch(4, 0.7, grads=(300.0, 2e5))])
    assert [_kinds(h) for h in history[:2]] == [set(), set()]
    (sign,) = history[2].health
    assert (sign.kind, sign.node, sign.fixes) == (EXPLODING_GRADIENTS, "fc1",
                                                  (HALVE_LR, INSERT_BATCHNORM))
    assert "grew from 0.2 to 40 in two epochs" in sign.message
    # a huge gradient on the last layer: no BatchNorm after the output layer
    last = next(s for s in history[3].health if s.node == "fc2")
    assert last.kind == EXPLODING_GRADIENTS and last.fixes == (HALVE_LR,)


def test_a_rate_far_too_high_on_a_regression_explodes_the_gradients() -> None:
    settings = TrainSettings.from_dict({**defaults_for_template("linear-regression").to_dict(),
                                        "epochs": 3, "lr": 3.0, "device": "cpu"})
    first, *rest = Trainer(build_template("linear-regression"),
                           load_data("builtin:linear", seed=0), settings).run().history
    exploding, jump = first.health
    assert (exploding.kind, exploding.node, exploding.epoch) == (EXPLODING_GRADIENTS,
                                                                 "linear", 1)
    assert exploding.fixes == (HALVE_LR,)  # no BatchNorm after the output layer
    assert "is huge" in exploding.message
    assert jump.kind == LOSS_JUMPS and jump.message == first.warning
    assert all(later.health == first.health for later in rest)


def test_a_resumed_run_keeps_its_signs_and_their_epochs() -> None:
    watch = HealthWatch(_graph(), ["fc1", "fc2"], early_stopping=True)
    history = _feed(watch, [_epoch(1, 1.0, 1.0), _epoch(2, 0.8, 1.1), _epoch(3, 0.6, 1.2)])
    (sign,) = history[-1].health
    assert (sign.kind, sign.node, sign.epoch, sign.fixes) == (OVERFITTING, "relu", 3,
                                                              (ADD_DROPOUT,))
    resumed = HealthWatch(_graph(), ["fc1", "fc2"], early_stopping=True)
    resumed.resume(history)
    assert resumed.check(_epoch(4, 0.5, 1.3), history, [0.5] * 4, None) == (sign,)


def test_old_epochs_without_signs_still_load() -> None:
    data = _epoch(1, 1.0).to_dict()
    assert "health" not in data and "dead_units" not in data
    assert EpochStats.from_dict(data).health == ()


def test_a_unit_is_a_feature_or_a_channel() -> None:
    vectors = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    assert fired_units(vectors).tolist() == [False, True, True]
    maps = torch.zeros(2, 3, 4, 4)
    maps[1, 2, 3, 0] = 0.5  # one position of one sample is enough for channel 2
    assert fired_units(maps).tolist() == [False, False, True]
