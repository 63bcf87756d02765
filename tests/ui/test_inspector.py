"""The inspector: widgets chosen from the catalogue, validation as typed, one undo step
per change, and the panel following undo, selection and the shape report."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QSpinBox

from dlstudio.graph.project import Project
from dlstudio.graph.templates import build_template
from dlstudio.ui.document import Document
from dlstudio.ui.panels.inspector import EMPTY_TEXT, InspectorPanel


@pytest.fixture
def document(qtbot) -> Document:
    return Document(Project(graph=build_template("cnn-small"), name="cnn-small"))


@pytest.fixture
def inspector(qtbot, document) -> InspectorPanel:
    panel = InspectorPanel(document)
    qtbot.addWidget(panel)
    panel.resize(360, 700)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def _select(document: Document, name: str) -> str:
    node_id = document.graph.node_by_name(name).id
    document.set_selection([node_id])
    return node_id


def _type(qtbot, widget, text: str, finish: bool = True) -> None:
    widget.setFocus()
    line = widget.lineEdit() if hasattr(widget, "lineEdit") else widget
    line.selectAll()
    qtbot.keyClicks(line, text)
    if finish:
        qtbot.keyClick(line, Qt.Key.Key_Return)


def _press_space(qtbot, widget) -> None:
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_Space)


def test_widgets_follow_the_catalogue(inspector, document) -> None:
    assert inspector.placeholder.text() == EMPTY_TEXT
    _select(document, "conv1")
    fields = inspector.fields
    assert list(fields) == ["filters", "kernel_size", "stride", "padding", "dilation",
                            "groups", "bias", "trainable"]
    filters = fields["filters"].input
    assert isinstance(filters, QSpinBox) and filters.value() == 32
    assert (filters.minimum(), filters.maximum()) == (1, 100_000)
    assert isinstance(fields["bias"].input, QCheckBox) and fields["bias"].input.isChecked()
    assert isinstance(fields["padding"].input, QLineEdit)
    assert fields["padding"].input.text() == "0"
    tip = filters.toolTip()
    assert "Number of output channels" in tip and "≥ 1" in tip and "≤ 100000" in tip
    assert "32×26×26" in inspector.shapes_label.text()
    assert "320 parameters" in inspector.shapes_label.text()

    _select(document, "output")
    loss = inspector.fields["loss"].input
    assert isinstance(loss, QComboBox) and loss.currentText() == "cross_entropy"
    _select(document, "image")
    shape = inspector.fields["shape"].input
    assert isinstance(shape, QLineEdit) and shape.text() == "1, 28, 28"


def test_spin_box_applies_on_enter_as_one_undo_step(qtbot, inspector, document) -> None:
    conv = _select(document, "conv1")
    filters = inspector.fields["filters"].input
    _type(qtbot, filters, "16", finish=False)
    assert document.graph.nodes[conv].params["filters"] == 32
    qtbot.keyClick(filters.lineEdit(), Qt.Key.Key_Return)
    assert document.graph.nodes[conv].params["filters"] == 16
    assert document.undo_stack.count() == 1
    assert document.undo_stack.undoText() == "Set conv1.filters = 16"
    qtbot.waitUntil(lambda: "16×26×26" in inspector.shapes_label.text())

    document.undo_stack.undo()
    assert filters.value() == 32
    qtbot.waitUntil(lambda: "32×26×26" in inspector.shapes_label.text())


def test_text_fields_validate_as_typed_and_never_apply_bad_text(qtbot, inspector,
                                                                  document) -> None:
    image = _select(document, "image")
    field = inspector.fields["shape"]
    _type(qtbot, field.input, "1, 28, a", finish=False)
    assert field.error is not None and "whole numbers" in field.error
    assert "color" in field.error_label.styleSheet()
    qtbot.keyClick(field.input, Qt.Key.Key_Return)
    assert document.graph.nodes[image].params["shape"] == (1, 28, 28)
    assert document.undo_stack.count() == 0

    _type(qtbot, field.input, "1, 32, 32")
    assert field.error is None
    assert document.graph.nodes[image].params["shape"] == (1, 32, 32)
    assert document.undo_stack.count() == 1

    _select(document, "conv1")
    padding = inspector.fields["padding"]
    _type(qtbot, padding.input, "SAME")
    assert document.graph.node_by_name("conv1").params["padding"] == "same"
    qtbot.waitUntil(lambda: "32×32×32" in inspector.shapes_label.text())


def test_check_box_drop_down_and_float_fields(qtbot, inspector, document) -> None:
    conv = _select(document, "conv1")
    _press_space(qtbot, inspector.fields["bias"].input)
    assert document.graph.nodes[conv].params["bias"] is False
    qtbot.waitUntil(lambda: "288 parameters" in inspector.shapes_label.text())

    output = _select(document, "output")
    loss = inspector.fields["loss"].input
    loss.setFocus()
    qtbot.keyClick(loss, Qt.Key.Key_Down)
    qtbot.keyClick(loss, Qt.Key.Key_Down)
    assert loss.currentText() == "mse"
    assert document.graph.nodes[output].params["loss"] == "mse"

    norm = document.editor.add_node("BatchNorm2d", (0.0, 300.0))
    document.set_selection([norm])
    eps = inspector.fields["eps"].input
    assert isinstance(eps, QDoubleSpinBox) and eps.text() == "1e-05"
    _type(qtbot, eps, "0.001")
    assert document.graph.nodes[norm].params["eps"] == pytest.approx(0.001)
    # bias, two steps through the loss list, the new node, eps: one undo step each
    assert document.undo_stack.count() == 5


def test_refused_change_reverts_and_says_why(qtbot, inspector, document) -> None:
    graph = document.graph
    add = document.editor.add_node("Add", (0.0, 400.0), {"inputs": 3})
    relu = graph.node_by_name("relu1").id
    for port in ("in1", "in2", "in3"):
        assert document.editor.connect(relu, add, dst_port=port) is None
    document.set_selection([add])
    field = inspector.fields["inputs"]
    _type(qtbot, field.input, "2")
    assert graph.nodes[add].params["inputs"] == 3
    assert field.input.value() == 3
    assert field.error is not None and "disconnect in3" in field.error


def test_rename_is_validated_and_undoable(qtbot, inspector, document) -> None:
    conv = _select(document, "conv1")
    name = inspector.name_edit
    _type(qtbot, name, "2conv", finish=False)
    assert inspector.name_error.isVisible() and "not allowed" in inspector.name_error.text()
    _type(qtbot, name, "pool1", finish=False)
    assert "already used" in inspector.name_error.text()
    qtbot.keyClick(name, Qt.Key.Key_Return)
    assert document.graph.nodes[conv].name == "conv1"

    _type(qtbot, name, "features")
    assert document.graph.nodes[conv].name == "features"
    assert not inspector.name_error.isVisible()
    document.undo_stack.undo()
    assert name.text() == "conv1"


def test_selection_of_several_or_a_removed_node(qtbot, inspector, document) -> None:
    ids = [document.graph.node_by_name(n).id for n in ("conv1", "pool1")]
    document.set_selection(ids)
    assert inspector.node_id is None and "2 layers selected" in inspector.placeholder.text()
    document.set_selection([ids[0]])
    assert inspector.node_id == ids[0]
    document.editor.delete_nodes([ids[0]])
    assert inspector.node_id is None and inspector.placeholder.text() == EMPTY_TEXT
