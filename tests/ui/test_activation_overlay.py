"""Activations on the canvas, driven as a user would: a node's menu shows its output,
drawing on the Try it pad changes the picture, View > Show all outputs / Hide outputs
show and hide every node's, and a validation sample can be chosen instead of the pad."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QContextMenuEvent, QMouseEvent
from PySide6.QtWidgets import QApplication

from dlstudio.compile import compile_graph
from dlstudio.data import load_data
from dlstudio.ui.canvas.activation_overlay import NO_SAMPLE
from dlstudio.ui.document import Document

BAR = [(150.0, float(y)) for y in range(55, 230, 6)]  # a "1"
ARC = [(140 + 50 * np.cos(t), 140 + 60 * np.sin(t)) for t in np.linspace(0, 5, 40)]


def _setup(window, bench, qtbot):
    """cnn-small on the canvas; Try it holds the same network (random weights)."""
    window.set_document(Document.from_template("cnn-small"))
    window.view.fit_all()
    info = load_data("builtin:digits28").info
    bench.try_panel.set_model((compile_graph(window.document.graph), info))
    qtbot.wait(10)
    return window.document.graph


def _menu_action(window, qtbot, node_id: str, text: str):
    view = window.view
    item = view.canvas_scene.nodes[node_id]
    view.centerOn(item)
    point = view.mapFromScene(item.sceneBoundingRect().center())
    viewport = view.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.RightButton, pos=point)
    QApplication.sendEvent(viewport, QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, point, viewport.mapToGlobal(point)))
    qtbot.mouseRelease(viewport, Qt.MouseButton.RightButton, pos=point)
    menu = view.context_menu
    assert menu is not None and menu.isVisible()
    found = [a for a in menu.actions() if a.text().replace("&", "") == text]
    assert found, [a.text() for a in menu.actions()]
    return menu, found[0]


def _stroke(qtbot, pad, points) -> None:
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(*map(round, points[0])))
    for x, y in points[1:]:
        QApplication.sendEvent(pad, QMouseEvent(
            QEvent.Type.MouseMove, QPointF(x, y), pad.mapToGlobal(QPointF(x, y)),
            Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier))
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(*map(round, points[-1])))


def _view_action(window, text: str):
    found = [a for a in window.workspaces.menu.actions() if a.text() == text]
    assert len(found) == 1, [a.text() for a in window.workspaces.menu.actions()]
    return found[0]


def test_show_output_from_the_menu_then_drawing_changes_the_picture(workbench, qtbot):
    window, bench = workbench
    graph = _setup(window, bench, qtbot)
    conv = graph.node_by_name("conv1").id
    overlay = bench.activations
    menu, action = _menu_action(window, qtbot, conv, "Show output")
    assert action.isCheckable() and not action.isChecked()
    action.trigger()
    menu.close()
    item = overlay.items[conv]
    assert item.parentItem() is window.view.canvas_scene.nodes[conv]
    assert item.preview is None and item.message == NO_SAMPLE  # nothing drawn yet

    pad = bench.try_panel.image_panel.pad
    with qtbot.waitSignal(overlay.updated, timeout=2000):
        _stroke(qtbot, pad, BAR)
    first = item.preview
    assert first is not None and first.kind == "map" and first.shape == (32, 26, 26)
    assert first.note == "8 of 32 channels"
    first_pixels = first.pixels.copy()
    # the card is at the left, the preview to its right, on the canvas scene
    card = window.view.canvas_scene.nodes[conv].sceneBoundingRect()
    assert item.sceneBoundingRect().left() > card.right()

    with qtbot.waitSignal(overlay.updated, timeout=2000):
        _stroke(qtbot, pad, ARC)
    assert item.preview is not first
    assert not np.array_equal(item.preview.pixels, first_pixels)
    window.view.viewport().repaint()
    assert item.painted_serial == item.serial  # the new picture reached the screen

    menu, action = _menu_action(window, qtbot, conv, "Show output")
    assert action.isChecked()
    action.trigger()
    menu.close()
    assert conv not in overlay.items and item.scene() is None


def test_view_menu_shows_every_output_and_hides_them(workbench, qtbot):
    window, bench = workbench
    graph = _setup(window, bench, qtbot)
    overlay = bench.activations
    _stroke(qtbot, bench.try_panel.image_panel.pad, BAR)
    qtbot.waitUntil(lambda: bench.try_panel.image_panel.last_input is not None)
    _view_action(window, "Show all outputs").trigger()
    assert set(overlay.items) == set(graph.nodes)
    window.view.fit_all()
    window.view.viewport().repaint()  # items that were out of sight draw when painted
    qtbot.waitUntil(lambda: all(i.preview is not None for i in overlay.items.values()))
    kinds = {graph.nodes[n].name: i.preview.kind for n, i in overlay.items.items()}
    assert kinds["image"] == "map" and kinds["pool1"] == "map"
    assert kinds["flatten"] == kinds["fc1"] == "vector"
    output = next(n for n in graph.nodes.values() if n.type == "Output")
    assert overlay.items[output.id].preview.shape == (10,)  # what flows into it

    _view_action(window, "Hide outputs").trigger()
    assert overlay.items == {}
    assert not [i for i in window.view.canvas_scene.items()
                if type(i).__name__ == "ActivationItem"]


def test_a_validation_sample_is_shown_in_the_evaluate_network_panel(workbench, qtbot):
    window, bench = workbench
    graph = _setup(window, bench, qtbot)
    window.show_workspace("evaluate")
    network = bench.network
    assert network.isVisible() and network.glance.scene() is window.view.canvas_scene
    qtbot.mouseClick(network.show_button, Qt.MouseButton.LeftButton)
    network.source_box.setCurrentText("Validation #")
    assert network.index_box.isEnabled() and network.index_box.maximum() > 10
    assert "sample #0" in network.described.text()
    fc1 = bench.activations.items[graph.node_by_name("fc1").id]
    qtbot.waitUntil(lambda: fc1.preview is not None)
    before = fc1.preview.pixels.copy()
    network.index_box.setValue(5)
    assert "sample #5" in network.described.text()
    qtbot.waitUntil(lambda: fc1.preview is not None
                    and not np.array_equal(fc1.preview.pixels, before))
    qtbot.mouseClick(network.hide_button, Qt.MouseButton.LeftButton)
    assert bench.activations.items == {}


def test_a_renamed_node_says_it_is_not_in_the_model_and_a_deleted_one_goes(workbench, qtbot):
    window, bench = workbench
    graph = _setup(window, bench, qtbot)
    overlay = bench.activations
    fc1 = graph.node_by_name("fc1").id
    pool = graph.node_by_name("pool1").id
    overlay.show_only({fc1, pool})
    _stroke(qtbot, bench.try_panel.image_panel.pad, BAR)
    qtbot.waitUntil(lambda: overlay.items[fc1].preview is not None)
    window.document.editor.rename(fc1, "hidden")  # the trained model knows it as fc1
    _stroke(qtbot, bench.try_panel.image_panel.pad, ARC)
    qtbot.waitUntil(lambda: overlay.items[fc1].preview is None)
    assert "Not in the trained model" in overlay.items[fc1].message
    assert overlay.items[pool].preview is not None
    window.document.editor.delete_nodes([pool])
    assert pool not in overlay.items and overlay.shown == {fc1}
