"""The stale-weights notice goes when Ctrl+Z gives back the graph the weights were
trained on, also after an insert or a delete, whose undo adds nodes and wires back last
(the notice stayed up: the graph's signature depended on the order of its lists)."""

from __future__ import annotations

from PySide6.QtCore import Qt


def test_undoing_an_insert_or_a_delete_takes_the_notice_away(gui, qtbot) -> None:
    window, ui = gui
    window.files.new_from_template("xor")
    ui.panel.form.fields["epochs"].setValue(2)
    controller = ui.session.controller
    with qtbot.waitSignal(controller.run_ended, timeout=30_000):
        assert ui.session.train()
    assert controller.state == "finished"
    graph = window.document.graph
    first = graph.nodes_of_type("Dense")[0]
    window.document.editor.insert_after(first.id, "Dropout", text="Add Dropout")
    assert ui.lock.banner.isVisible() and "no longer fit" in ui.lock.banner.text()
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not ui.lock.banner.isVisible()

    window.document.set_selection([first.id])
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert first.id not in graph.nodes and ui.lock.banner.isVisible()
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert first.id in graph.nodes
    assert not ui.lock.banner.isVisible()
