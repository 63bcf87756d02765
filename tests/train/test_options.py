"""Every optimizer, schedule and loss runs; regularisation, clipping, early stopping,
frozen BatchNorm and per-step outputs do what they say."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from dlstudio.data import DataBundle, DataInfo, DataSplit, load_data
from dlstudio.data.pipeline import BatchPipeline
from dlstudio.graph import Graph
from dlstudio.graph.templates import build_template
from dlstudio.train import Trainer, TrainSettings, load_checkpoint
from dlstudio.train.optim import LrSchedule
from dlstudio.train.settings import OPTIMIZERS, SCHEDULES


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_each_optimizer_trains(optimizer: str, small_digits: DataBundle, mlp,
                               settings: Callable[..., TrainSettings]) -> None:
    lr = {"sgd": 0.1, "adagrad": 0.05}.get(optimizer, 0.005)
    result = Trainer(mlp(), small_digits, settings(optimizer=optimizer, lr=lr, epochs=3,
                                                   weight_decay=1e-4, nesterov=True)).run()
    assert result.history[-1].train["loss"] < result.history[0].train["loss"]


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_each_schedule_runs(schedule: str, small_digits: DataBundle, mlp,
                            settings: Callable[..., TrainSettings]) -> None:
    result = Trainer(mlp(), small_digits, settings(schedule=schedule, warmup_epochs=1,
                                                   step_size=1)).run()
    assert len(result.history) == 2 and result.history[0].lr > 0


@pytest.mark.parametrize(("template", "data", "loss"), [
    ("mlp", "builtin:digits28", "cross_entropy"),
    ("xor", "builtin:xor", "binary_cross_entropy"),
    ("linear-regression", "builtin:linear", "mse"),
    ("linear-regression", "builtin:linear", "l1"),
    ("linear-regression", "builtin:linear", "huber"),
])
def test_each_loss_trains(template: str, data: str, loss: str,
                          settings: Callable[..., TrainSettings]) -> None:
    bundle = load_data(data)
    result = Trainer(build_template(template), bundle,
                     settings(loss=loss, epochs=1, label_smoothing=0.1)).run()
    assert result.history[0].train["loss"] > 0
    assert ("accuracy" in result.final) == (loss in ("cross_entropy", "binary_cross_entropy"))


def _schedule(**changes: object) -> LrSchedule:
    base = {"lr": 1.0, "epochs": 10, "device": "cpu"}
    return LrSchedule(TrainSettings(**{**base, **changes}), steps_per_epoch=10, minimize=True)


def test_schedule_shapes() -> None:
    warm = _schedule(warmup_epochs=2)
    assert [warm.lr_at(s) for s in (0, 9, 19, 20, 99)] == pytest.approx(
        [0.05, 0.5, 1.0, 1.0, 1.0])
    step = _schedule(schedule="step", step_size=3, gamma=0.5)
    assert [step.lr_at(s) for s in (0, 29, 30, 60)] == pytest.approx([1.0, 1.0, 0.5, 0.25])
    cosine = _schedule(schedule="cosine")
    assert cosine.lr_at(0) == pytest.approx(1.0)
    assert cosine.lr_at(50) == pytest.approx(0.5)
    assert cosine.lr_at(100) == pytest.approx(0.0, abs=1e-12)
    cycle = _schedule(schedule="onecycle")
    assert cycle.lr_at(0) == pytest.approx(1 / 25)
    assert cycle.lr_at(30) == pytest.approx(1.0)  # the peak, 30 % in
    assert cycle.lr_at(100) == pytest.approx(1 / 25 / 1e4)


def test_plateau_cuts_the_rate_after_its_patience() -> None:
    plateau = _schedule(schedule="plateau", plateau_patience=2, gamma=0.1)
    cuts = [plateau.epoch_ended(v) for v in (1.0, 0.9, 0.95, 0.93, 0.8)]
    assert cuts == [False, False, False, True, False]
    assert plateau.lr_at(0) == pytest.approx(0.1)
    saved = plateau.state_dict()
    fresh = _schedule(schedule="plateau", plateau_patience=2, gamma=0.1)
    fresh.load_state_dict(saved)
    assert fresh.lr_at(5) == plateau.lr_at(5) and fresh.best == 0.8


def test_l1_shrinks_weights(small_digits: DataBundle, mlp,
                            settings: Callable[..., TrainSettings]) -> None:
    def weight_sum(l1: float) -> float:
        trainer = Trainer(mlp(), small_digits, settings(l1=l1, epochs=3))
        trainer.run()
        return float(trainer.model.fc1.weight.detach().abs().sum())

    assert weight_sum(1e-2) < 0.6 * weight_sum(0.0)


def test_gradient_clipping_bounds_each_step(small_digits: DataBundle, mlp,
                                            settings: Callable[..., TrainSettings]) -> None:
    trainer = Trainer(mlp(), small_digits, settings(optimizer="sgd", momentum=0.0, lr=1.0,
                                                    grad_clip=1e-4, epochs=1))
    before = torch.cat([p.detach().flatten().clone() for p in trainer.model.parameters()])
    trainer.run()
    after = torch.cat([p.detach().flatten() for p in trainer.model.parameters()])
    steps = -(-400 // 32)
    assert float((after - before).norm()) <= steps * 1e-4 * 1.001


def test_early_stopping_restores_the_best_weights(
        digits: DataBundle, shrink, mlp, settings: Callable[..., TrainSettings],
        tmp_path) -> None:
    data = shrink(digits, 40, 200)  # 40 samples: it overfits within a few epochs
    trainer = Trainer(mlp(hidden=256), data, settings(
        epochs=60, lr=0.02, batch_size=8, early_stopping=True, patience=2),
        out_dir=tmp_path)
    result = trainer.run()
    losses = [s.val["loss"] for s in result.history]
    best = losses.index(min(losses)) + 1
    assert result.early_stopped and result.best_epoch == best
    assert len(result.history) == best + 2
    assert result.final == result.history[best - 1].val
    assert result.checkpoint == str(tmp_path / "best.pt")
    saved = load_checkpoint(tmp_path / "best.pt")
    assert saved.epoch == best
    for key, value in trainer.model.state_dict().items():
        assert torch.equal(value, saved.model_state[key]), key


def test_frozen_batchnorm_stays_in_inference_mode(
        small_digits: DataBundle, mlp, settings: Callable[..., TrainSettings]) -> None:
    for frozen in (True, False):
        trainer = Trainer(mlp(batchnorm=True, frozen_bn=frozen), small_digits, settings())
        modes: set[bool] = set()

        def record(module: torch.nn.Module, args: object, out: object,
                   seen: set[bool] = modes) -> None:
            if torch.is_grad_enabled():  # training steps, not evaluation
                seen.add(module.training)

        trainer.model.bn.register_forward_hook(record)
        trainer.run()
        assert modes == {not frozen}
        untouched = torch.equal(trainer.model.bn.running_mean, torch.zeros(32))
        assert untouched == frozen


def test_a_per_step_classifier_trains_on_sequences_of_targets(
        settings: Callable[..., TrainSettings]) -> None:
    steps, classes = 6, 5
    x = torch.randint(0, classes, (300, steps), generator=torch.Generator().manual_seed(0))
    y = (x + 1) % classes  # each step's target: the next class id
    info = DataInfo(name="shifted", kind="tokens", task="classification",
                    input_shape=(steps,), target_shape=(steps,),
                    class_names=tuple("abcde"))
    data = DataBundle(info, DataSplit(x[:240], y[:240], BatchPipeline("tokens")),
                      DataSplit(x[240:], y[240:], BatchPipeline("tokens")))
    g = Graph()
    nodes = [g.add_node("Input", name="tokens", params={"kind": "tokens", "shape": (steps,)}),
             g.add_node("Embedding", name="embed", params={"vocab_size": classes, "dim": 8}),
             g.add_node("LSTM", name="lstm", params={"units": 16, "return_sequences": True}),
             g.add_node("Dense", name="head", params={"units": classes}),
             g.add_node("Softmax", name="softmax"),
             g.add_node("Output", name="output", params={"loss": "cross_entropy"})]
    for src, dst in zip(nodes, nodes[1:], strict=False):
        g.connect(src.id, dst.id)
    result = Trainer(g, data, settings(epochs=8, lr=0.03)).run()
    assert result.final["accuracy"] > 0.9
    assert sum(map(sum, result.history[-1].confusion)) == 60 * steps
