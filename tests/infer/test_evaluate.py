"""Evaluating checkpoints trained in the test: a classifier on the 28×28 digits (the
numbers must be those the trainer recorded for the same validation split), a line fitted
to a CSV made here, and the one-line errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from dlstudio import cli
from dlstudio.infer import EvaluationError, EvaluationStopped, evaluate_checkpoint
from dlstudio.infer.evaluate import class_rows
from dlstudio.train import load_checkpoint


def train(out: Path, *argv: str) -> Path:
    assert cli.main(["train", *argv, "--device", "cpu", "--out", str(out)]) == 0
    return out / "last.pt"


@pytest.fixture(scope="module")
def digits_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train(tmp_path_factory.mktemp("mlp"), "--template", "mlp", "--epochs", "1")


@pytest.fixture(scope="module")
def line_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("line")
    x = np.linspace(0.0, 1.0, 200)
    y = 2.0 * x - 1.0 + 0.05 * np.sin(37 * x)
    table = folder / "line.csv"
    table.write_text("x,y\n" + "".join(f"{a:.5f},{b:.5f}\n" for a, b in zip(x, y, strict=True)))
    return train(folder / "run", "--template", "linear-regression", "--data",
                 f"csv:{table}:y", "--epochs", "1")


def test_validation_metrics_are_the_trainers(digits_checkpoint: Path) -> None:
    recorded = load_checkpoint(digits_checkpoint).history[-1].val
    result = evaluate_checkpoint(digits_checkpoint)
    assert result.split == "val" and result.task == "classification"
    for key in ("loss", "accuracy", "precision", "recall", "f1"):
        assert result.metrics[key] == pytest.approx(recorded[key], abs=1e-6), key
    assert result.loss == result.metrics["loss"]
    assert result.class_names == tuple(str(i) for i in range(10))


def test_confusion_rows_and_mistakes_add_up(digits_checkpoint: Path) -> None:
    seen: list[tuple[int, int]] = []
    result = evaluate_checkpoint(digits_checkpoint, progress=lambda d, t: seen.append((d, t)))
    matrix = np.array(result.confusion)
    assert matrix.shape == (10, 10)
    assert matrix.sum() == result.samples == 270  # 15 % of the 1,797 digits
    assert result.wrong == result.samples - np.trace(matrix)
    assert seen[-1] == (270, 270)
    assert [row.support for row in result.per_class] == matrix.sum(axis=1).tolist()
    macro_recall = np.mean([row.recall for row in result.per_class])
    assert macro_recall == pytest.approx(result.metrics["recall"])
    assert 0 < len(result.mistakes) <= min(24, result.wrong)
    for mistake in result.mistakes:
        assert mistake.true != mistake.predicted
        assert mistake.image is not None and mistake.image.shape == (28, 28)
        assert mistake.image.min() >= 0.0 and mistake.image.max() <= 1.0
        assert 0.0 < mistake.confidence <= 1.0
    json.dumps(result.to_dict())  # what a `dlstudio evaluate --json` would print


def test_all_data_covers_every_sample(digits_checkpoint: Path) -> None:
    result = evaluate_checkpoint(digits_checkpoint, split="all")
    assert result.samples == 1797 == np.array(result.confusion).sum()
    assert result.splits == ("val", "all")  # the built-in digits have no test split


def test_missing_test_split_is_one_clear_error(digits_checkpoint: Path) -> None:
    with pytest.raises(EvaluationError, match="no test split"):
        evaluate_checkpoint(digits_checkpoint, split="test")


def test_stop_request_ends_the_pass(digits_checkpoint: Path) -> None:
    with pytest.raises(EvaluationStopped):
        evaluate_checkpoint(digits_checkpoint, should_stop=lambda: True)


def test_regression_gives_mse_and_mae(line_checkpoint: Path) -> None:
    recorded = load_checkpoint(line_checkpoint).history[-1].val
    result = evaluate_checkpoint(line_checkpoint)
    assert result.task == "regression" and result.samples == 30
    assert result.metrics["mse"] == pytest.approx(result.metrics["loss"])  # an MSE loss
    assert result.metrics["mae"] == pytest.approx(recorded["mae"], abs=1e-6)
    assert result.metrics["loss"] == pytest.approx(recorded["loss"], abs=1e-6)
    assert math.sqrt(result.metrics["mse"]) >= result.metrics["mae"] > 0
    assert result.confusion == () and result.per_class == () and result.mistakes == ()


@pytest.mark.parametrize("problem", ["missing", "not a checkpoint"])
def test_bad_checkpoint_is_one_clear_error(tmp_path: Path, problem: str) -> None:
    path = tmp_path / "model.pt"
    if problem != "missing":
        path.write_bytes(b"not a checkpoint at all")
    with pytest.raises(EvaluationError) as caught:
        evaluate_checkpoint(path)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message


def test_other_data_must_fit_the_model(digits_checkpoint: Path) -> None:
    with pytest.raises(EvaluationError, match="trained on digits28"):
        evaluate_checkpoint(digits_checkpoint, data_spec="builtin:xor")


def test_class_rows_follow_scikit_learns_zero_rule() -> None:
    rows = class_rows(((2, 0, 0), (1, 0, 0), (0, 0, 0)), ("a", "b", "c"))
    assert rows[0].precision == pytest.approx(2 / 3) and rows[0].recall == 1.0
    assert rows[1].f1 == 0.0 and math.isnan(rows[1].precision)  # present, never predicted
    assert math.isnan(rows[2].f1) and rows[2].support == 0  # neither present nor predicted
