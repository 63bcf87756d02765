"""The `dlstudio` command line: run in-process through main() and once as a real process.

Contract (docs/cli.md): `--json` prints exactly one JSON object on stdout; bad input
exits 2 with one line on stderr and never a traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

from dlstudio.graph import Graph
from dlstudio.graph.project import Project, save_project
from dlstudio.graph.templates import build_template, template_names

from .cli_checks import refused, run

REPO = Path(__file__).resolve().parent.parent


assert_user_error = partial(refused, None)


def test_templates_lists_every_name(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "templates")
    assert code == 0 and err == ""
    listed = [line.split()[0] for line in out.splitlines()]
    assert listed == template_names()
    assert "138,357,544" in out


def test_templates_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "templates", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert [row["name"] for row in data["templates"]] == template_names()
    resnet = next(row for row in data["templates"] if row["name"] == "resnet18")
    assert resnet["total_params"] == 11_689_512 and resnet["title"] == "ResNet-18"
    assert {"description", "category"} <= set(resnet)


def test_summary_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "summary", "--template", "lenet5")
    assert code == 0 and err == ""
    assert "conv1 (Conv2d)" in out and "6×28×28" in out
    assert "Total params: 61,706" in out


def test_summary_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "summary", "--template", "resnet18", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["total_params"] == data["trainable_params"] == 11_689_512
    assert data["input_shape"] == [3, 224, 224] and data["output_shape"] == [1000]
    assert data["layers"][0] == {"name": "image", "type": "Input",
                                 "output_shape": [3, 224, 224], "params": 0, "macs": 0,
                                 "activation_bytes": 3 * 224 * 224 * 4}
    assert sum(row["params"] for row in data["layers"]) == 11_689_512


def test_summary_of_a_project_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "net.dlstudio"
    save_project(Project(graph=build_template("cnn-small")), path)
    code, out, err = run(capsys, "summary", str(path), "--json")
    assert code == 0 and err == ""
    assert json.loads(out)["total_params"] == 693_962


def test_vgg16_summary_as_a_real_process() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dlstudio", "summary", "--template", "vgg16", "--json"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)  # the whole of stdout is one JSON object
    assert data["total_params"] == 138_357_544
    assert data["output_shape"] == [1000]
    assert [row["type"] for row in data["layers"]].count("Conv2d") == 13


def test_unknown_template(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "summary", "--template", "vgg19", "--json")
    assert_user_error(code, out, err, "unknown template 'vgg19'", "vgg16", "resnet18")


def test_missing_project_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere.dlstudio"
    code, out, err = run(capsys, "summary", str(missing))
    assert_user_error(code, out, err, str(missing))


def test_malformed_project_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.dlstudio"
    path.write_text('{"format_version": 1, "graph": {"nodes": [\n', encoding="utf-8")
    code, out, err = run(capsys, "summary", str(path), "--json")
    assert_user_error(code, out, err, str(path), "JSON")


def test_graph_with_problems_lists_them(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    graph = Graph()
    image = graph.add_node("Input", name="image", params={"shape": (1, 28, 28)})
    dense = graph.add_node("Dense", name="fc1")
    graph.connect(image.id, dense.id)
    path = tmp_path / "unfinished.dlstudio"
    save_project(Project(graph=graph), path)
    code, out, err = run(capsys, "summary", str(path), "--json")
    assert_user_error(code, out, err, str(path), "2 problem(s)", '"fc1"', "Flatten",
                      "no Output")


@pytest.mark.parametrize("argv", [
    ["summary"],
    ["summary", "net.dlstudio", "--template", "mlp"],
    ["summary", "--template"],
    ["frobnicate"],
    [],
])
def test_usage_mistakes_are_one_line(argv: list[str],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert_user_error(code, out, err, "error:", "--help")


@pytest.mark.parametrize("argv", [
    ["summary", "--template", "mlp", "--bogus", "3"],
    ["train", "--template", "xor", "--batchsize", "8"],
    ["lr-find", "--template", "xor", "--epochs=3", "x"],
])
def test_an_unknown_flag_with_a_value_is_named(argv: list[str],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """argparse reads the unknown flag's value as PROJECT and said 'argument project: not
    allowed with argument --template', which names neither mistake."""
    code, out, err = run(capsys, *argv)
    flag = next(arg for arg in argv if arg.startswith("--") and arg != "--template")
    assert_user_error(code, out, err, f"unrecognized arguments: {flag.partition('=')[0]}")
    assert "project" not in err


def test_a_project_and_a_template_are_still_refused_as_such(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "train", "--template", "xor", "--epoch", "3", "a.dlstudio")
    assert_user_error(code, out, err, "argument project: not allowed with argument --template")


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "summary", "--help")
    assert code == 0 and "--template" in out and "--json" in out


def test_one_epoch_is_said_in_the_singular(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "train", "--template", "xor", "--epochs", "1",
                       "--out", str(tmp_path / "run"))
    assert code == 0, err
    assert "batches per epoch, 1 epoch\n" in err, err
