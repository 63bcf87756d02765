"""The issue's "must show" runs: real templates on the built-in data, trained on the CPU."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from dlstudio.data import DataBundle, load_data
from dlstudio.graph.templates import build_template
from dlstudio.train import RunResult, Trainer, defaults_for_template


def _train(name: str, shrink: Callable[..., DataBundle] | None = None,
           sizes: tuple[int, int] = (0, 0), **changes: Any) -> tuple[Trainer, RunResult]:
    settings = replace(defaults_for_template(name), device="cpu", **changes)
    data = load_data(settings.data, seed=settings.seed, val_fraction=settings.val_fraction)
    if shrink is not None:
        data = shrink(data, *sizes)
    trainer = Trainer(build_template(name), data, settings)
    return trainer, trainer.run()


def test_xor_reaches_full_accuracy() -> None:
    _, result = _train("xor")
    assert result.history[-1].train["accuracy"] == 1.0
    assert result.final["accuracy"] == 1.0


def test_linear_regression_learns_slope_and_intercept() -> None:
    trainer, result = _train("linear-regression")
    weights = trainer.model.state_dict()
    assert float(weights["linear.weight"]) == pytest.approx(3.0, abs=0.05)
    assert float(weights["linear.bias"]) == pytest.approx(0.5, abs=0.05)
    assert result.final["r2"] > 0.85


def test_cnn_small_reaches_95_percent_on_digits() -> None:
    _, result = _train("cnn-small", epochs=3)
    assert result.final["accuracy"] >= 0.95
    stats = result.history[-1]
    assert set(stats.layer_stats) == {"conv1", "fc1", "fc2"}
    assert len(stats.confusion) == 10 and sum(map(sum, stats.confusion)) == 270


def test_lstm_text_loss_falls_well_below_its_start(
        shrink: Callable[..., DataBundle]) -> None:
    _, result = _train("lstm-text", shrink, (1024, 256), epochs=3, lr=1e-2, batch_size=32)
    start = 4.852  # ln(128): a uniform guess over the 128 character codes
    assert result.history[0].train["loss"] < start
    assert result.history[-1].val["loss"] < 0.6 * start
