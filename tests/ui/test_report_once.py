"""Opening a project computes its shapes once, and ports build their tooltips on hover:
both made a 10,000-node open seconds slower (issue #13)."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QGraphicsItem

import dlstudio.ui.document as document_module
from dlstudio.graph.data_checks import DataFacts
from dlstudio.ui.canvas import CanvasView
from dlstudio.ui.document import Document

DIGITS8 = DataFacts("digits", "image", (1, 8, 8), classes=10)
DIGITS28 = DataFacts("digits28", "image", (1, 28, 28), classes=10)


def test_choosing_data_for_an_unchanged_graph_reuses_its_shapes(monkeypatch) -> None:
    calls = []
    real = document_module.infer_shapes
    monkeypatch.setattr(document_module, "infer_shapes",
                        lambda graph: calls.append(graph) or real(graph))
    document = Document.from_template("cnn-small")
    assert len(calls) == 1
    document.set_data_facts(DIGITS8)  # the Train panel sets its data right after an open
    assert len(calls) == 1
    assert any(p.severity == "error" for p in document.report.problems)
    document.set_data_facts(DIGITS28)  # the data's problems go with the data
    assert document.report.ok and len(calls) == 1
    dense = document.graph.nodes_of_type("Dense")[-1]
    document.editor.set_param(dense.id, "units", 7)
    document.set_data_facts(DIGITS8)  # the graph changed since: shapes are computed anew
    assert len(calls) == 2
    assert document.report.shapes[dense.id] == (7,)


def test_a_port_builds_its_tooltip_when_hovered(qtbot) -> None:
    document = Document.from_template("cnn-small")
    view = CanvasView(document)
    qtbot.addWidget(view)
    view.resize(1200, 700)
    view.show()
    qtbot.waitExposed(view)
    flatten = document.graph.nodes_of_type("Flatten")[0]
    port = view.canvas_scene.nodes[flatten.id].output
    view.centerOn(port)
    assert QGraphicsItem.toolTip(port) == ""  # nothing built before anyone asks
    where = view.mapFromScene(port.sceneBoundingRect().center())
    event = QHelpEvent(QEvent.Type.ToolTip, where, view.viewport().mapToGlobal(where))
    QApplication.sendEvent(view.viewport(), event)
    assert "vector 5408" in QGraphicsItem.toolTip(port)  # what Qt itself shows
    assert "vector 5408" in port.toolTip()


def test_data_checks_on_an_unchanged_graph_still_reach_the_nodes(qtbot) -> None:
    document = Document.from_template("cnn-small")
    view = CanvasView(document)
    qtbot.addWidget(view)
    items = view.canvas_scene.nodes
    assert all(item.severity is None for item in items.values())
    document.set_data_facts(DIGITS8)  # shapes reused: only the badges change
    flagged = {p.node_id for p in document.report.problems if p.node_id is not None}
    assert flagged and all(items[i].severity == "error" for i in flagged)
    document.set_data_facts(DIGITS28)
    assert all(item.severity is None for item in items.values())
    dense = document.graph.nodes_of_type("Dense")[-1]
    document.editor.set_param(dense.id, "units", 7)  # a new graph: ports and wires follow
    qtbot.waitUntil(lambda: items[dense.id].shape_text == "7")
    wire = next(w for i, w in view.canvas_scene.wires.items()
                if document.graph.edges[i].src == dense.id)
    assert wire.label == "7"
