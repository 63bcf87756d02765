"""GraphEditor.insert_after and replace_node (the health fixes' graph edits): one undo
step each, a branch keeps every wire, and refused edits record nothing."""

from __future__ import annotations

import pytest

from dlstudio.graph import GraphError
from dlstudio.graph.layout import RANK_SPACING
from dlstudio.ui.document import Document


def snapshot(document: Document) -> dict:
    data = document.graph.to_dict()
    return {key: sorted(data[key], key=lambda item: item["id"]) for key in data}


@pytest.fixture
def branched(qtbot) -> Document:
    """Input(16) -> fc (Dense 8) -> relu -> a (Dense 4) -> Output, and fc -> b (Dense 4),
    laid out top to bottom, with a side node above fc that must not move."""
    document = Document()
    e = document.editor
    ids = {"input": e.add_node("Input", (0, 0), {"kind": "vector", "shape": [16]}),
           "side": e.add_node("Dense", (300, 0), {"units": 3}),
           "fc": e.add_node("Dense", (0, 80), {"units": 8}),
           "relu": e.add_node("ReLU", (0, 160)),
           "a": e.add_node("Dense", (0, 240), {"units": 4}),
           "b": e.add_node("Dense", (200, 160), {"units": 4}),
           "out": e.add_node("Output", (0, 320))}
    for src, dst in (("input", "fc"), ("fc", "relu"), ("relu", "a"), ("a", "out"),
                     ("fc", "b"), ("input", "side")):
        assert e.connect(ids[src], ids[dst]) is None
    document.ids = ids
    document.undo_stack.clear()
    return document


def test_insert_after_feeds_every_wire_and_moves_only_what_is_below(branched) -> None:
    doc, ids = branched, branched.ids
    before = snapshot(doc)
    new = doc.editor.insert_after(ids["fc"], "BatchNorm1d", text="Insert BN")
    graph = doc.graph
    assert doc.undo_stack.count() == 1 and doc.undo_stack.undoText() == "Insert BN"
    assert [e.dst for e in graph.edges_out_of(ids["fc"])] == [new]
    assert sorted(e.dst for e in graph.edges_out_of(new)) == sorted([ids["relu"], ids["b"]])
    assert graph.nodes[new].position == (0, 80 + RANK_SPACING)
    assert graph.nodes[ids["relu"]].position == (0, 160 + RANK_SPACING)
    assert graph.nodes[ids["out"]].position == (0, 320 + RANK_SPACING)
    assert graph.nodes[ids["side"]].position == (300, 0)  # not downstream: stays
    assert not doc.refresh_report().errors
    doc.undo_stack.undo()
    assert snapshot(doc) == before
    doc.undo_stack.redo()
    assert [e.dst for e in graph.edges_out_of(ids["fc"])] == [new]


def test_replace_node_keeps_id_name_place_and_wires(branched) -> None:
    doc, ids = branched, branched.ids
    before = snapshot(doc)
    doc.editor.replace_node(ids["relu"], "LeakyReLU")
    node = doc.graph.nodes[ids["relu"]]
    assert node.type == "LeakyReLU" and node.position == (0, 160)
    after = snapshot(doc)
    assert after["edges"] == before["edges"]
    assert [n["name"] for n in after["nodes"]] == [n["name"] for n in before["nodes"]]
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert snapshot(doc) == before


def test_refused_inserts_and_replacements_record_nothing(branched) -> None:
    doc, ids = branched, branched.ids
    before = snapshot(doc)
    with pytest.raises(GraphError):
        doc.editor.insert_after(ids["fc"], "NoSuchLayer")
    with pytest.raises(GraphError):
        doc.editor.insert_after(ids["fc"], "Dropout", {"rate": 5.0})
    with pytest.raises(GraphError):
        doc.editor.insert_after(ids["out"], "Dropout")  # an Output has nothing after it
    with pytest.raises(GraphError):
        doc.editor.replace_node(ids["relu"], "Add")  # other ports
    assert snapshot(doc) == before and doc.undo_stack.count() == 0
