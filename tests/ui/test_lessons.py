"""Help ▸ Lessons in a real window: open the panel, set up XOR, train without a hidden
layer, add one through the command API, and see the steps tick."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox

from dlstudio.ui.lessons import lessons_dock
from dlstudio.ui.lessons.panel import DONE, TODO


def _open_lessons(window, qtbot):
    window.action_map["lessons"].trigger()
    dock = lessons_dock(window)
    qtbot.waitUntil(dock.isVisible)
    return dock


def _set_up(dock, qtbot, ident):
    dock.panel.choose(ident)
    qtbot.mouseClick(dock.panel.setup_button, Qt.MouseButton.LeftButton)


def _add_hidden_layer(window):
    """features -> Dense 8 -> Tanh -> linear, as a learner wires it on the canvas."""
    editor, graph = window.document.editor, window.document.graph
    features = graph.node_by_name("features").id
    linear = graph.node_by_name("linear").id
    dense = editor.add_node("Dense", (0.0, 200.0), {"units": 8})
    tanh = editor.add_node("Tanh", (0.0, 300.0))
    editor.disconnect(graph.edge_into(linear, "in").id)
    assert editor.connect(features, dense) is None
    assert editor.connect(dense, tanh) is None
    assert editor.connect(tanh, linear) is None


def test_help_lessons_sets_up_xor_and_ticks_steps_as_the_learner_works(gui, qtbot):
    window, ui = gui
    assert window.action_map["lessons"].shortcut() == QKeySequence("Ctrl+Shift+L")
    dock = _open_lessons(window, qtbot)
    panel = dock.panel
    assert panel.list.count() == 8 and "min" in panel.list.item(0).text()
    assert panel.list.hasFocus() or window.focusWidget() is panel.list

    _set_up(dock, qtbot, "xor")
    assert window.document.project.name == "lesson-xor"
    qtbot.waitUntil(lambda: len(window.view.canvas_scene.nodes) == 4)
    assert ui.panel.form.settings().epochs == 60
    assert ui.panel.data.spec() == "builtin:xor"
    assert panel.steps.count() == 3 and panel.steps.item(0).text().startswith(TODO)
    assert "Step 1 of 3" in panel.position.text()

    with qtbot.waitSignal(ui.session.controller.run_ended, timeout=60_000):
        assert ui.session.train()
    qtbot.waitUntil(lambda: 0 in dock.tracker.passed, timeout=5_000)
    assert panel.steps.item(0).text().startswith(DONE)
    assert dock.tracker.current == 1  # moved on to "Add a hidden layer"
    assert not panel.steps.item(1).text().startswith(DONE)

    _add_hidden_layer(window)
    qtbot.waitUntil(lambda: panel.steps.item(1).text().startswith(DONE), timeout=5_000)
    assert dock.tracker.current == 2 and "Step 3 of 3" in panel.position.text()
    window.document.undo_stack.undo()  # a ticked step stays ticked
    qtbot.wait(100)
    assert panel.steps.item(1).text().startswith(DONE)

    qtbot.mouseClick(panel.previous_button, Qt.MouseButton.LeftButton)
    assert dock.tracker.current == 1 and "Add a hidden layer" in panel.text.toPlainText()

    panel.choose("optimizers")  # browsing another lesson keeps this one's ticks
    assert not dock.tracker.passed
    panel.choose("xor")
    assert dock.tracker.passed >= {0, 1} and dock.tracker.current == 1


def test_the_lessons_shortcut_is_the_windows_only_ctrl_shift_l(gui):
    window, _ui = gui
    wanted = QKeySequence("Ctrl+Shift+L")
    owners = [action.text() for action in window.findChildren(QAction)
              if wanted in action.shortcuts()]
    assert owners == ["&Lessons"]


def test_set_up_asks_before_replacing_unsaved_work(gui, qtbot):
    window, _ui = gui
    window.document.editor.add_node("Dense", (0.0, 0.0))
    asked = []

    def cancel():
        asked.append(True)
        return QMessageBox.StandardButton.Cancel

    window.files.ask_save_changes = cancel
    dock = _open_lessons(window, qtbot)
    _set_up(dock, qtbot, "linear-regression")
    assert asked and len(window.document.graph.nodes) == 1  # kept as it was
    window.files.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    assert dock.set_up(dock.panel.lesson_by_id("linear-regression"))
    assert window.document.project.name == "lesson-linear-regression"


def test_the_panel_is_readable_in_a_1366_by_768_window(gui, qtbot):
    window, _ui = gui
    window.resize(1366, 768)
    dock = _open_lessons(window, qtbot)
    dock.panel.choose("overfitting")
    qtbot.wait(50)
    panel = dock.panel
    assert window.frameGeometry().height() <= 768 + 40
    assert dock.width() >= 280
    for widget in (panel.list, panel.steps, panel.text, panel.setup_button,
                   panel.next_button):
        assert widget.isVisible() and widget.height() >= 20
    assert panel.text.height() >= 120 and panel.text.width() >= 250
    assert panel.steps.count() == 6
    qtbot.keyClick(panel.list, Qt.Key.Key_Down)  # the list works from the keyboard
    assert panel.list.currentRow() == 5


def test_tab_goes_from_the_list_through_the_panel_in_reading_order(gui, qtbot):
    window, _ui = gui
    panel = _open_lessons(window, qtbot).panel
    order, widget = [], panel.list.nextInFocusChain()
    while widget is not panel.list and len(order) < 50:
        if widget.isVisible() and widget.isEnabled() and widget.focusPolicy() & (
                Qt.FocusPolicy.TabFocus) and panel.isAncestorOf(widget):
            order.append(widget)
        widget = widget.nextInFocusChain()
    wanted = [panel.setup_button, panel.steps, panel.text, panel.next_button]
    assert [w for w in order if w in wanted] == wanted


def test_a_broken_lesson_file_is_one_line_in_the_panel(qtbot, tmp_path):
    from dlstudio.lessons import LESSONS_DIR, load_lessons
    from dlstudio.ui.lessons import LessonsPanel

    (tmp_path / "01-good.json").write_text((LESSONS_DIR / "03-xor.json").read_text())
    (tmp_path / "xor-no-hidden-layer.dlstudio").write_text(
        (LESSONS_DIR / "xor-no-hidden-layer.dlstudio").read_text())
    (tmp_path / "02-bad.json").write_text('{"format": 1, "id": "bad", "title": "B", '
                                          '"minutes": 1, "summary": "S", "steps": [], '
                                          '"setup": {"template": "xor", "data": "builtin:xor"}}')
    panel = LessonsPanel(load_lessons(tmp_path))
    qtbot.addWidget(panel)
    panel.show()
    assert panel.list.count() == 1
    assert panel.problems.isVisible()
    assert "02-bad.json: steps: must be a list of at least one step" in panel.problems.text()
