"""`dlstudio train`: real training runs through main() (and once as a real process, and
once interrupted with Ctrl+C), their JSON output and files; bad input exits 2 in one line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import pytest
import torch

from dlstudio.graph import Graph
from dlstudio.graph.project import Project, save_project
from dlstudio.graph.templates import build_template
from dlstudio.train import load_checkpoint

from .cli_checks import refused, run

REPO = Path(__file__).resolve().parent.parent


assert_user_error = partial(refused, "train")


def test_xor_as_a_process_prints_one_json_object(tmp_path: Path) -> None:
    out = tmp_path / "xor"
    done = subprocess.run(
        [sys.executable, "-m", "dlstudio", "train", "--template", "xor", "--epochs", "20",
         "--seed", "1", "--device", "cpu", "--out", str(out), "--json"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
        text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert {"epochs", "final", "checkpoint", "device", "seconds"} <= set(result)
    assert len(result["epochs"]) == 20
    first, last = result["epochs"][0], result["epochs"][-1]
    assert {"loss", "accuracy"} <= set(first["train"]) and {"loss", "accuracy"} <= set(
        first["val"])
    assert last["train"]["loss"] < first["train"]["loss"] / 5
    assert result["final"] == last["val"] and result["final"]["accuracy"] == 1.0
    assert result["device"].startswith("cpu") and result["seconds"] > 0
    assert Path(result["checkpoint"]).is_file()
    assert load_checkpoint(result["checkpoint"]).epoch == 20
    # Progress went to stderr: the opening line, then one line per epoch.
    lines = done.stderr.strip().splitlines()
    epoch_lines = [line for line in lines if line.startswith("epoch ")]
    assert len(epoch_lines) == 20 and "20/20" in epoch_lines[-1]
    assert "val loss" in epoch_lines[0] and "acc" in epoch_lines[0]


def test_linear_regression_learns_the_line(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    code, out, err = run(capsys, "train", "--template", "linear-regression", "--device",
                         "cpu", "--out", str(tmp_path), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert {"loss", "mae", "r2"} <= set(result["final"])
    assert result["final"]["r2"] > 0.8
    weights = load_checkpoint(result["checkpoint"]).model_state
    assert weights["linear.weight"].item() == pytest.approx(3.0, abs=0.3)
    assert weights["linear.bias"].item() == pytest.approx(0.5, abs=0.2)


def test_project_file_with_its_dataset_and_settings(capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path) -> None:
    project = tmp_path / "xor.dlstudio"
    save_project(Project(graph=build_template("xor"), dataset={"spec": "builtin:xor"},
                         training={"epochs": 3, "batch_size": 32, "lr": 0.05}), project)
    code, out, err = run(capsys, "train", str(project), "--epochs", "2", "--out",
                         str(tmp_path / "run"))
    assert code == 0, err
    assert "2/2" in err and "1/2" in err  # --epochs overrides the project's 3
    assert out.startswith("done in ") and "val loss" in out and "last.pt" in out
    checkpoint = load_checkpoint(tmp_path / "run" / "last.pt")
    assert checkpoint.settings.batch_size == 32 and checkpoint.settings.epochs == 2
    assert checkpoint.data_info.name == "xor"


def test_ctrl_c_stops_cleanly_and_keeps_the_last_checkpoint(tmp_path: Path) -> None:
    out = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "dlstudio", "train", "--template", "xor", "--epochs", "100000",
         "--device", "cpu", "--out", str(out), "--json"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (out / "last.pt").is_file() and time.monotonic() < deadline:
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "stopped by request" in stderr
    result = json.loads(stdout)
    assert result["stopped"] is True and result["checkpoint"] == str(out / "last.pt")
    checkpoint = load_checkpoint(out / "last.pt")
    assert checkpoint.epoch == len(result["epochs"]) >= 1


# ----- bad input: exit 2, one line ------------------------------------------------------------
@pytest.mark.parametrize(("args", "words"), [
    (["--data", "builtin:nope"], ["'nope'", "digits28"]),
    (["--data", "mnist"], ["data spec", "builtin:NAME"]),
    (["--data", "csv:/no/such/file.csv"], ["/no/such/file.csv"]),
    (["--data", "builtin:linear"], ["1 feature", "expects 2"]),
    (["--epochs", "0"], ["epochs"]),
    (["--lr", "-1"], ["'lr'"]),
    (["--device", "gpu"], ["'gpu'"]),
    (["--batch-size", "many"], ["--batch-size", "many"]),
])
def test_bad_input_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                               args: list[str], words: list[str]) -> None:
    code, out, err = run(capsys, "train", "--template", "xor", "--out", str(tmp_path), *args)
    if args[0] == "--batch-size":  # argparse's own message
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
        assert all(word in err for word in words), err
        return
    assert_user_error(code, out, err, *words)
    assert not (tmp_path / "last.pt").exists()


def test_image_shape_mismatch_names_both_shapes(capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:
    code, out, err = run(capsys, "train", "--template", "mlp", "--data", "builtin:xor",
                         "--out", str(tmp_path))
    assert_user_error(code, out, err, "2 features", "1×28×28")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_requested_without_cuda(capsys: pytest.CaptureFixture[str],
                                     tmp_path: Path) -> None:
    code, out, err = run(capsys, "train", "--template", "xor", "--device", "cuda",
                         "--out", str(tmp_path))
    assert_user_error(code, out, err, "CUDA", "not available")


def test_graph_problems(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    graph = Graph()
    source = graph.add_node("Input", name="image", params={"kind": "image",
                                                           "shape": (1, 28, 28)})
    dense = graph.add_node("Dense", name="fc", params={"units": 10})
    output = graph.add_node("Output", name="out", params={"loss": "cross_entropy"})
    graph.connect(source.id, dense.id)
    graph.connect(dense.id, output.id)
    project = tmp_path / "broken.dlstudio"
    save_project(Project(graph=graph, dataset={"spec": "builtin:digits28"}), project)
    code, out, err = run(capsys, "train", str(project), "--out", str(tmp_path / "run"))
    assert_user_error(code, out, err, '"fc"', "Flatten")


def test_project_without_dataset(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    project = tmp_path / "nodata.dlstudio"
    save_project(Project(graph=build_template("xor")), project)
    code, out, err = run(capsys, "train", str(project))
    assert_user_error(code, out, err, "nodata.dlstudio", "--data")


def test_bad_training_setting_in_project(capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    project = tmp_path / "typo.dlstudio"
    save_project(Project(graph=build_template("xor"), dataset={"spec": "builtin:xor"},
                         training={"epoch": 3}), project)
    code, out, err = run(capsys, "train", str(project))
    assert_user_error(code, out, err, "'epoch'")


def test_missing_project_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "train", str(tmp_path / "none.dlstudio"))
    assert_user_error(code, out, err, "none.dlstudio")
