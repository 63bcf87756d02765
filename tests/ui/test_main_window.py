"""The main window driven as a user would: menus, shortcuts, the gallery, files, settings.

Every window gets a temporary INI settings file and recovery folder: the user's real
settings are never read or written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox, QSpinBox

from dlstudio.graph.templates import build_template, template_names
from dlstudio.ui.gallery import TemplateGallery
from dlstudio.ui.main_window import MainWindow
from dlstudio.ui.theme import is_dark_palette

Button = QMessageBox.StandardButton


def _settings(folder: Path) -> QSettings:
    return QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_window(qtbot, tmp_path):
    """Build windows on the same temporary settings; questions answered per test."""
    windows: list[MainWindow] = []

    def make() -> MainWindow:
        window = MainWindow(_settings(tmp_path), recovery_dir=tmp_path / "recovery")
        window.files.ask_save_changes = lambda: Button.Discard
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()  # window shortcuts need the active window
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.files.ask_save_changes = lambda: Button.Discard
        window.close()
    app = QApplication.instance()
    if is_dark_palette(app.palette()) and windows:
        windows[0].set_theme("light")


@pytest.fixture
def window(make_window) -> MainWindow:
    return make_window()


def _key(qtbot, widget, key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    widget.setFocus()
    qtbot.keyClick(widget, key, modifiers)


CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def _conv1_row(window: MainWindow) -> tuple[str, ...]:
    return next(r for r in window.summary_panel.row_texts() if r[0] == "conv1")


def test_new_from_template_through_the_gallery(qtbot, window) -> None:
    picked = {}

    def pick() -> None:
        gallery = QApplication.activeModalWidget()
        assert isinstance(gallery, TemplateGallery)
        assert gallery.list.count() == len(template_names())
        gallery.select("lenet5")
        picked["details"] = gallery.details.text()
        picked["pictures"] = sum(not gallery.list.item(i).icon().isNull()
                                 for i in range(gallery.list.count()))
        ok = gallery.buttons.button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    QTimer.singleShot(50, pick)
    window.action_map["new_from_template"].trigger()

    assert "LeNet-5" in picked["details"] and "61,706" in picked["details"]
    assert window.document.graph.to_dict() == build_template("lenet5").to_dict()
    assert picked["pictures"] == len(template_names())
    assert len(window.summary_panel.row_texts()) == len(window.document.graph.nodes)
    assert not window.document.is_modified()
    assert window.windowTitle().startswith("lenet5")


def test_gallery_cancel_keeps_the_project(qtbot, window) -> None:
    before = window.document

    def cancel() -> None:
        gallery = QApplication.activeModalWidget()
        gallery.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()

    QTimer.singleShot(50, cancel)
    _key(qtbot, window.view, Qt.Key.Key_N, CTRL | SHIFT)
    assert window.document is before


def test_inspector_edit_changes_shapes_and_undo_redo_keys(qtbot, window) -> None:
    window.files.new_from_template("cnn-small")
    conv = window.document.graph.node_by_name("conv1")
    window.document.set_selection([conv.id])
    assert _conv1_row(window)[2:] == ("32×26×26", "320")

    spin = window.inspector.fields["filters"].input
    assert isinstance(spin, QSpinBox)
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "64")
    assert window.document.undo_stack.count() == 0  # nothing applied while typing
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _conv1_row(window)[2:] == ("64×26×26", "640"))
    assert window.document.undo_stack.count() == 1
    assert window.document.is_modified() and window.isWindowModified()

    _key(qtbot, window.view, Qt.Key.Key_Z, CTRL)
    qtbot.waitUntil(lambda: _conv1_row(window)[2] == "32×26×26")
    assert spin.value() == 32
    assert not window.isWindowModified()
    _key(qtbot, window.view, Qt.Key.Key_Z, CTRL | SHIFT)
    qtbot.waitUntil(lambda: _conv1_row(window)[2] == "64×26×26")
    assert spin.value() == 64
    _key(qtbot, window.view, Qt.Key.Key_Z, CTRL)
    _key(qtbot, window.view, Qt.Key.Key_Y, CTRL)
    qtbot.waitUntil(lambda: _conv1_row(window)[2] == "64×26×26")
    assert window.action_map["undo"].toolTip() == "Undo Set conv1.filters = 64"


def test_save_close_reopen_gives_the_same_graph(qtbot, window, tmp_path) -> None:
    target = tmp_path / "my-net"
    window.files.ask_save_path = lambda: target
    window.files.new_from_template("cnn-small")
    fc1 = window.document.graph.node_by_name("fc1")
    window.document.editor.set_param(fc1.id, "units", 256)
    saved = window.document.graph.to_dict()

    _key(qtbot, window.view, Qt.Key.Key_S, CTRL)
    path = tmp_path / "my-net.dlstudio"
    assert path.exists() and window.document.path == path
    assert not window.document.is_modified()
    assert window.windowTitle().startswith("my-net.dlstudio")

    _key(qtbot, window.view, Qt.Key.Key_W, CTRL)
    assert window.document.graph.nodes == {} and window.document.path is None

    window.files.ask_open_path = lambda: path
    _key(qtbot, window.view, Qt.Key.Key_O, CTRL)
    assert window.document.graph.to_dict() == saved
    assert window.document.path == path and not window.document.is_modified()
    assert window.summary_panel.summary.total_params > 693_962


def test_unsaved_changes_are_asked_about(qtbot, window, tmp_path) -> None:
    window.files.new_from_template("xor")
    window.document.editor.add_node("Dense", (0.0, 300.0))
    modified = window.document
    asked = []

    def answer(button):
        def ask():
            asked.append(button)
            return button
        return ask

    window.files.ask_save_changes = answer(Button.Cancel)
    _key(qtbot, window.view, Qt.Key.Key_N, CTRL)
    assert window.document is modified and modified.is_modified()
    assert not window.close() and window.isVisible()

    window.files.ask_save_path = lambda: tmp_path / "kept.dlstudio"
    window.files.ask_save_changes = answer(Button.Save)
    window.action_map["new"].trigger()
    assert (tmp_path / "kept.dlstudio").exists()
    assert window.document is not modified and window.document.graph.nodes == {}

    window.document.editor.add_node("Dense", (0.0, 0.0))
    window.files.ask_save_changes = answer(Button.Discard)
    window.action_map["close"].trigger()
    assert window.document.graph.nodes == {}
    assert asked == [Button.Cancel, Button.Cancel, Button.Save, Button.Discard]


def test_opening_a_bad_file_shows_why_and_keeps_the_work(qtbot, window, tmp_path) -> None:
    window.files.new_from_template("mlp")
    window.document.editor.add_node("Dense", (0.0, 300.0))
    work = window.document.graph.to_dict()
    bad = tmp_path / "broken.dlstudio"
    bad.write_text("{ not json", encoding="utf-8")
    assert not window.files.open(bad)
    assert "broken.dlstudio" in window.last_error and "JSON" in window.last_error
    assert window.document.graph.to_dict() == work and window.document.is_modified()


def test_recent_files_persist_across_windows(qtbot, make_window, tmp_path) -> None:
    first = make_window()
    for name in ("a", "b"):
        first.files.new_from_template("xor")
        first.files.save_as(tmp_path / f"{name}.dlstudio")
    first.close()

    second = make_window()
    assert second.files.recent_files() == [tmp_path / "b.dlstudio", tmp_path / "a.dlstudio"]
    second.recent_menu.aboutToShow.emit()
    entries = [a for a in second.recent_menu.actions() if a.toolTip().endswith(".dlstudio")]
    assert [a.text() for a in entries] == ["&1 b.dlstudio", "&2 a.dlstudio"]
    entries[1].trigger()
    assert second.document.path == tmp_path / "a.dlstudio"
    assert second.files.recent_files()[0] == tmp_path / "a.dlstudio"


def test_theme_and_panel_layout_persist(qtbot, make_window) -> None:
    first = make_window()
    assert first.theme == "light" and not first.view.dark
    _key(qtbot, first.view, Qt.Key.Key_D, CTRL | SHIFT)
    assert first.theme == "dark" and first.view.dark
    assert is_dark_palette(QApplication.instance().palette())
    first.docks["Problems"].hide()
    first.close()

    second = make_window()
    assert second.theme == "dark" and second.action_map["dark_theme"].isChecked()
    assert second.view.dark
    assert second.docks["Problems"].isHidden()
    assert not second.docks["Inspector"].isHidden()
    second.action_map["reset_layout"].trigger()
    assert not second.docks["Problems"].isHidden()
    second.action_map["dark_theme"].trigger()
    assert second.theme == "light"
    assert not is_dark_palette(QApplication.instance().palette())


def test_clicking_a_problem_selects_its_node(qtbot, window) -> None:
    window.files.new_from_template("cnn-small")
    stray = window.document.editor.add_node("Dense", (0.0, 400.0))
    qtbot.waitUntil(lambda: window.problems_panel.list.count() >= 2)
    assert window.docks["Problems"].windowTitle() == "Problems (2)"
    assert window.status.shape_label.text().startswith("✖ 1 error")

    problems = window.problems_panel
    row = next(i for i, p in enumerate(problems.problems) if p.severity == "error")
    item = problems.list.item(row)
    assert "not connected" in item.text()
    rect = problems.list.visualItemRect(item)
    qtbot.mouseClick(problems.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.document.selected_ids() == [stray]
    assert window.view.canvas_scene.selected_node_ids() == [stray]
    assert window.inspector.node_id == stray


def test_editing_keys_reach_the_canvas(qtbot, window) -> None:
    window.files.new_from_template("xor")
    count = len(window.document.graph.nodes)
    _key(qtbot, window.view, Qt.Key.Key_A, CTRL)
    assert len(window.document.selected_ids()) == count
    _key(qtbot, window.view, Qt.Key.Key_Delete)
    assert window.document.graph.nodes == {}
    _key(qtbot, window.view, Qt.Key.Key_Z, CTRL)
    assert len(window.document.graph.nodes) == count
    first = next(iter(window.document.graph.nodes))
    window.document.set_selection([first])
    _key(qtbot, window.view, Qt.Key.Key_D, CTRL)
    assert len(window.document.graph.nodes) == count + 1
    window.palette_panel.layer_activated.emit("Dropout")
    assert len(window.document.graph.nodes_of_type("Dropout")) == 1


def test_shortcuts_dialog_lists_the_window_shortcuts(qtbot, window) -> None:
    _key(qtbot, window.view, Qt.Key.Key_F1)
    dialog = window._shortcuts_dialog
    assert dialog is not None and dialog.isVisible()
    table = dialog.table
    rows = {table.item(r, 1).text(): table.item(r, 2).text() for r in range(table.rowCount())}
    assert rows["Save"] == "Ctrl+S"
    assert rows["Redo"] == "Ctrl+Shift+Z, Ctrl+Y"
    assert rows["Fit to view"] == "F"
    assert rows["Duplicate"] == "Ctrl+D"
    assert "Mouse wheel" in rows["Zoom around the cursor"]
    dialog.close()


def test_status_bar_shows_the_training_device(qtbot, window) -> None:
    window.status.wait_for_device()
    label = window.status.device_label
    assert label.text() in {"Device: CPU", "Device: CUDA", "Device: MPS"}
    assert "runs on" in label.toolTip()


def test_ctrl_o_asks_about_unsaved_changes_before_the_file_dialog(
        qtbot, window, tmp_path) -> None:
    window.files.new_from_template("xor")
    saved = tmp_path / "other.dlstudio"
    window.files.save_as(saved)
    window.document.editor.add_node("Dense", (0.0, 300.0))
    modified = window.document
    asked: list[str] = []

    def pick() -> Path:
        asked.append("file")
        return saved

    def save_changes(button):
        return lambda: asked.append("save?") or button

    window.files.ask_open_path = pick
    window.files.ask_save_changes = save_changes(Button.Cancel)
    _key(qtbot, window.view, Qt.Key.Key_O, CTRL)
    assert asked == ["save?"]  # Cancel: no file dialog, nothing changed
    assert window.document is modified and modified.is_modified()
    window.files.ask_save_changes = save_changes(Button.Discard)
    _key(qtbot, window.view, Qt.Key.Key_O, CTRL)
    assert asked == ["save?", "save?", "file"]
    assert window.document is not modified and window.document.path == saved
    assert not window.document.is_modified()
