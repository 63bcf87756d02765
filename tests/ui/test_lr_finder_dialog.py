"""The learning-rate finder from the settings form, as a user meets it: Find…, the curve,
Use 2.8e-03, Ctrl+Z; Cancel and closing mid-run; bad data, a broken graph and a run in
progress. Real range tests on small built-in data (a few batches each)."""

from __future__ import annotations

import math

import pytest
import shiboken6
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from dlstudio.train.lr_finder import lr_find
from dlstudio.ui.training.lr_finder_dialog import (
    TRAINING_TEXT,
    UNDO_TEXT,
    LrFinderDialog,
    shown_rate,
)

WAIT_MS = 90_000  # a shared 2-core machine: building the model and 100 batches


def _click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def _open(window, bench, qtbot) -> LrFinderDialog:
    """Click Find… beside the learning rate; the finder opens and starts."""
    form = bench.training.panel.form
    window.show_workspace("train")
    assert form.find_lr_button.isEnabled()
    _click(qtbot, form.find_lr_button)
    dialogs = [d for d in window.findChildren(LrFinderDialog) if d.isVisible()]
    assert len(dialogs) == 1
    return dialogs[0]


def _template(window, bench, name: str, **fields) -> None:
    window.files.new_from_template(name)
    for key, value in fields.items():
        bench.training.panel.form.fields[key].setValue(value)


def test_find_plots_the_curve_and_use_is_one_undo_step(workbench, qtbot) -> None:
    window, bench = workbench
    _template(window, bench, "xor")
    session, form, document = bench.training.session, bench.training.panel.form, \
        window.document
    before, training_before = form.values(), dict(document.project.training)
    rng = torch.get_rng_state()
    dialog = _open(window, bench, qtbot)
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=WAIT_MS)
    result = dialog.result
    assert not dialog.problem.isVisible()
    # the plot holds every point the test measured, on a log rate axis
    rates, losses = dialog.plot.smooth.getOriginalDataset()
    assert list(rates) == result.rates and list(losses) == result.losses
    assert len(result.rates) == dialog.batches.value() or result.stopped_early
    assert dialog.plot.getPlotItem().ctrl.logXCheck.isChecked()
    assert dialog.plot.suggested_line.value() == pytest.approx(
        math.log10(result.suggestion))
    assert dialog.plot.min_line.value() == pytest.approx(math.log10(result.min_rate))
    assert dialog.progress.value() == len(result.rates)
    assert f"{result.suggestion:.1e}" in dialog.words.text()
    assert torch.equal(torch.get_rng_state(), rng)  # the test put the random state back
    # the same test run by the core on the same data and settings suggests the same rate
    settings = form.settings(data=bench.training.panel.data.spec())
    core = lr_find(document.graph, bench.training.panel.data.load(), settings,
                   batches=dialog.batches.value())
    assert result.suggestion == core.suggestion and result.min_rate == core.min_rate
    assert result.losses == pytest.approx(core.losses, rel=1e-5)
    assert form.values() == before  # nothing changed until Use
    assert not document.is_modified()
    # Use 2.8e-03: the form and the project take the rate shown, as one undo step
    use = dialog.use_button
    assert use.isEnabled() and use.text() == f"Use {result.suggestion:.1e}"
    _click(qtbot, use)
    assert not dialog.isVisible()
    value = shown_rate(result.suggestion)
    assert form.values()["lr"] == pytest.approx(value)
    assert document.project.training["lr"] == pytest.approx(value)
    assert form.settings().lr == pytest.approx(value)
    assert document.undo_stack.count() == 1
    assert document.undo_stack.undoText() == UNDO_TEXT
    assert document.is_modified()
    assert session.latest_checkpoint() is None  # no run, no weights were made
    # Ctrl+Z puts the rate back
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.keyClick(form.find_lr_button, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert form.values() == before
    assert document.project.training.get("lr") == training_before.get("lr", before["lr"])
    assert not document.is_modified()


def test_cancel_mid_run_leaves_everything_as_before(workbench, qtbot) -> None:
    window, bench = workbench
    _template(window, bench, "mlp", batch_size=256)
    form, document = bench.training.panel.form, window.document
    before, training = form.values(), dict(document.project.training)
    rng = torch.get_rng_state()
    dialog = _open(window, bench, qtbot)
    _click(qtbot, dialog.cancel_button)  # the first run, cancelled as it starts
    qtbot.waitUntil(lambda: not dialog.running, timeout=WAIT_MS)
    dialog.batches.setValue(2000)
    _click(qtbot, dialog.run_button)
    assert dialog.running and not dialog.run_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.progress.value() >= 3, timeout=WAIT_MS)
    _click(qtbot, dialog.cancel_button)
    qtbot.waitUntil(lambda: not dialog.running, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "Cancelled" in dialog.words.text(), timeout=5000)
    assert dialog.result is None and not dialog.use_button.isEnabled()
    assert dialog.plot.smooth.getOriginalDataset()[0] is None or \
        len(dialog.plot.smooth.getOriginalDataset()[0]) == 0
    assert dialog.run_button.isEnabled()
    assert torch.equal(torch.get_rng_state(), rng)
    assert form.values() == before and document.project.training == training
    assert document.undo_stack.count() == 0 and not document.is_modified()
    dialog.close()


