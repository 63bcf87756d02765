"""`dlstudio evaluate` on checkpoints trained here in a second: XOR for 1 epoch (a
classifier) and a line fitted to a CSV (a regression). The numbers must be those of
`evaluate_checkpoint`; every refusal is one line and exit code 2."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from dlstudio import cli
from dlstudio.graph.project import Project, save_project
from dlstudio.graph.templates import build_template
from dlstudio.infer import evaluate_checkpoint

from .cli_checks import refused
from .cli_checks import run as run_cli


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return run_cli(capsys, "evaluate", *argv)


assert_user_error = partial(refused, "evaluate")


@pytest.fixture(scope="module")
def xor_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("xor")
    assert cli.main(["train", "--template", "xor", "--epochs", "1", "--device", "cpu",
                     "--out", str(out)]) == 0
    return out / "last.pt"


def test_plain_report_has_metrics_classes_and_matrix(
        xor_checkpoint: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--checkpoint", str(xor_checkpoint))
    assert code == 0 and err == ""
    expected = evaluate_checkpoint(xor_checkpoint)
    lines = out.splitlines()
    assert lines[0] == f"{xor_checkpoint} on builtin:xor, validation split: 38 samples"
    for name in ("loss", "accuracy", "precision", "recall", "f1"):
        assert f"  {name}" in out and f"{expected.metrics[name]:.4f}" in out, name
    header = lines.index("  class  precision  recall      f1  support")
    for offset, row in enumerate(expected.per_class, start=1):
        cells = lines[header + offset].split()
        assert cells == [row.name, f"{row.precision:.4f}", f"{row.recall:.4f}",
                         f"{row.f1:.4f}", str(row.support)]
    start = lines.index("confusion matrix (rows: true class, columns: predicted class)")
    matrix = [line.split()[1:] for line in lines[start + 2:start + 4]]
    assert matrix == [[str(n) for n in row] for row in expected.confusion]
    columns = lines[start + 1:start + 4]
    assert len({len(line) for line in columns}) == 1  # right-aligned: equal widths


def test_json_is_one_object(xor_checkpoint: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--checkpoint", str(xor_checkpoint), "--split", "all",
                         "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["split"] == "all" and data["samples"] == 256 and data["task"] == "classification"
    assert set(data["metrics"]) == {"loss", "accuracy", "precision", "recall", "f1"}
    assert data["class_names"] == ["0", "1"]
    assert np.array(data["confusion"]).sum() == 256
    assert [row["class"] for row in data["per_class"]] == ["0", "1"]
    assert data["wrong"] == 256 - np.trace(np.array(data["confusion"]))


def test_a_matching_template_or_project_is_accepted(
        xor_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "xor.dlstudio"
    save_project(Project(graph=build_template("xor")), project)
    for source in (["--template", "xor"], [str(project)]):
        code, out, err = run(capsys, *source, "--checkpoint", str(xor_checkpoint), "--json")
        assert code == 0 and err == "" and json.loads(out)["samples"] == 38


def test_regression_prints_its_metrics_and_no_classes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    x = np.linspace(0.0, 1.0, 100)
    table = tmp_path / "line.csv"
    table.write_text("x,y\n" + "".join(f"{a:.4f},{2 * a - 1:.4f}\n" for a in x))
    assert cli.main(["train", "--template", "linear-regression", "--data", f"csv:{table}:y",
                     "--epochs", "1", "--device", "cpu", "--out", str(tmp_path / "run")]) == 0
    capsys.readouterr()
    code, out, err = run(capsys, "--checkpoint", str(tmp_path / "run" / "last.pt"))
    assert code == 0 and err == ""
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["loss", "mse", "mae", "r2"]
    assert "confusion" not in out


@pytest.mark.parametrize(("argv", "words"), [
    (["--split", "test"], ["no test split"]),
    (["--data", "builtin:digits28"], ["trained on xor", "digits28"]),
    (["--data", "builtin:nonsense"], ["cannot load the data 'builtin:nonsense'"]),
    (["--template", "mlp"], ["template 'mlp' is not the network in", "leave out"]),
    (["--template", "no-such-template"], ["no-such-template"]),
    (["--device", "warp-drive"], ["--device 'warp-drive'"]),
    (["--split", "train"], ["invalid choice: 'train'"]),
])
def test_bad_input_is_one_line(xor_checkpoint: Path, capsys: pytest.CaptureFixture[str],
                               argv: list[str], words: list[str]) -> None:
    assert_user_error(*run(capsys, "--checkpoint", str(xor_checkpoint), *argv), *words)


def test_missing_or_broken_checkpoint(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "model.pt"
    assert_user_error(*run(capsys, "--checkpoint", str(path)), "no checkpoint file at",
                      str(path))
    path.write_bytes(b"not a checkpoint at all")
    assert_user_error(*run(capsys, "--checkpoint", str(path)), str(path))
    assert_user_error(*run(capsys, "--template", "xor", "--checkpoint", str(path)), str(path))


def test_checkpoint_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    assert_user_error(*run(capsys, "--template", "xor"), "--checkpoint")
