"""A preview stays on a node that is replaced in one step (a health fix's "Use
LeakyReLU") and on the node its Ctrl+Z gives back; a deleted node's preview goes, and
its undo does not bring it back unasked."""

from __future__ import annotations

from PySide6.QtCore import Qt

from dlstudio.compile import compile_graph
from dlstudio.data import load_data
from dlstudio.ui.document import Document


def test_a_replaced_node_keeps_its_preview_through_undo(workbench, qtbot) -> None:
    window, bench = workbench
    window.set_document(Document.from_template("cnn-small"))
    info = load_data("builtin:digits28").info
    bench.try_panel.set_model((compile_graph(window.document.graph), info))
    graph, overlay = window.document.graph, bench.activations
    relu = graph.node_by_name("fc1_relu").id
    pool = graph.node_by_name("pool1").id
    overlay.show_only({relu, pool})
    window.document.editor.replace_node(relu, "LeakyReLU", text="Make fc1_relu a LeakyReLU")
    assert graph.nodes[relu].type == "LeakyReLU"
    qtbot.waitUntil(lambda: overlay.is_shown(relu) and relu in overlay.items)
    assert overlay.items[relu].scene() is window.view.canvas_scene
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert graph.nodes[relu].type == "ReLU"
    qtbot.waitUntil(lambda: overlay.is_shown(relu) and relu in overlay.items)
    assert overlay.items[relu].parentItem() is window.view.canvas_scene.nodes[relu]

    window.document.editor.delete_nodes([pool])
    qtbot.wait(20)
    assert not overlay.is_shown(pool)
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.wait(20)
    assert pool in graph.nodes and not overlay.is_shown(pool)
