"""`--augment crop=P` reaches the checkpoint's settings; a bad P exits 2 in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlstudio import cli
from dlstudio.train import load_checkpoint

XOR = ("train", "--template", "xor", "--device", "cpu", "--epochs", "1")


def test_crop_flag_reaches_the_checkpoint(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    code = cli.main([*XOR, "--augment", "crop=4,noise=0.05", "--out", str(tmp_path),
                     "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    settings = load_checkpoint(json.loads(out)["checkpoint"]).settings
    assert settings.augment["crop"] == 4 and settings.augment["noise"] == 0.05


@pytest.mark.parametrize("value", ["2.5", "-1", "65"])
def test_a_bad_crop_is_refused_in_one_line(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path, value: str) -> None:
    code = cli.main([*XOR, "--augment", f"crop={value}", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert err.startswith("dlstudio train: error: ") and "crop" in err
