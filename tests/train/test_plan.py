"""The pre-flight plan on real small models and the 8x8 digits, on the CPU: the memory
parts are memory.py's, the measured times are positive and scale with the batches, the
user's model and the random state are left alone, and the estimate for a short epoch
lies within a generous factor of a real epoch timed by the Trainer."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from dlstudio.data import DataBundle
from dlstudio.train import Trainer, TrainSettings
from dlstudio.train.control import RunControl
from dlstudio.train.memory import estimate_for, format_bytes
from dlstudio.train.plan import (
    PlanCancelled,
    format_duration,
    make_plan,
    measure_time,
    plan_memory,
)

from .conftest import MakeGraph


def _settings(**changes: object) -> TrainSettings:
    values: dict[str, object] = dict(data="builtin:digits", device="cpu", batch_size=32,
                                     epochs=3, optimizer="adam")
    return replace(TrainSettings(), **{**values, **changes})  # type: ignore[arg-type]


def test_memory_parts_are_memory_py_estimate(mlp: MakeGraph) -> None:
    settings = _settings(batch_size=64)
    plan = plan_memory(mlp(), settings)
    estimate = estimate_for(mlp(), settings)
    assert plan.memory == estimate
    assert plan.fits and plan.warning is None and plan.time is None
    assert plan.limit is not None and plan.limit > estimate.total
    line = plan.memory_line()
    assert line.startswith(f"one batch of 64 needs {format_bytes(estimate.total)} (weights ")
    assert f"Adam state {format_bytes(estimate.optimizer_bytes)}" in line
    assert f"activations {format_bytes(estimate.activation_bytes)}" in line
    # plain SGD keeps no state: the part is left out
    assert "momentum" not in plan_memory(mlp(), _settings(optimizer="sgd",
                                                          momentum=0.0)).memory_line()


def test_a_batch_that_cannot_fit_is_a_warning_and_is_not_timed(
        mlp: MakeGraph, small_digits: DataBundle) -> None:
    settings = _settings(memory_limit_gb=1e-6)  # 1 kB
    plan = make_plan(mlp(), small_digits, settings)
    assert not plan.fits and plan.time is None
    assert plan.warning is not None and "1.0 kB the memory limit setting allows" in plan.warning
    assert "warning: the model needs" in plan.summary()
    assert plan.to_dict()["fits"] is False


def test_time_is_measured_and_scales_with_the_batches(mlp: MakeGraph,
                                                      small_digits: DataBundle) -> None:
    graph = mlp()
    before = graph.to_dict()
    rng = torch.get_rng_state()
    plan = make_plan(graph, small_digits, _settings(), steps=2)
    assert graph.to_dict() == before  # the user's graph is not changed
    assert torch.equal(torch.get_rng_state(), rng)  # nor the random state
    t = plan.time
    assert t is not None
    assert t.train_batches == math.ceil(400 / 32) and t.val_batches == math.ceil(100 / 64)
    assert t.step_seconds > 0 and t.val_batch_seconds > 0 and t.checkpoint_seconds > 0
    assert t.timed_steps == 2 and t.epochs == 3
    assert t.epoch_seconds == pytest.approx(t.step_seconds * t.train_batches
                                            + t.val_batch_seconds * t.val_batches
                                            + t.checkpoint_seconds)
    assert t.run_seconds == pytest.approx(t.setup_seconds + 3 * t.epoch_seconds)
    assert "an epoch of 13 batches on cpu" in plan.summary()
    # four times the data: four times the batches, each about as long
    bigger = DataBundle(small_digits.info, _repeat(small_digits.train, 4), small_digits.val,
                        None)
    more = measure_time(mlp(), bigger, _settings(), steps=2)
    assert more.train_batches == 4 * 400 // 32
    assert more.epoch_seconds > t.step_seconds * more.train_batches * 0.2


def test_estimate_is_near_a_real_epoch(mlp: MakeGraph, digits: DataBundle) -> None:
    """Generous: the machine is shared (a busy moment slows either side several-fold),
    so only a factor of ten either way is asked: it still tells seconds from minutes."""
    settings = _settings(epochs=2)
    estimate = measure_time(mlp(), digits, settings, steps=5)
    history = Trainer(mlp(), digits, settings).run().history
    measured = min(stats.seconds for stats in history)
    assert measured / 10 < estimate.epoch_seconds < measured * 10, (estimate.epoch_seconds,
                                                                 measured)


def test_a_stop_request_cancels_the_timing(mlp: MakeGraph, small_digits: DataBundle) -> None:
    control = RunControl()
    control.stop()
    with pytest.raises(PlanCancelled):
        measure_time(mlp(), small_digits, _settings(), control=control)


def test_to_dict_and_durations(mlp: MakeGraph, small_digits: DataBundle) -> None:
    data = make_plan(mlp(), small_digits, _settings(), steps=1).to_dict()
    assert data["fits"] is True and data["time"]["epoch_seconds"] > 0
    assert data["memory"]["total_bytes"] == estimate_for(mlp(), _settings()).total
    assert data["memory"]["available_bytes"] > 0
    assert format_duration(0.42) == "0.42 s" and format_duration(3.14) == "3.1 s"
    assert format_duration(31.2) == "31 s" and format_duration(250) == "4 min 10 s"
    assert format_duration(7500) == "2 h 05 min"


def _repeat(split: object, times: int) -> object:
    from dlstudio.data import DataSplit

    assert isinstance(split, DataSplit)
    return DataSplit(split.x.repeat(times, 1, 1, 1), split.y.repeat(times), split.pipeline)
