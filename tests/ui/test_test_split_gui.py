"""A run with a test share, as a user makes it: set "Test share", press Train; when the
run ends the Train view says how the final weights did on the test split, the runs
comparison lists those numbers, and the Evaluate view opens on that split with the same
numbers."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from dlstudio.runs import RunStore

WAIT_MS = 60_000


def test_a_finished_run_shows_its_test_metrics(qtbot, workbench) -> None:
    window, bench = workbench
    window.files.new_from_template("logistic-regression")  # builtin:blobs, 400 samples
    panel, session = bench.training.panel, bench.training.session
    form = panel.form.fields
    form["epochs"].setValue(2)
    share = form["test_fraction"]
    share.selectAll()
    qtbot.keyClicks(share, "0.20")  # typed as a user would
    share.interpretText()
    assert session.document.project.training["test_fraction"] == pytest.approx(0.2)
    dashboard = bench.training.dashboard
    assert dashboard.test_summary.isHidden()
    controller = session.controller
    with qtbot.waitSignal(controller.run_ended, timeout=WAIT_MS):
        qtbot.mouseClick(panel.controls.train_button, Qt.MouseButton.LeftButton)
    assert controller.state == "finished"

    # The record on disk keeps the test result.
    [run] = RunStore(session.store.root).runs()
    tested = run.test_metrics()
    assert run.result["test"]["samples"] == 80
    assert set(tested) == {"loss", "accuracy", "precision", "recall", "f1"}

    # The Train view: under the run's title, and in the log.
    summary = dashboard.test_summary
    assert summary.isVisible() and "80 samples" in summary.text()
    assert f"accuracy {tested['accuracy']:.4f}" in summary.text()
    assert f"loss {tested['loss']:.4f}" in summary.text()
    log = panel.log.toPlainText()
    assert "Test split (80 samples): loss" in log

    # The runs comparison lists them.
    runs = dashboard.runs
    dashboard.tabs.setCurrentWidget(runs)
    assert run.id in runs.checked_ids()
    labels = [runs.table.verticalHeaderItem(row).text()
              for row in range(runs.table.rowCount())]
    row = labels.index("test accuracy")
    assert runs.table.item(row, 0).text() == f"{tested['accuracy']:.4f}"

    # The Evaluate view opens on the test split, with the same numbers.
    evaluation = bench.evaluation
    with qtbot.waitSignal(evaluation.evaluated, timeout=WAIT_MS) as caught:
        window.show_workspace("evaluate")
    result = caught.args[0]
    assert evaluation.split_box.currentData() == "test" and result.split == "test"
    assert result.samples == 80
    assert result.metrics == pytest.approx(tested, rel=1e-6)

    # A new run starts without the last one's test line.
    window.show_workspace("train")
    form["epochs"].setValue(1)
    with qtbot.waitSignal(controller.run_started, timeout=WAIT_MS):
        qtbot.mouseClick(panel.controls.train_button, Qt.MouseButton.LeftButton)
    assert summary.isHidden()
    qtbot.waitUntil(lambda: not controller.active, timeout=WAIT_MS)
    assert summary.isVisible()  # its own test split this time
