"""The model summary panel shows the same numbers as `summarize`, live, and clicking a
row selects its layer; the problems panel lists the report's problems."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from dlstudio.graph import format_shape
from dlstudio.graph.project import Project
from dlstudio.graph.summary import summarize
from dlstudio.graph.templates import build_template
from dlstudio.ui.document import Document
from dlstudio.ui.panels.problems import NO_PROBLEMS, ProblemsPanel
from dlstudio.ui.panels.summary import SummaryPanel


def _document(template: str) -> Document:
    return Document(Project(graph=build_template(template), name=template))


@pytest.fixture
def panel(qtbot) -> SummaryPanel:
    widget = SummaryPanel(_document("cnn-small"))
    qtbot.addWidget(widget)
    widget.resize(420, 500)
    widget.show()
    return widget


def test_rows_and_totals_match_summarize(panel) -> None:
    expected = summarize(panel.document.graph)
    rows = panel.row_texts()
    assert [r[0] for r in rows] == [layer.name for layer in expected.layers]
    assert [r[2] for r in rows] == [format_shape(layer.output_shape)
                                    for layer in expected.layers]
    assert dict((r[0], r[3]) for r in rows)["fc1"] == "692,352"
    assert "Total params: 693,962" in panel.totals.text()
    assert "Input 1×28×28" in panel.totals.text() and "Output 10" in panel.totals.text()


def test_updates_live_after_an_edit_and_its_undo(qtbot, panel) -> None:
    document = panel.document
    fc1 = document.graph.node_by_name("fc1").id
    with qtbot.waitSignal(panel.summary_changed, timeout=2000):
        document.editor.set_param(fc1, "units", 64)
    assert dict((r[0], r[2:]) for r in panel.row_texts())["fc1"] == ("64", "346,176")
    assert f"Total params: {summarize(document.graph).total_params:,}" in panel.totals.text()
    with qtbot.waitSignal(panel.summary_changed, timeout=2000):
        document.undo_stack.undo()
    assert "Total params: 693,962" in panel.totals.text()


def test_frozen_layers_are_marked(qtbot) -> None:
    widget = SummaryPanel(_document("vgg16-transfer"))
    qtbot.addWidget(widget)
    rows = {widget.table.topLevelItem(i).text(0): widget.table.topLevelItem(i)
            for i in range(widget.table.topLevelItemCount())}
    frozen, head = rows["block1_conv1"], rows["fc1"]
    assert frozen.font(0).italic() and "frozen" in frozen.toolTip(3)
    assert not head.font(0).italic() and "frozen" not in head.toolTip(3)
    assert frozen.text(3) == "1,792"  # the count alone, so the columns keep their width
    assert "Non-trainable (greyed): 14,714,688" in widget.totals.text()


def test_clicking_a_row_selects_the_layer(qtbot, panel) -> None:
    table = panel.table
    item = table.topLevelItem(2)
    with qtbot.waitSignal(panel.node_activated) as signal:
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                         pos=table.visualItemRect(item).center())
    node = panel.document.graph.node_by_name(item.text(0))
    assert signal.args == [node.id]
    assert panel.document.selected_ids() == [node.id]


def test_problems_panel_lists_errors_first(qtbot) -> None:
    document = _document("xor")
    problems = ProblemsPanel(document)
    qtbot.addWidget(problems)
    assert problems.list.item(0).text() == NO_PROBLEMS
    with qtbot.waitSignal(problems.counts_changed, timeout=2000) as signal:
        document.editor.add_node("Dense", (0.0, 400.0))
    assert signal.args == [1, 1]
    assert [p.severity for p in problems.problems] == ["error", "warning"]
    assert "is not connected" in problems.list.item(0).text()


def test_macs_column_totals_and_tooltips(qtbot, panel) -> None:
    macs = panel.mac_texts()
    assert macs["conv1"] == "195 k" and macs["fc1"] == "692 k" and macs["relu1"] == "0"
    totals = panel.totals.text()
    assert "MACs: 888 k" in totals and "Activations: 199 kB (one sample)" in totals
    conv1 = next(panel.table.topLevelItem(i) for i in range(panel.table.topLevelItemCount())
                 if panel.table.topLevelItem(i).text(0) == "conv1")
    assert "194,688 multiply-adds" in conv1.toolTip(4)
    assert "output 86.5 kB" in conv1.toolTip(0)
    fc1 = panel.document.graph.node_by_name("fc1").id
    with qtbot.waitSignal(panel.summary_changed, timeout=2000):
        panel.document.editor.set_param(fc1, "units", 64)
    assert panel.mac_texts()["fc1"] == "346 k"


@pytest.mark.parametrize(("template", "width", "type_shown"),
                         [("resnet18", 320, False), ("cnn-small", 300, False),
                          ("cnn-small", 500, True), ("resnet18", 700, True)])
def test_columns_fit_a_narrow_dock(qtbot, template, width, type_shown) -> None:
    """The dock is about 320 pixels wide at 1366x768: shapes, params and MACs keep
    their whole text without scrolling sideways; the Type column goes first, then long
    names are cut at the end."""
    widget = SummaryPanel(_document(template))
    qtbot.addWidget(widget)
    widget.resize(width, 500)
    widget.show()
    qtbot.waitExposed(widget)
    table = widget.table
    assert table.isColumnHidden(1) is not type_shown
    shown = [c for c in range(table.columnCount()) if not table.isColumnHidden(c)]
    assert sum(table.header().sectionSize(c) for c in shown) <= table.viewport().width()
    metrics = table.fontMetrics()
    for column in (0, 2, 3, 4) if type_shown else (2, 3, 4):
        widest = max(metrics.horizontalAdvance(table.topLevelItem(i).text(column))
                     for i in range(table.topLevelItemCount()))
        assert table.header().sectionSize(column) >= widest, column
    assert table.header().sectionSize(0) >= metrics.horizontalAdvance("layer1_0")
