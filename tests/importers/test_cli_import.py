"""`dlstudio import`: exit 0 with a project and weights that predict and export accept;
exit 2 with one line for every kind of bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from dlstudio.cli.main import main
from dlstudio.compile.codegen import generate_source
from dlstudio.graph.project import load_project
from dlstudio.graph.templates import build_template
from dlstudio.train.checkpoint import load_checkpoint


@pytest.fixture
def cnn_file(tmp_path):
    path = tmp_path / "cnn.py"
    path.write_text(generate_source(build_template("cnn-small"), "Net"), encoding="utf-8")
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_import_writes_a_project_and_a_checkpoint_that_predict_and_export_use(
        cnn_file, tmp_path, capsys):
    project = tmp_path / "imported.dlstudio"
    code, out, err = run(capsys, "import", f"{cnn_file}:Net", "-o", str(project), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["nodes"] == 10 and report["params"] == 693_962
    weights = tmp_path / "imported.pt"
    assert report["weights"] == str(weights)
    assert load_project(project).training == {"weights": "imported.pt"}
    checkpoint = load_checkpoint(weights)
    assert checkpoint.epoch == 0 and checkpoint.history == []
    assert checkpoint.data_info.num_classes == 10

    image = tmp_path / "digit.png"
    Image.fromarray((np.random.default_rng(0).random((28, 28)) * 255).astype("uint8")).save(image)
    code, out, err = run(capsys, "predict", "--checkpoint", str(weights), str(image), "--json")
    assert code == 0, err
    assert len(json.loads(out)["predictions"][0]["top"]) == 5

    exported = tmp_path / "model.onnx"
    code, out, err = run(capsys, "export", "--checkpoint", str(weights), "--format", "onnx",
                         "-o", str(exported))
    assert code == 0, err
    assert exported.is_file()


def test_text_report_and_input_shape_option(tmp_path, capsys):
    source = tmp_path / "mlp.py"
    source.write_text("from torch import nn\n\n\nclass Net(nn.Sequential):\n"
                      "    def __init__(self):\n"
                      "        super().__init__(nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 1))\n",
                      encoding="utf-8")
    project = tmp_path / "mlp.dlstudio"
    code, out, err = run(capsys, "import", f"{source}:Net", "-o", str(project),
                         "--input-shape", "6")
    assert code == 0, err
    assert "imported mlp.py:Net: 5 nodes, 33 parameters" in out
    assert "note: the loss is a guess" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["model.txt"], "is not file.py:Class, model.onnx or torchvision:NAME"),
    (["{cnn}:Missing"], "Missing is not defined in cnn.py"),
    (["{cnn}:Net", "--input-shape", "1,x"], "is not sizes like 3,224,224"),
    (["{cnn}:Net", "--input-shape", "3,5,5"], "does not run on inputs of shape"),
    (["nowhere.onnx"], "no ONNX file at nowhere.onnx"),
    (["{cnn}:Net", "-o", "{tmp}/out.json"], "a project file ends in .dlstudio"),
])
def test_bad_input_exits_2_with_one_line(argv, message, cnn_file, tmp_path, capsys):
    argv = [a.format(cnn=cnn_file, tmp=tmp_path) for a in argv]
    if "-o" not in argv:
        argv += ["-o", str(tmp_path / "out.dlstudio")]
    code, out, err = run(capsys, "import", *argv)
    assert code == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "out.dlstudio").exists() and not (tmp_path / "out.pt").exists()


def test_a_weights_path_that_cannot_be_written_is_the_one_named(cnn_file, tmp_path, capsys):
    (tmp_path / "w.pt").mkdir()
    code, out, err = run(capsys, "import", f"{cnn_file}:Net", "-o", str(tmp_path / "w.dlstudio"))
    assert code == 2
    assert f"cannot write {tmp_path / 'w.pt'}:" in err and err.count("\n") == 1
    assert not (tmp_path / "w.dlstudio").exists()


def test_a_file_that_calls_sys_exit_exits_2_with_a_line(tmp_path, capsys):
    source = tmp_path / "ex.py"
    source.write_text("import sys\nfrom torch import nn\nsys.exit(3)\n", encoding="utf-8")
    code, out, err = run(capsys, "import", f"{source}:Net", "-o", str(tmp_path / "o.dlstudio"))
    assert code == 2
    assert "ex.py:3: ex.py called sys.exit(3) while being imported" in err
