"""File > Export… driven as a user would: pick a format, type a path, click Export.

Real exports of the xor template run on the dialog's worker thread; the files are loaded
back the way their users will load them (onnxruntime, torch.jit.load, torch.load with
weights_only=True, importing the generated source).
"""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from dlstudio.compile import compile_graph
from dlstudio.data import load_data
from dlstudio.export import build_model
from dlstudio.graph import Graph
from dlstudio.graph.templates import build_template
from dlstudio.train.checkpoint import save_checkpoint
from dlstudio.train.settings import defaults_for_template
from dlstudio.ui import export_dialog
from dlstudio.ui.export_dialog import ExportDialog
from dlstudio.ui.main_window import MainWindow

EXPORT_TIMEOUT_MS = 60_000
SAMPLE = np.array([[0.0, 1.0], [1.0, 1.0]], dtype=np.float32)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """The export folder, holding nothing but what the dialog writes."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def make_dialog(qtbot, tmp_path: Path, out: Path):
    dialogs: list[ExportDialog] = []

    def make(graph: Graph | None = None, checkpoint: Path | None = None) -> ExportDialog:
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        dialog = ExportDialog(graph or build_template("xor"), "xor", folder=out,
                              checkpoint=checkpoint, settings=settings)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=EXPORT_TIMEOUT_MS)
        dialogs.append(dialog)
        return dialog

    yield make
    for dialog in dialogs:  # no test leaves a thread running
        dialog.close()
        qtbot.waitUntil(lambda d=dialog: not d.is_busy(), timeout=EXPORT_TIMEOUT_MS)


def choose(qtbot, dialog: ExportDialog, fmt: str, path: Path) -> None:
    dialog.format_box.setCurrentIndex(dialog.format_box.findData(fmt))
    dialog.path_edit.clear()
    qtbot.keyClicks(dialog.path_edit, str(path))


def export(qtbot, dialog: ExportDialog, fmt: str, path: Path) -> bool:
    choose(qtbot, dialog, fmt, path)
    with qtbot.waitSignal(dialog.export_finished, timeout=EXPORT_TIMEOUT_MS) as blocker:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    return bool(blocker.args[0])


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")
@pytest.mark.parametrize(("fmt", "name"), [("onnx", "xor.onnx"), ("torchscript", "xor.ts"),
                                           ("state_dict", "xor.pt"), ("python", "xor.py")])
def test_each_format_is_written_and_loads(qtbot, make_dialog, out: Path, fmt: str,
                                          name: str) -> None:
    dialog = make_dialog()
    assert export(qtbot, dialog, fmt, out / name)
    expected = build_model(build_template("xor"), None).eval()
    with torch.no_grad():
        want = expected(torch.from_numpy(SAMPLE)).numpy()
    if fmt == "onnx":
        session = onnxruntime.InferenceSession(str(out / name),
                                               providers=["CPUExecutionProvider"])
        (got,) = session.run(None, {"features": SAMPLE})
    elif fmt == "torchscript":
        got = torch.jit.load(str(out / name))(torch.from_numpy(SAMPLE)).detach().numpy()
    elif fmt == "state_dict":
        state = torch.load(out / name, weights_only=True)
        assert set(state) == set(compile_graph(build_template("xor")).state_dict())
        model = compile_graph(build_template("xor")).eval()
        model.load_state_dict(state)
        got = model(torch.from_numpy(SAMPLE)).detach().numpy()
    else:
        spec = importlib.util.spec_from_file_location("exported_xor", out / name)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        model = module.Model().eval()
        model.load_state_dict(torch.load(out / "xor.pt", weights_only=True))
        got = model(torch.from_numpy(SAMPLE)).detach().numpy()
    np.testing.assert_allclose(got, want, atol=1e-5)
    card = json.loads((out / f"{name}.card.json").read_text())
    assert card["format"] == fmt and "not trained" in card["source"]["weights"]
    assert dialog.message_kind == "success" and dialog.progress.value() == 100
    text = dialog.message.text()
    assert str(out) in text and name in text and f"{name}.card.json" in text
    assert "Checks passed" in text
    assert dialog.export_button.isEnabled() and dialog.format_box.isEnabled()
    if fmt == "onnx":
        assert "onnxruntime gives PyTorch's output" in text


def test_format_change_follows_the_default_file_name(make_dialog, out: Path) -> None:
    dialog = make_dialog()
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("python"))
    assert dialog.target() == out / "xor.py"
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("onnx"))
    assert dialog.target() == out / "xor.onnx"
    dialog.path_edit.setText("mine.bin")  # a name of the user's own is kept, in the folder
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("torchscript"))
    assert dialog.target() == out / "mine.bin"


def test_onnx_is_greyed_out_with_the_reason_when_packages_are_missing(
        monkeypatch, make_dialog) -> None:
    monkeypatch.setattr(export_dialog, "missing_packages", lambda: ["onnxruntime"])
    dialog = make_dialog()
    index = dialog.format_box.findData("onnx")
    assert not dialog.format_box.model().item(index).isEnabled()
    assert dialog.fmt != "onnx"
    assert "pip install onnxruntime" in dialog.format_note.text()


def test_a_graph_with_problems_is_refused_with_its_problems(qtbot, make_dialog,
                                                            out: Path) -> None:
    graph = build_template("xor")
    fc2 = graph.node_by_name("fc2")
    graph.disconnect(graph.edge_into(fc2.id, "in").id)
    dialog = make_dialog(graph)
    assert not dialog.export_button.isEnabled()
    assert dialog.message_kind == "error"
    assert "cannot be exported" in dialog.message.text() and "fc2" in dialog.message.text()
    choose(qtbot, dialog, "state_dict", out / "broken.pt")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert not dialog.is_busy() and files_in(out) == []


def test_an_invalid_path_shows_the_error_and_writes_nothing(qtbot, make_dialog,
                                                            out: Path) -> None:
    dialog = make_dialog()
    assert not export(qtbot, dialog, "state_dict", out / "missing" / "xor.pt")
    assert dialog.message_kind == "error" and "does not exist" in dialog.message.text()
    assert not export(qtbot, dialog, "python", out / "xor.txt")
    assert ".py" in dialog.message.text() and files_in(out) == []
    # nothing lost: the same dialog exports once the path is fixed
    assert export(qtbot, dialog, "state_dict", out / "xor.pt")
    assert files_in(out) == ["xor.pt", "xor.pt.card.json"]


def test_replacing_files_asks_first(qtbot, make_dialog, out: Path) -> None:
    (out / "xor.pt").write_bytes(b"keep me")
    dialog = make_dialog()
    asked: list[list[Path]] = []
    dialog.ask_replace = lambda existing: asked.append(existing) or False
    choose(qtbot, dialog, "state_dict", out / "xor.pt")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert asked == [[out / "xor.pt"]] and not dialog.is_busy()
    assert (out / "xor.pt").read_bytes() == b"keep me"


@pytest.fixture
def slow_conversion(monkeypatch) -> None:
    """torch's real ONNX conversion, started a second late: a small model converts so
    fast that the indeterminate stage could come and go between two looks of the test."""
    convert = torch.onnx.export

    def late(*args, **kwargs):
        time.sleep(1.0)
        return convert(*args, **kwargs)

    monkeypatch.setattr(torch.onnx, "export", late)


def _start_onnx_export(qtbot, dialog: ExportDialog, path: Path) -> None:
    """Start an ONNX export and wait until torch's conversion (the long step) runs."""
    choose(qtbot, dialog, "onnx", path)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.progress.maximum() == 0, timeout=EXPORT_TIMEOUT_MS)
    assert "Exporting to ONNX" in dialog.status.text()  # the bar is indeterminate now


