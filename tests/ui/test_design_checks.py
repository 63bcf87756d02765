"""Design-time checks a learner meets before Train: the chosen data against the graph,
a blank canvas that greets instead of scolding, pooling's stride 0 and stray shape text."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from dlstudio.graph import Graph
from dlstudio.graph.project import Project
from dlstudio.graph.templates import build_template
from dlstudio.ui.canvas.view import EMPTY_HINT
from dlstudio.ui.document import Document
from dlstudio.ui.main_window import MainWindow
from dlstudio.ui.panels.inspector import InspectorPanel
from dlstudio.ui.panels.problems import BLANK


def _problem_texts(window: MainWindow) -> list[str]:
    problems = window.problems_panel.list
    return [problems.item(i).text() for i in range(problems.count())]


def _choose_builtin(qtbot, data, name: str) -> None:
    """Choosing a built-in set is enough: it loads by itself (no Load click)."""
    data.source.setCurrentIndex(data.source.findData("builtin"))
    data.builtin.setCurrentIndex(data.builtin.findData(name))


def test_an_output_too_wide_for_the_chosen_data_is_marked_on_its_node(gui, qtbot) -> None:
    window, ui = gui
    window.files.new_from_template("mlp")
    document = window.document
    dense = document.graph.nodes_of_type("Dense")[-1]
    output = document.graph.nodes_of_type("Output")[0]
    _choose_builtin(qtbot, ui.panel.data, "xor")  # data with no image classes at all
    qtbot.waitUntil(lambda: document.data_facts is not None)
    _choose_builtin(qtbot, ui.panel.data, "digits")
    document.editor.set_param(dense.id, "units", 64)
    qtbot.waitUntil(lambda: document.report.shapes.get(dense.id) == (64,))
    expected = (f'Output "{output.name}" gets 64 values per sample but digits has 10 '
                f'classes: set the units of Dense "{dense.name}" to 10')
    qtbot.waitUntil(lambda: expected in _problem_texts(window))
    item = window.view.canvas_scene.nodes[output.id]
    assert item.severity == "error" and item.messages == [expected]
    assert window.docks["Problems"].windowTitle() == "Problems (1)"

    document.editor.set_param(dense.id, "units", 10)
    qtbot.waitUntil(lambda: item.severity is None)
    assert not document.report.problems

    # Train refuses what the canvas showed, in the same words.
    document.editor.set_param(dense.id, "units", 64)
    qtbot.waitUntil(lambda: item.severity == "error")
    ui.session.train()
    qtbot.waitUntil(lambda: expected in ui.panel.notice.text())
    assert ui.session.controller.run is None or not ui.session.controller.active


def test_the_data_checks_follow_a_newly_opened_project(gui, qtbot) -> None:
    window, ui = gui
    window.files.new_from_template("mlp")
    _choose_builtin(qtbot, ui.panel.data, "digits")
    qtbot.waitUntil(lambda: window.document.data_facts is not None)
    window.files.new_from_template("xor")  # its data is builtin:xor, loading by itself
    assert window.document.data_facts is None  # the previous project's facts are dropped
    qtbot.waitUntil(lambda: window.document.data_facts is not None)
    assert window.document.data_facts.name.endswith("xor")
    assert not window.document.report.errors
    ui.panel.data.builtin.setCurrentIndex(ui.panel.data.builtin.findData("digits"))
    assert window.document.data_facts is None  # a new choice: stale facts are dropped


def test_a_blank_canvas_has_no_errors_and_says_how_to_begin(qtbot) -> None:
    from dlstudio.ui.canvas.view import CanvasView
    from dlstudio.ui.panels.problems import ProblemsPanel

    document = Document()
    problems = ProblemsPanel(document)
    view = CanvasView(document)
    for widget in (problems, view):
        qtbot.addWidget(widget)
    assert document.report.problems == []
    assert [problems.list.item(i).text() for i in range(problems.list.count())] == [BLANK]
    assert "Layers panel" in EMPTY_HINT and "Ctrl+Shift+N" in EMPTY_HINT
    with qtbot.waitSignal(problems.counts_changed, timeout=2000) as signal:
        document.editor.add_node("Dense", (0.0, 0.0))
    assert signal.args[0] >= 1  # once there is a node, the usual checks apply
    assert any("no Input" in p.message for p in document.report.errors)


@pytest.fixture
def inspector(qtbot):
    document = Document(Project(graph=build_template("cnn-small"), name="cnn-small"))
    panel = InspectorPanel(document)
    qtbot.addWidget(panel)
    panel.show()
    return document, panel


def test_a_pooling_stride_of_0_reads_same_as_kernel(inspector) -> None:
    document, panel = inspector
    pool = document.graph.nodes_of_type("MaxPool2d")[0]
    document.set_selection([pool.id])
    stride = panel.fields["stride"].input
    assert stride.value() == 0 and stride.text() == "same as kernel"
    stride.setValue(1)
    assert document.graph.nodes[pool.id].params["stride"] == 1
    assert stride.text() == "1"
    assert panel.fields["kernel_size"].input.specialValueText() == ""


@pytest.mark.parametrize("typed", ["28x28x", "x28", "28xx28", "1,,28"])
def test_a_shape_with_a_stray_separator_is_refused(qtbot, inspector, typed: str) -> None:
    document, panel = inspector
    image = document.graph.nodes_of_type("Input")[0]
    document.set_selection([image.id])
    field = panel.fields["shape"]
    field.input.setFocus()
    field.input.selectAll()
    qtbot.keyClicks(field.input, typed)
    qtbot.keyClick(field.input, Qt.Key.Key_Return)
    assert field.error is not None
    assert field.error.startswith("shape has a separator with no number beside it")
    assert f'shape="{typed}"' in field.error and "[" not in field.error
    assert document.graph.nodes[image.id].params["shape"] == (1, 28, 28)


def test_an_empty_graph_is_still_refused_by_the_compiler() -> None:
    from dlstudio.graph import infer_shapes

    assert [p.message for p in infer_shapes(Graph()).errors][0].startswith(
        "the graph has no Input node")
