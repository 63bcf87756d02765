"""Metrics against small examples worked out by hand."""

from __future__ import annotations

import math

import pytest
import torch

from dlstudio.train.metrics import (
    MetricMeter,
    classification_metrics,
    layer_norms,
    layer_stats,
    regression_metrics,
)

CPU = torch.device("cpu")
CONFUSION = [[2, 1, 0],  # true class 0: 2 right, 1 taken for class 1
             [0, 3, 1],
             [1, 0, 2]]


def test_accuracy_and_macro_precision_recall_f1() -> None:
    m = classification_metrics(CONFUSION)
    assert m["accuracy"] == pytest.approx(7 / 10)
    # precision: 2/3, 3/4, 2/3 (columns); recall: 2/3, 3/4, 2/3 (rows)
    assert m["precision"] == pytest.approx((2 / 3 + 3 / 4 + 2 / 3) / 3)
    assert m["recall"] == pytest.approx((2 / 3 + 3 / 4 + 2 / 3) / 3)
    assert m["f1"] == pytest.approx((2 / 3 + 3 / 4 + 2 / 3) / 3)


def test_uneven_precision_and_recall() -> None:
    m = classification_metrics([[4, 0], [3, 1]])  # class 0 over-predicted
    p = (4 / 7 + 1 / 1) / 2
    r = (4 / 4 + 1 / 4) / 2
    f1 = (2 * (4 / 7) * 1 / (4 / 7 + 1) + 2 * 1 * (1 / 4) / (1 + 1 / 4)) / 2
    assert (m["precision"], m["recall"], m["f1"]) == pytest.approx((p, r, f1))


def test_classes_never_seen_are_left_out_and_empty_ratios_count_zero() -> None:
    confusion = [[2, 0, 0], [1, 0, 0], [0, 0, 0]]  # class 1 never predicted, 2 never seen
    m = classification_metrics(confusion)
    assert m["precision"] == pytest.approx((2 / 3 + 0) / 2)
    assert m["recall"] == pytest.approx((1 + 0) / 2)
    assert m["f1"] == pytest.approx((0.8 + 0) / 2)


def test_mae_and_r2() -> None:
    y, guess = [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 5.0]
    err = [g - t for g, t in zip(guess, y, strict=True)]
    m = regression_metrics(4, [sum(map(abs, err))], [sum(e * e for e in err)], [sum(y)],
                           [sum(v * v for v in y)])
    assert m["mae"] == pytest.approx(0.25)
    assert m["r2"] == pytest.approx(1 - 1 / 5)  # SS_res 1, SS_tot 5


def test_r2_of_constant_targets_follows_scikit_learn() -> None:
    assert regression_metrics(2, [0.0], [0.0], [2.0], [2.0])["r2"] == 1.0
    assert regression_metrics(2, [1.0], [1.0], [2.0], [2.0])["r2"] == 0.0


def test_the_meter_adds_batches_into_a_confusion_matrix() -> None:
    meter = MetricMeter("classification", CPU, classes=3, outputs=3)
    logits = torch.eye(3)[[0, 1, 1, 2]] * 5  # predicts 0, 1, 1, 2
    meter.update(logits[:2], torch.tensor([0, 1]), torch.tensor(1.0))
    meter.update(logits[2:], torch.tensor([2, 2]), torch.tensor(3.0))
    metrics, confusion = meter.summarise(meter.totals())
    assert confusion == [[1, 0, 0], [0, 1, 0], [0, 1, 1]]
    assert metrics["accuracy"] == 0.75
    assert metrics["loss"] == pytest.approx((1.0 * 2 + 3.0 * 2) / 4)


def test_a_binary_meter_thresholds_its_single_output() -> None:
    meter = MetricMeter("classification", CPU, classes=2, outputs=1, threshold=0.0)
    logits = torch.tensor([[-2.0], [0.5], [3.0], [-0.1]])
    meter.update(logits, torch.tensor([0, 0, 1, 1]), torch.tensor(0.5))
    metrics, confusion = meter.summarise(meter.totals())
    assert confusion == [[1, 1], [1, 1]]
    assert metrics["accuracy"] == 0.5


def test_per_step_outputs_count_every_step() -> None:
    meter = MetricMeter("classification", CPU, classes=4, outputs=4)
    logits = torch.zeros(2, 3, 4)
    logits[..., 1] = 1.0  # always predicts 1
    meter.update(logits, torch.tensor([[1, 1, 0], [1, 2, 1]]), torch.tensor(0.0))
    metrics, confusion = meter.summarise(meter.totals())
    assert sum(map(sum, confusion)) == 6
    assert metrics["accuracy"] == pytest.approx(4 / 6)


def test_the_regression_meter_matches_the_formulas() -> None:
    meter = MetricMeter("regression", CPU, outputs=1)
    meter.update(torch.tensor([[1.0], [2.0]]), torch.tensor([[1.0], [2.0]]), torch.tensor(0.0))
    meter.update(torch.tensor([[3.0], [5.0]]), torch.tensor([[3.0], [4.0]]), torch.tensor(0.5))
    metrics, confusion = meter.summarise(meter.totals())
    assert confusion is None
    assert metrics == pytest.approx({"loss": 0.25, "mae": 0.25, "r2": 0.8})


def test_layer_norms_cover_layers_with_weights() -> None:
    model = torch.nn.Sequential()
    model.add_module("fc", torch.nn.Linear(2, 2))
    model.add_module("act", torch.nn.ReLU())
    with torch.no_grad():
        model.fc.weight.copy_(torch.tensor([[3.0, 0.0], [0.0, 4.0]]))
        model.fc.bias.zero_()
    model(torch.ones(1, 2)).sum().backward()
    stats = layer_stats(layer_norms(model))
    assert list(stats) == ["fc"]
    assert stats["fc"]["weight_norm"] == pytest.approx(5.0)
    # d(sum)/dW = [[1, 1], [1, 1]] where the ReLU passes, d/db = [1, 1]: sqrt(6)
    assert stats["fc"]["grad_norm"] == pytest.approx(math.sqrt(6))
