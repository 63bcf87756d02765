"""`dlstudio summary` shows each layer's multiply-adds and activation memory in human
units, and `--json` carries the raw numbers (docs/cli.md, "summary")."""

from __future__ import annotations

import json

import pytest

from .cli_checks import run


def test_table_has_macs_and_memory_columns(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "summary", "--template", "vgg16")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split()[-2:] == ["MACs", "Memory"]
    conv = next(line for line in lines if line.startswith("block1_conv2 "))
    assert conv.split()[-4:] == ["1.85", "G", "12.8", "MB"]  # 64·224·224·3·3·64 MACs
    assert "MACs (multiply-adds) per sample: 15.5 G (15,470,264,320)" in lines
    assert any(line.startswith("Activation memory per sample: 115 MB") for line in lines)


def test_json_has_raw_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "summary", "--template", "resnet18", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["total_macs"] == 1_819_040_768
    assert data["total_macs"] == sum(row["macs"] for row in data["layers"])
    assert data["activation_bytes"] == sum(row["activation_bytes"] for row in data["layers"])
    conv1 = next(row for row in data["layers"] if row["name"] == "conv1")
    assert conv1["macs"] == 64 * 112 * 112 * 7 * 7 * 3
    assert conv1["activation_bytes"] == 64 * 112 * 112 * 4
    # the training memory estimate counts the same activations (x batch x 2 for backward)
    assert data["memory"]["activation_bytes"] == (data["activation_bytes"]
                                                  * data["memory"]["batch_size"] * 2)
