"""The learning-rate warning: a real run at a rate of 1e6 climbs far above its first
loss and is told so once, on the epoch line and in --json; the default rate is not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlstudio import cli
from dlstudio.train import EpochStats, load_checkpoint
from dlstudio.train.runaway import RUNAWAY_FACTOR, RunawayWatch


def _train_xor(capsys: pytest.CaptureFixture[str], out: Path,
               *flags: str) -> tuple[dict, list[str]]:
    code = cli.main(["train", "--template", "xor", "--epochs", "4", "--device", "cpu",
                     "--seed", "1", "--out", str(out), "--json", *flags])
    stdout, stderr = capsys.readouterr()
    assert code == 0, stderr
    return json.loads(stdout), [line for line in stderr.splitlines()
                                if line.startswith("epoch ")]


def test_a_learning_rate_of_a_million_is_warned_about_once(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result, lines = _train_xor(capsys, tmp_path, "--lr", "1e6")
    warned = [line for line in lines if "warning:" in line]
    assert len(warned) == 1 and warned[0] == lines[0], lines
    assert "is far above where it began" in warned[0]
    assert warned[0].endswith("; the learning rate may be too high")
    warnings = [epoch.get("warning") for epoch in result["epochs"]]
    assert warnings[0] and "the learning rate may be too high" in warnings[0]
    assert warnings[1:] == [None] * 3
    # the checkpoint's history keeps it
    history = load_checkpoint(Path(result["checkpoint"])).history
    assert history[0].warning == warnings[0] and not history[1].warning


def test_the_default_learning_rate_trains_without_a_warning(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result, lines = _train_xor(capsys, tmp_path)
    assert len(lines) == 4 and not any("warning" in line for line in lines)
    assert all("warning" not in epoch for epoch in result["epochs"])
    assert result["epochs"][-1]["train"]["loss"] < result["epochs"][0]["train"]["loss"]


def test_the_rule_compares_with_the_first_loss_and_warns_once() -> None:
    watch = RunawayWatch()
    watch.began(2.3)
    watch.began(50.0)  # only the first value counts
    assert watch.check(2.3 * RUNAWAY_FACTOR) == ""  # at the factor: not yet
    assert watch.check(float("nan")) == ""  # non-finite losses stop the run instead
    warning = watch.check(1.2e6)
    assert warning == ("loss 1.2e6 is far above where it began (2.3); the learning rate "
                       "may be too high")
    assert watch.check(5e6) == ""  # once per run


def test_an_epoch_keeps_its_warning_through_its_dict() -> None:
    stats = EpochStats(1, 2, {"loss": 1e6}, {}, 1e6, 1.0, 10.0, 1.0, warning="too high")
    assert EpochStats.from_dict(json.loads(json.dumps(stats.to_dict()))) == stats
    plain = EpochStats(1, 2, {"loss": 1.0}, {}, 1e-3, 1.0, 10.0, 1.0)
    assert "warning" not in plain.to_dict()
