"""`dlstudio train` prints each training health sign once, as a warning line under the
epoch it appeared at, and --json carries every epoch's signs; a healthy run prints none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlstudio import cli


def _train(capsys: pytest.CaptureFixture[str], out: Path, *flags: str) -> tuple[dict, list[str]]:
    code = cli.main(["train", "--device", "cpu", "--seed", "1", "--out", str(out), "--json",
                     *flags])
    stdout, stderr = capsys.readouterr()
    assert code == 0, stderr
    return json.loads(stdout), [line for line in stderr.splitlines()
                                if not line.startswith("training on")]


def test_each_sign_is_printed_once_under_its_epoch(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    result, lines = _train(capsys, tmp_path, "--template", "xor", "--epochs", "3",
                           "--lr", "1e6")
    # the rate saturates the Tanh (no gradient reaches fc1) and sends the loss far up
    assert lines[0].startswith("epoch 1/3") and "warning: loss" in lines[0]
    assert lines[1] == ("  warning: fc1: it gets no gradient at all, so it barely learns "
                        "(vanishing gradients, as in deep or saturated stacks of Sigmoid "
                        "or Tanh)")
    assert lines[2].startswith("epoch 2/3") and lines[3].startswith("epoch 3/3")
    assert len(lines) == 4  # the loss jump is the runaway warning: said once, on the line
    first, *rest = result["epochs"]
    kinds = [(sign["kind"], sign["node"], sign["epoch"]) for sign in first["health"]]
    assert kinds == [("vanishing_gradients", "fc1", 1), ("loss_jumps", "", 1)]
    assert first["health"][0]["fixes"] == ["insert_batchnorm"]
    assert first["health"][1]["fixes"] == ["halve_lr"]
    assert first["health"][1]["message"] == first["warning"]
    assert all(epoch["health"] == first["health"] for epoch in rest)  # they still hold


def test_a_healthy_run_prints_no_warning(capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    result, lines = _train(capsys, tmp_path, "--template", "mlp", "--data", "builtin:digits",
                           "--epochs", "2")
    assert len(lines) == 2 and not any("warning" in line for line in lines)
    assert all("health" not in epoch for epoch in result["epochs"])
    assert all(epoch["dead_units"]["relu1"] < 0.9 for epoch in result["epochs"])
