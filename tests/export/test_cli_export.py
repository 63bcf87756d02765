"""`dlstudio export`: templates and trained checkpoints out, one-line refusals (exit 2)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch

from dlstudio.cli import main
from dlstudio.data import load_data
from dlstudio.export import build_model
from dlstudio.graph.templates import build_template
from dlstudio.train.checkpoint import load_checkpoint
from dlstudio.train.settings import defaults_for_template
from dlstudio.train.trainer import Trainer


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One short epoch of the xor template, trained as `dlstudio train` does."""
    settings = dataclasses.replace(defaults_for_template("xor"), epochs=1, device="cpu")
    data = load_data(settings.data, seed=settings.seed, val_fraction=settings.val_fraction)
    out = tmp_path_factory.mktemp("run")
    result = Trainer(build_template("xor"), data, settings, out_dir=out).run()
    assert result.checkpoint is not None
    return Path(result.checkpoint)


def _export(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["export", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_template_is_exported_and_the_files_are_reported(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "cnn.py"
    code, out, err = _export(capsys, "--template", "cnn-compact", "--format", "python",
                             "-o", str(target))
    assert code == 0, err
    assert re.fullmatch(rf"wrote {re.escape(str(target))} \(\+ cnn.pt, cnn.py.card.json\) in "
                        r"[\d.]+s; checks: weights_only_load passed, outputs max diff 0\n"
                        r"input: prepared: what the Input node takes; there are no dataset "
                        r"facts \(no trained checkpoint\), so no preprocessing is known to "
                        r"put inside\n", out)
    assert "[ 10%] writing the PyTorch source" in err and f"[100%] wrote {target}" in err
    card = json.loads((tmp_path / "cnn.py.card.json").read_text(encoding="utf-8"))
    assert card["source"] == {"graph": "template 'cnn-compact'",
                              "weights": "freshly initialised with seed 0, not trained"}

    code, out, _ = _export(capsys, "--template", "xor", "--format", "state_dict",
                           "-o", str(tmp_path / "xor.pt"), "--seed", "5", "--json")
    assert code == 0
    report = json.loads(out)  # stdout is the one JSON object
    assert report["path"] == str(tmp_path / "xor.pt")
    assert report["checks"]["weights_only_load"] == "passed"
    saved = torch.load(tmp_path / "xor.pt", weights_only=True)
    seeded = build_model(build_template("xor"), None, seed=5).state_dict()
    assert all(torch.equal(saved[key], seeded[key]) for key in seeded)


@pytest.mark.parametrize(("argv", "message"), [
    (["--template", "xor", "--format", "keras", "-o", "m.h5"], "unknown export format 'keras'"),
    (["--format", "onnx", "-o", "m.onnx"], "give a PROJECT, --template NAME or --checkpoint"),
    (["--template", "nope", "--format", "onnx", "-o", "m.onnx"], "unknown template 'nope'"),
    (["missing.dlstudio", "--format", "onnx", "-o", "m.onnx"], "no project file at"),
    (["--checkpoint", "missing.pt", "--format", "onnx", "-o", "m.onnx"], "no checkpoint file"),
    (["--template", "xor", "--format", "onnx"], "the following arguments are required: -o"),
    (["--template", "xor", "--format", "python", "-o", "nowhere/m.py"], "does not exist"),
    (["--template", "xor", "--format", "python", "-o", "m.pyc"], "a python export is a .py"),
])
def test_bad_input_is_refused_in_one_line_with_exit_code_2(
        argv: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = _export(capsys, *argv)
    assert code == 2 and out == ""
    lines = [line for line in err.splitlines() if not line.startswith("[")]  # progress
    assert len(lines) == 1 and message in lines[0], err
    assert lines[0].startswith("dlstudio export: error: ")
    assert list(tmp_path.iterdir()) == []


def test_a_trained_checkpoint_is_exported_with_its_weights_and_run_facts(
        checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "xor.onnx"
    code, _, err = _export(capsys, "--checkpoint", str(checkpoint), "--format", "onnx",
                           "-o", str(target))
    assert code == 0, err
    trained = load_checkpoint(checkpoint)
    features = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.5, 0.5]])
    session = onnxruntime.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"features": features.numpy()})
    with torch.no_grad():
        want = trained.build_model()(features).numpy()
        untrained = build_model(trained.graph, None, seed=0)(features).numpy()
    assert np.max(np.abs(got - want)) <= 1e-4
    assert np.max(np.abs(got - untrained)) > 1e-3  # the trained weights, not fresh ones

    card = json.loads((tmp_path / "xor.onnx.card.json").read_text(encoding="utf-8"))
    assert card["class_names"] == ["0", "1"]
    assert card["preprocessing"]["name"] == "xor"
    assert card["preprocessing"]["input_shape"] == [2]
    assert card["input"]["form"] == "raw"  # xor is not normalised: raw is what it takes
    assert card["input"]["preprocessing_inside"] == []
    last = trained.history[-1]
    assert card["metrics"] == {"epoch": 1, "epochs_trained": 1,
                               "train": pytest.approx(last.train),
                               "val": pytest.approx(last.val)}
    assert card["source"] == {"checkpoint": str(checkpoint), "epoch": 1, "data": "builtin:xor"}


def test_a_named_graph_must_match_the_checkpoint(
        checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _export(capsys, "--template", "xor", "--checkpoint", str(checkpoint),
                           "--format", "torchscript", "-o", str(tmp_path / "xor.ts"))
    assert code == 0, err
    code, _, err = _export(capsys, "--template", "logistic-regression", "--checkpoint",
                           str(checkpoint), "--format", "torchscript",
                           "-o", str(tmp_path / "other.ts"))
    assert code == 2
    refusal = err.strip().splitlines()[-1]
    assert refusal.startswith(f"dlstudio export: error: template 'logistic-regression' is "
                              f"not the network in {checkpoint} (node ")
    assert "only in the checkpoint" in refusal
    assert refusal.endswith("leave out template 'logistic-regression' to export the "
                            "checkpoint's own graph")
    assert not (tmp_path / "other.ts").exists()