def test_cancel_stops_the_export_and_writes_nothing(qtbot, make_dialog, out: Path,
                                                    slow_conversion) -> None:
    dialog = make_dialog()
    _start_onnx_export(qtbot, dialog, out / "xor.onnx")
    assert not dialog.export_button.isEnabled() and not dialog.path_edit.isEnabled()
    with qtbot.waitSignal(dialog.export_finished, timeout=EXPORT_TIMEOUT_MS) as blocker:
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [False]
    assert dialog.message_kind == "info" and "cancelled" in dialog.message.text()
    assert files_in(out) == [] and dialog.export_button.isEnabled()


def test_closing_while_exporting_cancels_and_waits(qtbot, make_dialog, out: Path,
                                                   slow_conversion) -> None:
    dialog = make_dialog()
    _start_onnx_export(qtbot, dialog, out / "xor.onnx")
    with qtbot.waitSignal(dialog.export_finished, timeout=EXPORT_TIMEOUT_MS):
        dialog.close()
        assert dialog.isVisible() and "Cancelling" in dialog.status.text()
    assert not dialog.isVisible() and not dialog.is_busy() and files_in(out) == []


def _checkpoint(path: Path, graph: Graph) -> dict[str, torch.Tensor]:
    torch.manual_seed(7)
    state = compile_graph(graph).state_dict()
    settings = defaults_for_template("xor")
    save_checkpoint(path, graph=graph, settings=settings,
                    data_info=load_data(settings.data).info, model_state=state,
                    optimizer_state={}, history=[], epoch=3)
    return state


