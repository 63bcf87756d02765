"""`dlstudio train --dry-run`: the plan is printed (or one JSON object), nothing trains and
nothing is written (no run folder, no checkpoint), and bad input is refused in one line
with exit code 2, as `train` refuses it."""

from __future__ import annotations

import json
import re
from functools import partial
from pathlib import Path

import pytest

from dlstudio.graph.project import Project, save_project
from dlstudio.graph.templates import build_template

from .cli_checks import refused
from .cli_checks import run as run_cli


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return run_cli(capsys, "train", "--dry-run", *argv)


assert_user_error = partial(refused, "train")


@pytest.fixture(autouse=True)
def _in_empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # where `train` would put runs/


def _files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*"))


def test_prints_the_plan_and_writes_nothing(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "out"
    code, out, err = run(capsys, "--template", "xor", "--epochs", "7", "--out", str(out_dir))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "xor on builtin:xor (dry run: nothing trained, nothing written)"
    assert re.fullmatch(r"memory: one batch of 16 needs [\d.]+ kB \(weights 132 bytes, "
                        r"gradients 132 bytes, Adam state 264 bytes, activations [\d.]+ kB\)"
                        r" of [\d.,]+ [GMT]B free", lines[1]), lines[1]
    assert re.match(r"time:   about \S+ (s|min) an epoch of \d+ batches on cpu.*, \S+ .*for 7 "
                    r"epochs$", lines[2]), lines[2]
    assert "a training batch" in lines[3] and "timed steps after a warm-up" in lines[3]
    assert "epoch 1/" not in err  # nothing trained
    assert _files(tmp_path) == []  # no runs/, no --out folder, no checkpoint


def test_json_gives_the_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--template", "mlp", "--batch-size", "32", "--json")
    assert code == 0
    plan = json.loads(out)
    assert plan["source"] == "mlp" and plan["batch_size"] == 32 and plan["fits"] is True
    memory = plan["memory"]
    assert memory["total_bytes"] == sum(memory[k] for k in (
        "parameter_bytes", "gradient_bytes", "optimizer_bytes", "activation_bytes"))
    assert memory["parameter_bytes"] == 101_770 * 4  # the mlp's parameters, float32
    time = plan["time"]
    assert time["train_batches"] > 0 and time["step_seconds"] > 0
    assert time["epoch_seconds"] > 0 and time["run_seconds"] > time["epoch_seconds"]
    assert _files(tmp_path) == []


def test_a_batch_that_cannot_fit_is_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--template", "mlp", "--memory-limit-gb", "0.000001")
    assert code == 0
    assert "warning: the model needs" in out and "train would refuse it" in out
    assert "time:" not in out
    code, out, _ = run(capsys, "--template", "mlp", "--memory-limit-gb", "0.000001", "--json")
    plan = json.loads(out)
    assert plan["fits"] is False and plan["time"] is None and "needs" in plan["warning"]


def test_a_project_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "xor.dlstudio"
    save_project(Project(graph=build_template("xor")), project)
    assert_user_error(*run(capsys, str(project)), "names no dataset", "--data")
    code, out, _ = run(capsys, str(project), "--data", "builtin:xor", "--json")
    assert code == 0 and json.loads(out)["time"]["epoch_seconds"] > 0
    assert _files(tmp_path) == [project]


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert_user_error(*run(capsys, "--template", "nope"), "nope")
    assert_user_error(*run(capsys, "--template", "mlp", "--batch-size", "0"), "--batch-size")
    assert_user_error(*run(capsys, "--template", "mlp", "--data", "builtin:xor"),
                      "does not fit")
    assert_user_error(*run(capsys, "--resume", str(tmp_path)), "--resume")
    assert_user_error(*run(capsys, "--template", "xor", "--folds", "3"), "--folds")
    assert _files(tmp_path) == []


def test_a_project_with_a_broken_graph_is_one_line_naming_the_file_and_nodes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was the compiler's list flattened to '- Dense ... - ReLU ...', without the file,
    and only after the data was checked (a graph with no dataset was refused for that)."""
    graph = build_template("xor")
    for edge_id in list(graph.edges)[:2]:
        graph.disconnect(edge_id)
    project = tmp_path / "broken.dlstudio"
    save_project(Project(graph=graph), project)
    for argv in ((), ("--data", "builtin:xor"), ("--data", "builtin:xor", "--json")):
        assert_user_error(*run(capsys, str(project), *argv), str(project), "2 problem(s)",
                          "its input is not connected; ")
        assert_user_error(*run_cli(capsys, "train", str(project), "--epochs", "1", *argv),
                          str(project), "2 problem(s)")
    assert _files(tmp_path) == [project]
