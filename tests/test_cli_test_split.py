"""The test split: `test_fraction` holds out a share the run never steers by, and `train`
measures its final weights there once, at the end. Real runs of a second or two; the
numbers must be those of `dlstudio evaluate --split test` on the run's checkpoint."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest
import torch

from dlstudio.data import load_data
from dlstudio.graph.templates import build_template
from dlstudio.infer import evaluate_checkpoint
from dlstudio.train import Trainer, TrainSettings, TrainSettingsError

from .cli_checks import refused, run

assert_user_error = partial(refused, "train")
BLOBS = ("train", "--template", "logistic-regression", "--epochs", "2", "--device", "cpu",
         "--seed", "3")


def _rows(x: torch.Tensor) -> set[tuple[float, ...]]:
    return {tuple(row) for row in x.tolist()}


def test_test_fraction_draws_a_disjoint_test_split_of_its_share() -> None:
    settings = TrainSettings(data="builtin:blobs", seed=3, val_fraction=0.15,
                             test_fraction=0.25)
    data = load_data(settings.data, seed=settings.seed, val_fraction=settings.val_fraction,
                     test_fraction=settings.test_fraction)
    assert data.test is not None and data.val is not None
    total = len(data.train) + len(data.val) + len(data.test)
    assert len(data.test) == round(total * 0.25) and len(data.val) == round(total * 0.15)
    train, val, test = _rows(data.train.x), _rows(data.val.x), _rows(data.test.x)
    assert len(test) == len(data.test)  # blobs' points are all different
    assert not test & train and not test & val and not train & val
    again = load_data(settings.data, seed=3, val_fraction=0.15, test_fraction=0.25)
    assert torch.equal(again.test.x, data.test.x)  # seeded: evaluate draws it again


@pytest.mark.parametrize(("values", "words"), [
    ({"test_fraction": 1.0}, ("'test_fraction'", "[0, 1)")),
    ({"test_fraction": -0.1}, ("'test_fraction'",)),
    ({"val_fraction": 0.5, "test_fraction": 0.5}, ("'test_fraction'", "below 1")),
])
def test_bad_test_fraction_names_the_field(values: dict[str, float],
                                           words: tuple[str, ...]) -> None:
    with pytest.raises(TrainSettingsError) as caught:
        TrainSettings(**values)
    assert caught.value.field == "test_fraction"
    for word in words:
        assert word in str(caught.value)


def test_bad_test_fraction_flag_is_one_line(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    for flags in (["--test-fraction", "1.5"], ["--val-fraction", "0.6",
                                               "--test-fraction", "0.4"]):
        code, out, err = run(capsys, *BLOBS, "--out", str(tmp_path), *flags)
        assert_user_error(code, out, err, "--test-fraction", "test_fraction")


def test_train_prints_the_test_split_as_evaluate_measures_it(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, *BLOBS, "--test-fraction", "0.25", "--out", str(tmp_path))
    assert code == 0, err
    expected = evaluate_checkpoint(tmp_path / "last.pt", split="test")
    assert expected.samples == 100
    lines = out.splitlines()
    test_line = next(line for line in lines if line.startswith("test: "))
    assert test_line == ("test: " + " ".join(f"{name} {value:.4f}" for name, value
                                             in expected.metrics.items())
                         + " (100 samples)")
    assert list(expected.metrics) == ["loss", "accuracy", "precision", "recall", "f1"]
    # The per-class table and the confusion matrix, as `evaluate` prints them.
    header = lines.index("  class  precision  recall      f1  support")
    for offset, row in enumerate(expected.per_class, start=1):
        assert lines[header + offset].split()[0] == row.name
        assert lines[header + offset].split()[-1] == str(row.support)
    start = lines.index("confusion matrix (rows: true class, columns: predicted class)")
    matrix = [line.split()[1:] for line in lines[start + 2:start + 4]]
    assert matrix == [[str(n) for n in row] for row in expected.confusion]
    assert "measuring the final weights on the test split (100 samples)" in err


def test_json_holds_the_test_split_of_the_restored_weights(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, *BLOBS, "--epochs", "6", "--lr", "0.5",
                         "--early-stopping", "--patience", "2", "--test-fraction", "0.2",
                         "--json", "--out", str(tmp_path))
    assert code == 0, err
    result = json.loads(out)
    test = result["test"]
    assert test["split"] == "test" and test["samples"] == 80
    expected = evaluate_checkpoint(result["checkpoint"], split="test")  # best.pt if restored
    assert test["metrics"] == pytest.approx(expected.metrics, rel=1e-6)
    assert test["confusion"] == [list(row) for row in expected.confusion]
    assert [row["support"] for row in test["per_class"]] == [
        row.support for row in expected.per_class]
    assert test["class_names"] == ["A", "B"]
    code, out, err = run(capsys, "evaluate", "--checkpoint", result["checkpoint"],
                         "--split", "test", "--json")
    assert code == 0 and json.loads(out)["metrics"] == pytest.approx(test["metrics"])


def test_a_regression_gets_its_mse_too(capsys: pytest.CaptureFixture[str],
                                       tmp_path: Path) -> None:
    code, out, err = run(capsys, "train", "--template", "linear-regression", "--epochs",
                         "2", "--device", "cpu", "--test-fraction", "0.2", "--json",
                         "--out", str(tmp_path))
    assert code == 0, err
    test = json.loads(out)["test"]
    expected = evaluate_checkpoint(tmp_path / "last.pt", split="test")
    assert list(test["metrics"]) == ["loss", "mse", "mae", "r2"]
    assert test["metrics"] == pytest.approx(expected.metrics, rel=1e-6)
    assert test["confusion"] is None and "per_class" not in test


def test_without_a_test_split_there_is_no_test_result(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, *BLOBS, "--json", "--out", str(tmp_path))
    assert code == 0, err
    assert json.loads(out)["test"] is None
    code, out, err = run(capsys, *BLOBS, "--out", str(tmp_path / "plain"))
    assert code == 0 and "test:" not in out and "test split" not in err


def test_a_stopped_run_skips_the_test_split() -> None:
    settings = TrainSettings(data="builtin:blobs", epochs=3, device="cpu",
                             test_fraction=0.2)
    data = load_data(settings.data, seed=0, val_fraction=0.15, test_fraction=0.2)
    trainer = Trainer(build_template("logistic-regression"), data, settings)
    logs: list[str] = []
    trainer.events.log.connect(logs.append)
    trainer.events.epoch_ended.connect(lambda stats: trainer.stop())
    result = trainer.run()
    assert result.stopped and len(result.history) == 1
    assert result.test is None and result.to_dict()["test"] is None
    assert not any("test split" in line for line in logs)


def test_the_run_record_keeps_the_test_result(tmp_path: Path) -> None:
    from dlstudio.runs import RunStore
    from dlstudio.train.events import TestResult

    test = TestResult(80, {"loss": 0.25, "accuracy": float("nan")}, [[40, 2], [3, 35]])
    assert TestResult.from_dict(json.loads(json.dumps(test.to_dict()))).confusion == \
        test.confusion
    store = RunStore(tmp_path)
    run = store.create(name="blobs", data="builtin:blobs", settings={}, graph={})
    assert run.test_metrics() == {}
    run.status, run.result = "finished", {"test": test.to_dict()}
    store.save(run)
    [again] = store.runs()
    assert again.test_metrics() == {"loss": 0.25}  # a NaN is kept as null, then left out
    assert again.result["test"]["samples"] == 80
