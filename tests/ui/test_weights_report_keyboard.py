"""The Load weights report by keyboard: Enter means "Train from these weights" even
after Tab has visited Cancel and come back to the list (it meant Cancel before)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from dlstudio.compile import compile_graph
from dlstudio.graph.templates import build_template
from dlstudio.ui.byom.weights_report import WeightsReportDialog
from dlstudio.weights import match_weights


def _report(qtbot) -> WeightsReportDialog:
    graph = build_template("xor")
    match = match_weights(graph, compile_graph(graph).state_dict(), source="xor.pt")
    dialog = WeightsReportDialog(match, "xor.pt")
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
    return dialog


def _press(qtbot, dialog: WeightsReportDialog, key: Qt.Key,
           modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(dialog.focusWidget(), key, modifier)


def test_enter_trains_from_the_weights_after_tabbing_round(qtbot) -> None:
    dialog = _report(qtbot)
    assert dialog.focusWidget() is dialog.tree
    for _ in range(2):
        _press(qtbot, dialog, Qt.Key.Key_Tab)
    assert dialog.focusWidget().text() == "Cancel"
    for _ in range(2):
        _press(qtbot, dialog, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert dialog.focusWidget() is dialog.tree
    _press(qtbot, dialog, Qt.Key.Key_Return)
    assert dialog.result() == WeightsReportDialog.DialogCode.Accepted


def test_escape_cancels(qtbot) -> None:
    dialog = _report(qtbot)
    _press(qtbot, dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert dialog.result() == WeightsReportDialog.DialogCode.Rejected