def test_trained_weights_from_the_last_run_are_exported(qtbot, make_dialog, tmp_path: Path,
                                                        out: Path) -> None:
    state = _checkpoint(tmp_path / "best.pt", build_template("xor"))
    dialog = make_dialog(checkpoint=tmp_path / "best.pt")
    assert dialog.trained_radio.isEnabled() and dialog.trained_radio.isChecked()
    assert export(qtbot, dialog, "state_dict", out / "xor.pt")
    loaded = torch.load(out / "xor.pt", weights_only=True)
    assert all(torch.equal(loaded[key], value) for key, value in state.items())
    card = json.loads((out / "xor.pt.card.json").read_text())
    assert card["source"]["epoch"] == 3 and card["class_names"]


def test_a_changed_graph_offers_fresh_weights_only(make_dialog, tmp_path: Path) -> None:
    _checkpoint(tmp_path / "best.pt", build_template("xor"))
    graph = build_template("xor")
    graph.set_param(graph.node_by_name("fc1").id, "units", 4)
    dialog = make_dialog(graph, checkpoint=tmp_path / "best.pt")
    assert not dialog.trained_radio.isEnabled() and dialog.fresh_radio.isChecked()
    assert "changed since the last run" in dialog.weights_note.text()
    assert '"fc1"' in dialog.weights_note.text()


def test_file_export_opens_the_dialog_with_ctrl_e(qtbot, monkeypatch, tmp_path: Path) -> None:
    window = MainWindow(QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat),
                        recovery_dir=tmp_path / "recovery")
    window.files.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    action = window.action_map["export"]
    assert action.shortcut().toString() == "Ctrl+E"
    file_menu = dict(window._menus)["File"]
    assert action in file_menu.actions() and window.trained_checkpoint is None
    window.files.new_from_template("xor")
    window.trained_checkpoint = tmp_path / "best.pt"
    opened: list[ExportDialog] = []
    monkeypatch.setattr(ExportDialog, "exec", lambda self: opened.append(self) or 0)
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert len(opened) == 1
    dialog = opened[0]
    qtbot.waitUntil(lambda: not dialog.is_busy())
    assert len(dialog.graph.nodes) == len(window.document.graph.nodes)
    assert dialog.checkpoint_path == tmp_path / "best.pt"
    assert "Cannot read the last run's weights" in dialog.weights_note.text()
    window.close()


def test_enter_in_the_file_field_exports(qtbot, make_dialog, out: Path) -> None:
    """Export is the dialog's default button, so Enter exports even after the focus has
    visited Cancel (an auto-default button) and come back to the file field."""
    dialog = make_dialog()
    with qtbot.waitActive(dialog):
        dialog.show()
    choose(qtbot, dialog, "state_dict", out / "by-keyboard.pt")
    dialog.cancel_button.setFocus()
    dialog.path_edit.setFocus()
    with qtbot.waitSignal(dialog.export_finished, timeout=EXPORT_TIMEOUT_MS) as blocker:
        qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    assert blocker.args[0] and (out / "by-keyboard.pt").is_file()
