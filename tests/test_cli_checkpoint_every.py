"""`dlstudio train --checkpoint-every N`: a real xor run keeps every N-th epoch's
weights for replay; a bad N exits 2 in one line naming the flag."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlstudio.train import load_checkpoint

from .cli_checks import refused, run

XOR = ("train", "--template", "xor", "--device", "cpu")


def test_every_second_epoch_is_kept(capsys: pytest.CaptureFixture[str],
                                    tmp_path: Path) -> None:
    code, out, err = run(capsys, *XOR, "--epochs", "4", "--checkpoint-every", "2",
                         "--out", str(tmp_path), "--json")
    assert code == 0, err
    kept = sorted(path.name for path in tmp_path.glob("epoch-*.pt"))
    assert kept == ["epoch-0002.pt", "epoch-0004.pt"]
    assert load_checkpoint(tmp_path / "epoch-0002.pt").epoch == 2
    settings = load_checkpoint(json.loads(out)["checkpoint"]).settings
    assert settings.checkpoint_every == 2


def test_without_the_flag_no_epoch_is_kept(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    code, _, err = run(capsys, *XOR, "--epochs", "2", "--out", str(tmp_path), "--json")
    assert code == 0, err
    assert not list(tmp_path.glob("epoch-*.pt"))


@pytest.mark.parametrize("value", ["-1", "x"])
def test_a_bad_value_is_refused_in_one_line(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path, value: str) -> None:
    code, out, err = run(capsys, *XOR, "--checkpoint-every", value, "--out", str(tmp_path))
    refused("train", code, out, err, "checkpoint")
