"""The canvas's context menu: right-click (or the Menu key / Shift+F10) on a node offers
freezing and the usual node actions; freezing is one undo step, the card shows a lock
and the trainable count follows at once."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMenu

from dlstudio.graph.summary import summarize
from dlstudio.ui.document import Document


def _open(window, qtbot, name: str) -> None:
    window.set_document(Document.from_template(name))
    window.view.fit_all()
    qtbot.wait(10)


def _node_point(window, name: str) -> QPoint:
    graph = window.document.graph
    item = window.view.canvas_scene.nodes[graph.node_by_name(name).id]
    window.view.centerOn(item)
    return window.view.mapFromScene(item.sceneBoundingRect().center())


def _right_click_at(window, qtbot, point: QPoint) -> QMenu:
    """A right-click as Qt delivers it: the press, then the context-menu event (which a
    real window makes from the press and the offscreen platform does not)."""
    viewport = window.view.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.RightButton, pos=point)
    QApplication.sendEvent(viewport, QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, point, viewport.mapToGlobal(point)))
    qtbot.mouseRelease(viewport, Qt.MouseButton.RightButton, pos=point)
    menu = window.view.context_menu
    assert menu is not None and menu.isVisible()
    return menu


def _right_click(window, qtbot, name: str) -> QMenu:
    return _right_click_at(window, qtbot, _node_point(window, name))


def _action(menu: QMenu, text: str):
    found = [a for a in menu.actions() if a.text().replace("&", "") == text]
    assert found, [a.text() for a in menu.actions()]
    return found[0]


def _trainable(window) -> dict[str, bool]:
    return {n.name: n.params["trainable"] for n in window.document.graph.nodes.values()
            if n.spec.has_weights}


def test_train_from_block5_is_the_classic_fine_tuning_in_one_undo_step(gui, qtbot) -> None:
    window, _ = gui
    _open(window, qtbot, "vgg16-transfer")
    before = window.summary_panel.summary.trainable_params
    menu = _right_click(window, qtbot, "block5_conv1")
    assert menu.objectName() == "node_menu"
    assert window.document.selected_ids() == [
        window.document.graph.node_by_name("block5_conv1").id]
    _action(menu, "Train from here").trigger()
    menu.close()
    flags = _trainable(window)
    assert [k for k, on in flags.items() if on] == [
        "block5_conv1", "block5_conv2", "block5_conv3", "fc1", "fc2"]
    expected = summarize(window.document.graph).trainable_params
    qtbot.waitUntil(lambda: window.summary_panel.summary.trainable_params == expected)
    assert expected > before
    assert f"{expected:,}" in window.status.shape_label.text()
    assert window.view.canvas_scene.nodes[
        window.document.graph.node_by_name("block4_conv3").id].frozen
    assert not window.view.canvas_scene.nodes[
        window.document.graph.node_by_name("block5_conv3").id].frozen
    assert window.document.undo_stack.count() == 1
    window.document.undo_stack.undo()
    assert not any(_trainable(window)[k] for k in ("block5_conv1", "block5_conv3"))
    qtbot.waitUntil(lambda: window.summary_panel.summary.trainable_params == before)


@pytest.mark.parametrize("key", [(Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier),
                                 (Qt.Key.Key_Menu, Qt.KeyboardModifier.NoModifier)])
def test_freeze_up_to_here_from_the_keyboard(gui, qtbot, key) -> None:
    window, _ = gui
    _open(window, qtbot, "vgg16")
    graph = window.document.graph
    window.document.set_selection([graph.node_by_name("block4_pool").id])
    window.view.setFocus()
    qtbot.keyClick(window.view, *key)
    menu = window.view.context_menu
    assert menu is not None and menu.isVisible()
    freeze = _action(menu, "Freeze up to here")
    assert freeze.isEnabled()
    assert not _action(menu, "Unfreeze all").isEnabled()  # nothing is frozen yet
    freeze.trigger()
    menu.close()
    frozen = [k for k, on in _trainable(window).items() if not on]
    assert len(frozen) == 10 and frozen[-1] == "block4_conv3"
    assert "froze 10 layers" in window.statusBar().currentMessage().lower()
    assert "Frozen" in window.view.canvas_scene.nodes[
        graph.node_by_name("block1_conv1").id].toolTip()


def test_only_meaningful_items_are_enabled(gui, qtbot) -> None:
    window, _ = gui
    _open(window, qtbot, "vgg16-transfer")
    menu = _right_click(window, qtbot, "block5_pool")
    # the base is frozen up to block5_pool and the head trains from it: both change nothing
    assert not _action(menu, "Freeze up to here").isEnabled()
    assert not _action(menu, "Train from here").isEnabled()
    assert _action(menu, "Unfreeze all").isEnabled()
    _action(menu, "Unfreeze all").trigger()
    menu.close()
    assert all(_trainable(window).values())


@pytest.mark.parametrize("action", ["Rename…", "Delete"])
def test_node_actions_reuse_the_canvas_commands(gui, qtbot, action: str) -> None:
    window, _ = gui
    _open(window, qtbot, "mlp")
    graph = window.document.graph
    name = next(n.name for n in graph.nodes.values() if n.type == "Dense")
    menu = _right_click(window, qtbot, name)
    _action(menu, action).trigger()
    menu.close()
    if action == "Delete":
        assert name not in {n.name for n in graph.nodes.values()}
    else:
        editor = window.view.name_editor
        assert editor.isVisible()
        editor.setText("hidden_layer")
        qtbot.keyClick(editor, Qt.Key.Key_Return)
        assert graph.node_by_name("hidden_layer").type == "Dense"


def test_right_click_on_the_empty_canvas_offers_the_canvas_actions(gui, qtbot) -> None:
    window, _ = gui
    _open(window, qtbot, "mlp")
    window.view.centerOn(5000, 5000)
    menu = _right_click_at(window, qtbot, QPoint(20, 20))
    assert menu.objectName() == "canvas_menu"
    _action(menu, "Select all").trigger()
    menu.close()
    assert len(window.document.selected_ids()) == len(window.document.graph.nodes)
    QApplication.processEvents()
