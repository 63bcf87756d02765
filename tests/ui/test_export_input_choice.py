"""File > Export…'s Input choice, driven as a user would: trained weights export with raw
input by default, the box switches to prepared input, and it is greyed out where there is
no choice (fresh weights, a state_dict)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch
from PySide6.QtCore import QPoint, QSettings, Qt

from dlstudio.compile import compile_graph
from dlstudio.data import load_data, preprocess
from dlstudio.graph import Graph
from dlstudio.graph.templates.builder import Builder
from dlstudio.train.checkpoint import load_checkpoint, save_checkpoint
from dlstudio.train.settings import defaults_for_template
from dlstudio.ui.export_dialog import ExportDialog

TIMEOUT_MS = 60_000
ROWS = np.array([[120.0, -4.0, 25_000.0], [900.0, 1.5, 21_000.0]], dtype=np.float32)


def _graph() -> Graph:
    b = Builder()
    b.add("Input", "features", kind="vector", shape=(3,))
    b.add("Dense", "fc", units=2)
    b.add("Output", "output", loss="mse")
    return b.graph


@pytest.fixture
def trained(tmp_path: Path) -> tuple[Path, Graph, torch.nn.Module]:
    """A checkpoint of a CSV whose columns training standardised (weights seeded, not
    trained: the input is what is under test)."""
    rng = np.random.default_rng(1)
    rows = [f"{rng.uniform(0, 1000):.2f},{rng.normal(-5, 2):.2f},{rng.uniform(2e4, 3e4):.0f},"
            f"{rng.normal():.3f},{rng.normal():.3f}" for _ in range(60)]
    table = tmp_path / "table.csv"
    table.write_text("area,slope,price,y1,y2\n" + "\n".join(rows) + "\n", encoding="utf-8")
    spec = f"csv:{table}:y1,y2"
    graph = _graph()
    torch.manual_seed(3)
    model = compile_graph(graph).eval()
    settings = dataclasses.replace(defaults_for_template("xor"), data=spec)
    path = tmp_path / "best.pt"
    save_checkpoint(path, graph=graph, settings=settings, data_info=load_data(spec).info,
                    model_state=model.state_dict(), optimizer_state={}, history=[], epoch=2)
    return path, graph, model


@pytest.fixture
def dialog(qtbot, tmp_path: Path, trained: tuple[Path, Graph, torch.nn.Module]):
    out = tmp_path / "out"
    out.mkdir()
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    made = ExportDialog(trained[1], "table", folder=out, checkpoint=trained[0],
                        settings=settings)
    qtbot.addWidget(made)
    made.show()
    qtbot.waitUntil(lambda: not made.is_busy(), timeout=TIMEOUT_MS)
    yield made
    made.close()
    qtbot.waitUntil(lambda: not made.is_busy(), timeout=TIMEOUT_MS)


def _export(qtbot, dialog: ExportDialog, fmt: str, path: Path) -> dict:
    dialog.format_box.setCurrentIndex(dialog.format_box.findData(fmt))
    dialog.path_edit.clear()
    qtbot.keyClicks(dialog.path_edit, str(path))
    with qtbot.waitSignal(dialog.export_finished, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0], dialog.message.text()
    return json.loads(path.with_name(path.name + ".card.json").read_text(encoding="utf-8"))


def _onnx(path: Path, rows: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"features": rows})[0]


def test_raw_input_is_the_default_and_prepared_is_one_choice_away(
        qtbot, dialog: ExportDialog, trained: tuple[Path, Graph, torch.nn.Module],
        tmp_path: Path) -> None:
    assert dialog.trained_radio.isChecked()
    assert dialog.input_box.isEnabled() and dialog.input_box.currentData() == "raw"
    assert "go inside the model" in dialog.input_note.text()
    card = _export(qtbot, dialog, "onnx", tmp_path / "out" / "raw.onnx")
    assert card["input"]["form"] == "raw"
    assert "Input: the data's own values (area, slope, price)" in dialog.message.text()
    assert "the preprocessing inside matches training's" in dialog.message.text()

    info = load_checkpoint(trained[0]).data_info
    prepared = torch.stack([preprocess(info, row) for row in ROWS])
    with torch.no_grad():
        want = trained[2](prepared).numpy()
    assert np.max(np.abs(_onnx(tmp_path / "out" / "raw.onnx", ROWS) - want)) <= 1e-4

    dialog.input_box.setCurrentIndex(dialog.input_box.findData("prepared"))
    assert "Prepare input as in training first" in dialog.input_note.text()
    card = _export(qtbot, dialog, "onnx", tmp_path / "out" / "prepared.onnx")
    assert card["input"]["form"] == "prepared"
    assert np.max(np.abs(_onnx(tmp_path / "out" / "prepared.onnx", prepared.numpy())
                         - want)) <= 1e-4
    assert np.max(np.abs(_onnx(tmp_path / "out" / "prepared.onnx", ROWS) - want)) > 1e-2


def test_the_input_box_is_greyed_out_where_there_is_no_choice(
        qtbot, dialog: ExportDialog) -> None:
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("state_dict"))
    assert not dialog.input_box.isEnabled()
    assert dialog.input_note.text().startswith("Weights only")
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("torchscript"))
    assert dialog.input_box.isEnabled()
    indicator = QPoint(8, dialog.fresh_radio.height() // 2)  # the row is wider than its text
    qtbot.mouseClick(dialog.fresh_radio, Qt.MouseButton.LeftButton, pos=indicator)
    assert dialog.fresh_radio.isChecked()
    assert not dialog.input_box.isEnabled()
    assert dialog.input_note.text().startswith("Fresh weights have no training data")


def test_the_raw_choice_names_the_datas_values_and_fresh_weights_hide_the_checkpoint(
        qtbot, dialog: ExportDialog, tmp_path: Path) -> None:
    assert dialog.input_box.itemText(0) == "Raw: what the data holds (the CSV's own columns)"
    assert dialog.weights_note.isVisible() and "best.pt" in dialog.weights_note.text()
    indicator = QPoint(8, dialog.fresh_radio.height() // 2)
    qtbot.mouseClick(dialog.fresh_radio, Qt.MouseButton.LeftButton, pos=indicator)
    assert not dialog.weights_note.isVisible()  # its weights are not the ones exported
    qtbot.mouseClick(dialog.trained_radio, Qt.MouseButton.LeftButton, pos=indicator)
    assert dialog.weights_note.isVisible()
    b = Builder()
    b.add("Input", "image", kind="image", shape=(1, 8, 8))
    b.add("Flatten", "flat")
    b.add("Dense", "fc", units=10)
    b.add("Output", "output", loss="cross_entropy")
    images = ExportDialog(b.graph, "digits", folder=tmp_path)
    qtbot.addWidget(images)
    assert images.input_box.itemText(0) == "Raw: what the data holds (pixel values 0–255)"


def test_a_long_result_grows_the_dialog_instead_of_squeezing_the_form(
        qtbot, dialog: ExportDialog, tmp_path: Path) -> None:
    """The raw-input result names every preprocessing step; the rows above it keep their
    height (at 1366x768 the Input box and the path were cut in half)."""
    _export(qtbot, dialog, "onnx", tmp_path / "out" / "model.onnx")
    qtbot.wait(50)
    for row in (dialog.input_box, dialog.path_edit, dialog.format_box):
        assert row.height() >= row.minimumSizeHint().height()
    assert dialog.height() >= dialog.layout().totalHeightForWidth(dialog.width())
