"""GraphEditor and Document: every edit is one undo step, undo restores exactly, and
refused edits record nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlstudio.graph import Graph, GraphError
from dlstudio.graph.project import Project, ProjectError
from dlstudio.ui.canvas.describe import selection_data
from dlstudio.ui.document import Document


def snapshot(document: Document) -> dict:
    """The graph as plain data, independent of the order nodes were (re-)added in."""
    data = document.graph.to_dict()
    return {key: sorted(data[key], key=lambda item: item["id"]) for key in data}


@pytest.fixture
def doc(qtbot) -> Document:
    """Input(1×28×28) -> Conv2d -> Flatten -> Dense(10) -> Output, built with the editor."""
    document = Document()
    editor = document.editor
    ids = [editor.add_node("Input", (0, 0)), editor.add_node("Conv2d", (260, 0)),
           editor.add_node("Flatten", (520, 0)),
           editor.add_node("Dense", (780, 0), {"units": 10}),
           editor.add_node("Output", (1040, 0))]
    for src, dst in zip(ids, ids[1:], strict=False):
        assert editor.connect(src, dst) is None
    document.ids = ids
    return document


def test_each_edit_is_one_step_and_undo_redo_restore_the_graph(doc: Document) -> None:
    stack, editor = doc.undo_stack, doc.editor
    inp, conv, flat, dense, out = doc.ids
    edits = [
        lambda: editor.add_node("Dropout", (100, 300)),
        lambda: editor.set_param(conv, "filters", 64),
        lambda: editor.rename(conv, "conv1"),
        lambda: editor.move_nodes({conv: ((260, 0), (300, 40))}),
        lambda: editor.disconnect(doc.graph.edge_into(out, "in").id),
        lambda: editor.delete_nodes([flat]),
        lambda: editor.auto_layout(),
        lambda: editor.paste({"nodes": [doc.graph.nodes[dense].to_dict()], "edges": []},
                             (40, 40)),
    ]
    for edit in edits:
        before, count = snapshot(doc), stack.count()
        edit()
        after = snapshot(doc)
        assert stack.count() == count + 1 and after != before
        stack.undo()
        assert snapshot(doc) == before
        stack.redo()
        assert snapshot(doc) == after


def test_undo_texts_are_readable(doc: Document) -> None:
    conv = doc.ids[1]
    doc.editor.set_param(conv, "filters", 64)
    doc.editor.rename(conv, "conv1")
    doc.editor.connect(doc.ids[0], doc.editor.add_node("Conv2d", (0, 200)))
    texts = [doc.undo_stack.text(i) for i in range(doc.undo_stack.count())]
    assert texts[:2] == ["Add Input input_1", "Add Conv2d conv2d_1"]
    assert "Connect input_1 → conv2d_1" in texts
    assert "Set conv2d_1.filters = 64" in texts
    assert "Rename conv2d_1 → conv1" in texts
    # conv2d_1 is free again after the rename, so the new node takes it
    assert texts[-2:] == ["Add Conv2d conv2d_1", "Connect input_1 → conv2d_1"]


def test_delete_is_one_macro_and_undo_restores_node_and_wires_with_same_ids(
        doc: Document) -> None:
    conv = doc.ids[1]
    wires = {e.id: e for e in doc.graph.edges.values() if conv in (e.src, e.dst)}
    before = snapshot(doc)
    doc.editor.delete_nodes([conv])
    assert conv not in doc.graph.nodes and not set(wires) & set(doc.graph.edges)
    assert doc.undo_stack.text(doc.undo_stack.index() - 1) == "Delete conv2d_1"
    doc.undo_stack.undo()
    assert snapshot(doc) == before
    assert all(doc.graph.edges[i] == edge for i, edge in wires.items())


def test_refused_connections_give_the_reason_and_record_nothing(doc: Document) -> None:
    inp, conv, flat, dense, out = doc.ids
    loose = doc.editor.add_node("Dense", (0, 200))
    merge = doc.editor.add_node("Add", (200, 200))
    assert doc.editor.connect(loose, merge, dst_port="in1") is None
    count = doc.undo_stack.count()
    assert "cycle" in doc.editor.connect(merge, loose)
    assert "already fed" in doc.editor.connect(inp, flat)
    reason = doc.editor.connect(inp, doc.editor.add_node("Dense", (0, 300)))
    assert reason is not None and "Flatten" in reason  # an image into a Dense
    conv2 = doc.editor.add_node("Conv2d", (0, 400))
    reason = doc.editor.connect(flat, conv2)  # Flatten gives a vector; Conv2d wants an image
    assert reason is not None and "image" in reason and "conv2d_2" in reason
    assert doc.undo_stack.count() == count + 2  # the two added nodes, no wire
    assert doc.graph.edge_into(conv2, "in") is None


def test_shape_check_uses_the_other_inputs_of_a_merge(qtbot) -> None:
    document = Document()
    editor = document.editor
    a = editor.add_node("Input", (0, 0), {"kind": "vector", "shape": (4,)})
    b = editor.add_node("Input", (0, 100), {"kind": "vector", "shape": (5,)})
    add = editor.add_node("Add", (200, 0))
    assert editor.connect(a, add, dst_port="in1") is None
    reason = editor.connect(b, add, dst_port="in2")
    assert reason is not None and "4 and 5" in reason


def test_invalid_values_and_names_raise_and_record_nothing(doc: Document) -> None:
    conv = doc.ids[1]
    count = doc.undo_stack.count()
    with pytest.raises(GraphError, match="filters"):
        doc.editor.set_param(conv, "filters", 0)
    with pytest.raises(GraphError, match="not allowed"):
        doc.editor.rename(conv, "2bad name")
    with pytest.raises(GraphError, match="already used"):
        doc.editor.rename(conv, doc.graph.nodes[doc.ids[2]].name)
    with pytest.raises(GraphError, match="unknown layer type"):
        doc.editor.add_node("Conv9d", (0, 0))
    assert doc.undo_stack.count() == count
    doc.editor.set_param(conv, "filters", 32)  # unchanged value: nothing to undo
    assert doc.undo_stack.count() == count


def test_paste_keeps_internal_wiring_with_fresh_ids_and_names(doc: Document) -> None:
    inp, conv, flat, dense, out = doc.ids
    data = selection_data(doc.graph, [conv, flat, dense])
    assert len(data["edges"]) == 2  # only the wires among the chosen nodes
    new = doc.editor.paste(data, (0, 300))
    assert len(new) == 3 and not set(new) & set(doc.ids)
    names = [doc.graph.nodes[i].name for i in new]
    assert names == ["conv2d_2", "flatten_2", "dense_2"]
    assert doc.graph.nodes[new[0]].position == (260, 300)
    assert doc.graph.edge_into(new[1], "in").src == new[0]
    assert doc.graph.edge_into(new[2], "in").src == new[1]
    assert doc.graph.edge_into(new[0], "in") is None
    assert doc.undo_stack.text(doc.undo_stack.index() - 1) == "Paste 3 nodes"
    doc.undo_stack.undo()
    assert not set(new) & set(doc.graph.nodes)


def test_paste_refuses_foreign_data_before_changing_anything(doc: Document) -> None:
    before, count = snapshot(doc), doc.undo_stack.count()
    with pytest.raises(GraphError, match="clipboard"):
        doc.editor.paste({"nodes": [{"name": "x"}]}, (0, 0))
    assert snapshot(doc) == before and doc.undo_stack.count() == count


def test_auto_layout_is_one_step_stacking_layers_top_to_bottom(doc: Document) -> None:
    for node_id in doc.ids:
        doc.graph.move_node(node_id, (0, 0))
    doc.undo_stack.clear()
    doc.editor.auto_layout()
    assert doc.undo_stack.count() == 1 and doc.undo_stack.text(0) == "Auto layout"
    ys = [doc.graph.nodes[i].position[1] for i in doc.ids]
    assert ys == sorted(ys) and len(set(ys)) == len(ys)
    doc.undo_stack.undo()
    assert all(doc.graph.nodes[i].position == (0, 0) for i in doc.ids)


def test_report_is_recomputed_once_after_a_burst_of_edits(doc: Document, qtbot) -> None:
    reports = []
    doc.report_updated.connect(reports.append)
    doc.editor.auto_layout()
    doc.editor.set_param(doc.ids[1], "filters", 8)
    qtbot.waitUntil(lambda: len(reports) == 1)
    assert reports[0].shapes[doc.ids[1]] == (8, 26, 26)
    assert doc.report.ok


def test_selection_and_modified_state(doc: Document) -> None:
    seen = []
    doc.selection_changed.connect(seen.append)
    doc.set_selection([doc.ids[1], "nope"])
    assert doc.selected_ids() == [doc.ids[1]] and seen == [[doc.ids[1]]]
    doc.editor.delete_nodes([doc.ids[1]])
    assert doc.selected_ids() == []
    assert doc.is_modified()


def test_save_open_round_trip(doc: Document, tmp_path: Path, qtbot) -> None:
    path = tmp_path / "net.dlstudio"
    with pytest.raises(ValueError, match="no file"):
        doc.save()
    with qtbot.waitSignal(doc.path_changed):
        doc.save(path)
    assert not doc.is_modified() and doc.path == path
    reopened = Document.open(path)
    assert reopened.graph.to_dict() == doc.graph.to_dict() and reopened.path == path
    assert not reopened.is_modified()
    path.write_text("{ broken", encoding="utf-8")
    with pytest.raises(ProjectError):
        Document.open(path)


def test_from_template_and_a_given_project(qtbot) -> None:
    document = Document.from_template("cnn-small")
    assert len(document.graph) == 10 and document.report.ok
    assert not document.is_modified()
    graph = Graph()
    graph.add_node("Input")
    assert Document(Project(graph=graph)).graph is graph


def test_paste_of_a_name_at_the_length_limit_falls_back_to_a_type_name(qtbot) -> None:
    document = Document()
    long_name = "n" * 64
    node = document.editor.add_node("Dense", (0, 0))
    document.editor.rename(node, long_name)
    (pasted,) = document.editor.paste(selection_data(document.graph, [node]), (0, 100))
    assert document.graph.nodes[pasted].name == "dense_1"
