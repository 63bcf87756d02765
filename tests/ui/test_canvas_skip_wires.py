"""An imported residual network (`x + block(x)`, laid out in one column) reads on the
canvas: the wire that skips a block runs beside it, never hidden under its card."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainterPathStroker

from dlstudio.graph.project import Project
from dlstudio.importers import import_python
from dlstudio.ui.byom.screenshots import MODEL
from dlstudio.ui.canvas import CanvasView
from dlstudio.ui.document import Document


def test_no_wire_runs_under_a_card_it_does_not_join(qtbot, tmp_path: Path) -> None:
    source = tmp_path / "model.py"
    source.write_text(MODEL)
    graph = import_python(source, "SmallResNet").graph
    view = CanvasView(Document(Project(graph=graph)))
    qtbot.addWidget(view)
    view.show()
    scene = view.canvas_scene
    cards = {node_id: item.sceneBoundingRect() for node_id, item in scene.nodes.items()}
    adds = [node.id for node in graph.nodes.values() if node.type == "Add"]
    assert len(adds) == 2 and len({round(rect.center().x()) for rect in cards.values()}) <= 2

    hidden = []
    stroker = QPainterPathStroker()
    stroker.setWidth(2)
    for edge_id, wire in scene.wires.items():
        edge, line = graph.edges[edge_id], stroker.createStroke(wire.path)
        for node_id, card in cards.items():
            if node_id in (edge.src, edge.dst):
                continue
            inner = QRectF(card).adjusted(4, 4, -4, -4)
            if line.intersects(inner):
                hidden.append((graph.node(edge.src).name, graph.node(edge.dst).name,
                               graph.node(node_id).name))
    assert hidden == []