def test_closing_mid_run_ends_the_test_and_the_dialog(workbench, qtbot) -> None:
    window, bench = workbench
    _template(window, bench, "mlp", batch_size=256)
    form = bench.training.panel.form
    before = form.values()
    dialog = _open(window, bench, qtbot)
    _click(qtbot, dialog.cancel_button)
    qtbot.waitUntil(lambda: not dialog.running, timeout=WAIT_MS)
    dialog.batches.setValue(2000)
    _click(qtbot, dialog.run_button)
    job = dialog.job
    qtbot.waitUntil(lambda: dialog.progress.value() >= 2, timeout=WAIT_MS)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # close while it runs
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: not job.running, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog), timeout=5000)  # then it goes
    assert form.values() == before and window.document.undo_stack.count() == 0
    _click(qtbot, form.find_lr_button)  # and the finder opens again
    again = [d for d in window.findChildren(LrFinderDialog) if d.isVisible()]
    assert len(again) == 1
    again[0].cancel()
    qtbot.waitUntil(lambda: not again[0].running, timeout=WAIT_MS)
    again[0].done(QDialog.DialogCode.Rejected)


def test_data_that_cannot_load_is_one_line_and_changes_nothing(workbench, qtbot,
                                                               tmp_path) -> None:
    window, bench = workbench
    _template(window, bench, "xor")
    bench.training.panel.data.set_spec(f"csv:{tmp_path / 'missing.csv'}")
    before = bench.training.panel.form.values()
    dialog = _open(window, bench, qtbot)
    assert not dialog.running and dialog.problem.isVisible()
    text = dialog.problem.text()
    assert text.startswith("The test did not start: ") and "missing.csv" in text
    assert "\n" not in text
    assert not dialog.use_button.isEnabled()
    assert bench.training.panel.form.values() == before
    dialog.close()


def test_a_graph_with_problems_is_one_line_naming_the_node(workbench, qtbot) -> None:
    window, bench = workbench
    _template(window, bench, "mlp")
    graph = window.document.graph
    flatten = graph.nodes_of_type("Flatten")[0]
    window.document.editor.disconnect(graph.edges_into(flatten.id)[0].id)
    window.document.refresh_report()
    nodes = len(graph.nodes)
    dialog = _open(window, bench, qtbot)
    qtbot.waitUntil(lambda: dialog.problem.isVisible(), timeout=WAIT_MS)
    text = dialog.problem.text()
    assert text.startswith("The test could not run: ") and flatten.name in text
    assert "\n" not in text
    assert dialog.result is None and not dialog.use_button.isEnabled()
    assert len(window.document.graph.nodes) == nodes
    dialog.close()


def test_not_available_while_a_run_trains(workbench, qtbot) -> None:
    window, bench = workbench
    _template(window, bench, "mlp", epochs=2000, batch_size=32)
    ui = bench.training
    form, controller = ui.panel.form, ui.session.controller
    with qtbot.waitSignal(ui.session.locked_changed, timeout=WAIT_MS):
        _click(qtbot, ui.panel.controls.train_button)
    assert not form.find_lr_button.isEnabled()
    assert form.find_lr_button.toolTip() == TRAINING_TEXT
    with qtbot.waitSignal(controller.run_ended, timeout=WAIT_MS):
        controller.stop()
    assert form.find_lr_button.isEnabled()
    assert "range test" in form.find_lr_button.toolTip()


def _result(suggestion: float, min_rate: float, how: str, reason: str = ""):
    from dlstudio.train.lr_finder import LrFindResult

    rates = [1e-5, 1e-4, 1e-3, 1e-2]
    return LrFindResult(rates, [2.3, 2.0, 1.5, 3.0], [2.3, 2.0, 1.5, 3.0], suggestion,
                        min_rate, how, bool(reason), reason)


def test_the_verdict_says_which_rule_is_the_careful_one() -> None:
    from dlstudio.train.lr_finder import NO_FALL, STEEPEST
    from dlstudio.ui.training.lr_finder_dialog import verdict

    bolder = verdict(_result(1e-4, 1e-3, STEEPEST))
    assert "fastest at a learning rate of 1.0e-04" in bolder and "bolder" in bolder
    assert "ran 4 batches" in bolder
    careful = verdict(_result(1e-2, 1e-3, STEEPEST, "the loss diverged at rate 1.00e-02"))
    assert "more careful" in careful and "stopped after 4 batches: the loss diverged" \
        in careful
    flat = verdict(_result(1e-3, 1e-4, NO_FALL))
    assert "did not fall" in flat and "fastest" not in flat
    assert shown_rate(0.0023456) == 0.0023
