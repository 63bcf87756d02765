"""The learning-rate range test on real data: the 8×8 digits and a small MLP, on the CPU.
The suggestion must lie in the tried range and train well; the model and the random
state must come back exactly as they were; a rate run up too far stops the test early."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from dlstudio.data import DataBundle
from dlstudio.graph.templates import build_template
from dlstudio.train import Trainer, TrainSettings, defaults_for_template
from dlstudio.train.lr_finder import NO_FALL, STEEPEST, find_lr, lr_find, suggestions
from dlstudio.train.preflight import load_training_data

from .conftest import MakeGraph


def _settings(**changes: object) -> TrainSettings:
    values: dict[str, object] = dict(data="builtin:digits", device="cpu", batch_size=32,
                                     optimizer="adam")
    return replace(TrainSettings(), **{**values, **changes})  # type: ignore[arg-type]


def test_suggestion_lies_in_range_and_trains_well(mlp: MakeGraph,
                                                  small_digits: DataBundle) -> None:
    result = lr_find(mlp(), small_digits, _settings(), batches=60)
    assert len(result.rates) == len(result.losses) == 60
    assert result.rates[0] == pytest.approx(1e-7) and result.rates[-1] == pytest.approx(10.0)
    assert 1e-7 <= result.suggestion <= 10.0 and 1e-8 <= result.min_rate <= 1.0
    assert result.how == STEEPEST
    assert all(b > a for a, b in zip(result.rates, result.rates[1:], strict=False))
    # a short run at the suggested rate lowers the loss clearly
    trainer = Trainer(mlp(), small_digits, _settings(lr=result.suggestion, epochs=3))
    history = trainer.run().history
    assert history[-1].train["loss"] < 0.8 * history[0].train["loss"]
    assert history[-1].train["loss"] < math.log(10)


def test_model_and_random_state_are_restored_exactly(mlp: MakeGraph,
                                                     small_digits: DataBundle) -> None:
    settings = _settings()
    trainer = Trainer(mlp(dropout=0.3), small_digits, settings)
    model = trainer.model
    model.eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    rng = torch.get_rng_state()
    result = find_lr(model, trainer.data, settings, graph=trainer.graph, batches=30)
    assert len(result.rates) >= 10  # it trained, so the weights did move meanwhile
    after = model.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not model.training
    assert torch.equal(torch.get_rng_state(), rng)
    # the same test twice gives the same curve (seeded order and weights)
    again = find_lr(model, trainer.data, settings, graph=trainer.graph, batches=30)
    assert again.losses == result.losses


def test_a_rate_run_up_too_far_stops_early() -> None:
    """A line fitted by SGD: past a rate of about 1 every step overshoots further."""
    settings = replace(defaults_for_template("linear-regression"), device="cpu")
    graph = build_template("linear-regression")
    result = lr_find(graph, load_training_data(graph, settings), settings, batches=200,
                     start_lr=1e-3, end_lr=1e4)
    assert result.stopped_early and len(result.rates) < 200
    assert "diverged" in result.stop_reason or "became" in result.stop_reason
    assert result.losses[-1] > 4 * min(result.losses) or not math.isfinite(result.raw_losses[-1])
    assert 1e-3 <= result.suggestion < result.rates[-1] < 1e4


def test_suggestion_is_the_steepest_fall_before_the_minimum() -> None:
    rates = [10.0 ** (i - 6) for i in range(8)]
    losses = [2.0, 2.0, 1.9, 1.2, 1.0, 0.9, 3.0, 9.0]
    steepest, lowest, how = suggestions(rates, losses)
    assert steepest == rates[3] and lowest == pytest.approx(rates[5] / 10)
    assert how == STEEPEST
    # a loss that only rises: no fall to point at, the lowest point is suggested
    flat = suggestions(rates, [1.0, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6])
    assert flat == (rates[0], pytest.approx(rates[0] / 10), NO_FALL)


@pytest.mark.parametrize("batches, start, end", [(1, 1e-7, 10.0), (50, 0.0, 1.0),
                                                 (50, 1.0, 0.1)])
def test_bad_ranges_are_refused(mlp: MakeGraph, small_digits: DataBundle, batches: int,
                                start: float, end: float) -> None:
    with pytest.raises(ValueError):
        lr_find(mlp(), small_digits, _settings(), batches=batches, start_lr=start,
                end_lr=end)
