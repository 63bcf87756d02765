"""`dlstudio train --folds K`: K real runs of a second each, a run folder per fold, and
a summary whose mean and standard deviation are those of the folds' own numbers; what
cannot go with --folds is refused in one line with exit code 2."""

from __future__ import annotations

import json
import math
from functools import partial
from pathlib import Path

import pytest

from dlstudio.infer import evaluate_checkpoint
from dlstudio.train import load_checkpoint

from .cli_checks import refused, run

assert_user_error = partial(refused, "train")
BLOBS = ("train", "--template", "logistic-regression", "--epochs", "1", "--device", "cpu")


def test_folds_make_k_runs_and_their_mean_and_std(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    code, out, err = run(capsys, *BLOBS, "--folds", "3", "--test-fraction", "0.2",
                         "--json", "--out", str(tmp_path))
    assert code == 0, err
    summary = json.loads(out)
    assert summary["k"] == 3 and not summary["stopped"]
    assert [fold["fold"] for fold in summary["folds"]] == [1, 2, 3]
    vals = []
    for fold in summary["folds"]:
        folder = tmp_path / f"fold-{fold['fold']}"
        assert fold["out"] == str(folder)
        assert (folder / "last.pt").is_file() and (folder / "history.json").is_file()
        history = json.loads((folder / "history.json").read_text())
        assert history["epochs"][-1]["val"] == pytest.approx(fold["final"])  # its own
        checkpoint = load_checkpoint(folder / "last.pt")
        assert checkpoint.settings.val_fraction == 0.0
        vals.append(fold["final"])
        # The test split is the same for every fold, and `evaluate` draws it again.
        expected = evaluate_checkpoint(folder / "last.pt", split="test")
        assert fold["test"]["samples"] == expected.samples == 80
        assert fold["test"]["metrics"] == pytest.approx(expected.metrics, rel=1e-6)
    for name in ("loss", "accuracy", "f1"):
        values = [v[name] for v in vals]
        mean = sum(values) / 3
        assert summary["mean"][name] == pytest.approx(mean)
        assert summary["std"][name] == pytest.approx(
            math.sqrt(sum((v - mean) ** 2 for v in values) / 3))
    assert len({v["loss"] for v in vals}) == 3  # three different validation parts
    assert set(summary["test_mean"]) == {"loss", "accuracy", "precision", "recall", "f1"}
    assert json.loads((tmp_path / "folds.json").read_text()) == summary


def test_folds_are_repeatable_and_printed_as_a_table(capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path) -> None:
    code, out, err = run(capsys, *BLOBS, "--folds", "2", "--seed", "5", "--out",
                         str(tmp_path / "a"))
    assert code == 0, err
    assert "fold 1/2: training on 200 samples, validating on 200" in err
    lines = out.splitlines()
    header = lines.index("validation metrics of the final weights")
    assert lines[header + 1].split() == ["fold", "loss", "accuracy", "precision", "recall",
                                         "f1"]
    assert [line.split()[0] for line in lines[header + 2:header + 6]] == [
        "1", "2", "mean", "std"]
    first = json.loads((tmp_path / "a" / "folds.json").read_text())
    code, out, err = run(capsys, *BLOBS, "--folds", "2", "--seed", "5", "--json",
                         "--out", str(tmp_path / "b"))
    again = json.loads(out)
    assert [f["final"] for f in again["folds"]] == [f["final"] for f in first["folds"]]
    assert lines[header + 4].split()[1:] == [f"{first['mean'][n]:.4f}" for n in
                                             ("loss", "accuracy", "precision", "recall",
                                              "f1")]


@pytest.mark.parametrize(("flags", "words"), [
    (["--folds", "1"], ("--folds", "2 to 20")),
    (["--folds", "21"], ("--folds", "2 to 20")),
    (["--folds", "3", "--resume", "somewhere"], ("--folds", "--resume")),
    (["--folds", "3", "--val-fraction", "0.2"], ("--val-fraction", "--folds")),
])
def test_bad_folds_are_refused_in_one_line(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path, flags: list[str],
                                           words: tuple[str, ...]) -> None:
    code, out, err = run(capsys, *BLOBS, "--out", str(tmp_path / "x"), *flags)
    assert_user_error(code, out, err, *words)
    assert not (tmp_path / "x").exists()


def test_more_folds_than_samples_is_refused(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    table = tmp_path / "tiny.csv"
    table.write_text("x,y\n" + "".join(f"{i},{2 * i}\n" for i in range(6)))
    code, out, err = run(capsys, "train", "--template", "linear-regression", "--data",
                         f"csv:{table}:y", "--epochs", "1", "--folds", "8", "--out",
                         str(tmp_path / "x"))
    assert_user_error(code, out, err, "--folds", "8 folds", "6")
