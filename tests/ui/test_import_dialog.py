"""File ▸ Import…: a .py file's class is listed without running the file, runs only once
the user confirms, and becomes a saved, opened project with its weights beside it; bad
files are one line and the open project stays."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from dlstudio.ui.byom.import_dialog import PythonImportDialog, declared_shapes, parse_shapes
from dlstudio.ui.byom.install import install_byom

MODEL = '''
import pathlib
import torch
from torch import nn

pathlib.Path(__file__).with_name("ran.txt").write_text("the file ran")


class Net(nn.Module):
    input_shapes = [(1, 8, 8)]

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 8 * 8, 3)

    def forward(self, x):
        return self.fc(torch.flatten(torch.relu(self.conv(x)), 1))


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(5, 2)

    def forward(self, x):
        return self.fc(x)
'''


@pytest.fixture
def app(gui, tmp_path: Path):
    window, ui = gui
    byom = install_byom(window, ui.panel.form)
    model = tmp_path / "model.py"
    model.write_text(MODEL)
    return window, ui, byom.importer, model


def _answers(importer, qtbot, *, class_name: str = "Net", shape: str | None = None,
             accept: bool = True, project: Path | None = None) -> dict:
    """Answer the questions as a user would, through the real dialog."""
    seen: dict = {}

    def choose(dialog: PythonImportDialog) -> bool:
        dialog.show()
        qtbot.waitExposed(dialog)
        seen["warning"] = dialog.warning.text()
        seen["classes"] = [dialog.classes.item(i).text() for i in range(dialog.classes.count())]
        seen["ran_before_confirm"] = (project or Path()).with_name("ran.txt").exists()
        dialog.classes.setCurrentRow(seen["classes"].index(class_name))
        seen["prefilled"] = dialog.shape_edit.text()
        if shape is not None:
            dialog.shape_edit.setText(shape)
        button = QDialogButtonBox.StandardButton.Ok if accept else \
            QDialogButtonBox.StandardButton.Cancel
        qtbot.mouseClick(dialog.buttons.button(button), Qt.MouseButton.LeftButton)
        seen["problem"] = dialog.problem.text()
        return dialog.result() == 1

    importer.ask_python_choice = choose
    importer.ask_project_path = lambda default: seen.setdefault("default", default) and project
    return seen


def test_a_class_is_imported_saved_and_opened_with_its_weights(app, qtbot) -> None:
    window, ui, importer, model = app
    project = model.with_name("net.dlstudio")
    seen = _answers(importer, qtbot, project=project)
    importer.ask_source_path = lambda: model
    window.action_map["import_model"].trigger()

    assert "runs this file's Python code" in seen["warning"]
    assert seen["classes"] == ["Net", "Mlp"] and not seen["ran_before_confirm"]
    assert seen["prefilled"] == "1,8,8"
    assert seen["default"] == model.with_name("model.dlstudio")
    assert window.document.path == project and project.exists()
    assert model.with_name("net.pt").exists()
    assert ui.panel.form.settings().weights == "net.pt"
    types = sorted(n.type for n in window.document.graph.nodes.values())
    assert {"Input", "Conv2d", "Dense", "Output"} <= set(types)
    assert not window.document.is_modified()
    assert "Imported" in window.statusBar().currentMessage()
    assert window.view.canvas_scene.nodes  # laid out on the canvas


def test_cancelling_the_warning_runs_nothing(app, qtbot) -> None:
    window, ui, importer, model = app
    before = window.document
    _answers(importer, qtbot, accept=False, project=model.with_name("net.dlstudio"))
    assert not importer.import_model(model)
    assert not model.with_name("ran.txt").exists()
    assert window.document is before


def test_a_shape_the_class_does_not_declare_is_asked_and_checked(app, qtbot) -> None:
    window, ui, importer, model = app
    seen = _answers(importer, qtbot, class_name="Mlp", shape="five",
                    project=model.with_name("mlp.dlstudio"))
    assert not importer.import_model(model)
    assert seen["prefilled"] == "" and "whole numbers" in seen["problem"]
    seen = _answers(importer, qtbot, class_name="Mlp", shape="5",
                    project=model.with_name("mlp.dlstudio"))
    assert importer.import_model(model)
    assert window.document.path == model.with_name("mlp.dlstudio")


@pytest.mark.parametrize("source, words", [
    ("class Broken(nn.Module:\n", "syntax error"),
    ("from torch import nn\nclass Net(nn.Module):\n    input_shapes = [(4,)]\n"
     "    def __init__(self):\n        super().__init__()\n        raise RuntimeError('no')\n",
     "RuntimeError"),
    ("x = 1\n", "no nn.Module class"),
])
def test_a_bad_file_is_one_line_and_the_project_stays(app, qtbot, tmp_path: Path,
                                                      source: str, words: str) -> None:
    window, ui, importer, _model = app
    window.files.new_from_template("xor")
    before = window.document
    bad = tmp_path / "bad.py"
    bad.write_text(source)
    _answers(importer, qtbot, project=tmp_path / "bad.dlstudio")
    assert not importer.import_model(bad)
    assert words in window.last_error and "\n" not in window.last_error
    assert window.document is before
    assert not (tmp_path / "bad.dlstudio").exists()


def test_keeping_unsaved_work_leaves_the_import_on_disk(app, qtbot) -> None:
    window, ui, importer, model = app
    window.files.new_from_template("xor")
    window.document.editor.add_node("Dense", (0.0, 400.0))  # an unsaved change
    before = window.document
    window.files.ask_save_changes = lambda: QMessageBox.StandardButton.Cancel
    project = model.with_name("net.dlstudio")
    _answers(importer, qtbot, project=project)
    assert not importer.import_model(model)
    assert window.document is before and before.is_modified()
    assert project.exists() and "File ▸ Open" in window.statusBar().currentMessage()


def test_shapes_are_read_from_the_source_without_running_it(tmp_path: Path) -> None:
    model = tmp_path / "model.py"
    model.write_text(MODEL)
    assert declared_shapes(model) == {"Net": [(1, 8, 8)]}
    assert not (tmp_path / "ran.txt").exists()
    assert parse_shapes("3,224,224") == [(3, 224, 224)]
    assert parse_shapes("1,28,28; 10") == [(1, 28, 28), (10,)]
    assert parse_shapes(" ") is None
    with pytest.raises(ValueError, match="positive"):
        parse_shapes("0,3")


def _onnx_file(path: Path, op: str) -> Path:
    """Gemm(4 -> 3) then `op`: a small ONNX model made here."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weight = numpy_helper.from_array(np.ones((3, 4), dtype=np.float32), "fc.weight")
    nodes = [helper.make_node("Gemm", ["x", "fc.weight"], ["h"], transB=1, name="fc"),
             helper.make_node(op, ["h"], ["y"], name="act")]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])], [weight])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]),
              str(path))
    return path


def test_an_onnx_file_is_imported_without_questions_about_code(app, qtbot,
                                                               tmp_path: Path) -> None:
    window, ui, importer, _model = app
    source = _onnx_file(tmp_path / "tiny.onnx", "Relu")
    seen = _answers(importer, qtbot, project=tmp_path / "tiny.dlstudio")
    assert importer.import_model(source)
    assert "warning" not in seen  # no Python dialog: nothing runs
    assert seen["default"] == tmp_path / "tiny.dlstudio"
    assert window.document.path == tmp_path / "tiny.dlstudio"
    assert ui.panel.form.settings().weights == "tiny.pt"
    assert {"Dense", "ReLU"} <= {n.type for n in window.document.graph.nodes.values()}


def test_an_onnx_operator_without_a_layer_is_one_line(app, qtbot, tmp_path: Path) -> None:
    window, ui, importer, _model = app
    before = window.document
    _answers(importer, qtbot, project=tmp_path / "odd.dlstudio")
    assert not importer.import_model(_onnx_file(tmp_path / "odd.onnx", "Cos"))
    assert "Cos" in window.last_error and "\n" not in window.last_error
    assert window.document is before
