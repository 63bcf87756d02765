"""Replay in the whole app: after a real 4-epoch run that kept epochs 2 and 4, the epoch
slider, moved with the keyboard, takes the curves' cursor, the confusion matrix, the
mistakes, Try it and Evaluate back to epoch 2."""

from __future__ import annotations

import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from dlstudio.infer.predict import Predictor

FIXED_INPUT = torch.linspace(0, 1, 28 * 28).reshape(1, 1, 28, 28)


@pytest.fixture
def replayed(qtbot, workbench):
    window, bench = workbench
    window.files.new_from_template("mlp")
    form = bench.training.panel.form
    form.fields["epochs"].setValue(4)
    form.fields["checkpoint_every"].setValue(2)
    controller = bench.training.session.controller
    with qtbot.waitSignal(controller.run_ended, timeout=120_000):
        qtbot.mouseClick(bench.training.panel.controls.train_button, Qt.MouseButton.LeftButton)
    assert controller.state == "finished"
    return window, bench


def _probabilities(predictor: Predictor) -> torch.Tensor:
    with torch.no_grad():
        return predictor.probabilities(FIXED_INPUT.to(predictor.device))


def test_the_slider_takes_the_train_view_and_try_it_back(qtbot, replayed) -> None:
    window, bench = replayed
    dashboard = bench.training.dashboard
    slider, run = dashboard.epochs, dashboard.replay.run
    assert run is not None and slider.count == 4 and slider.latest
    assert slider.label.text() == "Epoch 4 of 4 · latest"
    kept = run.epoch_checkpoints()
    assert kept[2].name == "epoch-0002.pt" and kept[4].name == "epoch-0004.pt"
    last_probabilities = _probabilities(bench.try_panel.predictor)

    slider.slider.setFocus()
    qtbot.keyClick(slider.slider, Qt.Key.Key_Left)
    qtbot.keyClick(slider.slider, Qt.Key.Key_Left)
    assert slider.epoch == 2 and not slider.latest
    assert slider.label.text() == "Epoch 2 of 4"
    curves = dashboard.curves
    assert curves.cursor_epoch == 2
    assert all(line.isVisible() and line.value() == 2.0 for line in curves.cursors)
    matrices = {entry["epoch"]: entry["confusion"] for entry in run.history}
    assert dashboard.confusion.matrix.tolist() == matrices[2] != matrices[4]
    assert dashboard.confusion.caption.text().startswith("Epoch 2:")

    # Try it now holds epoch 2's weights: its prediction is not the final one's
    assert "epoch-0002.pt" in bench.try_panel.header.text()
    assert not torch.allclose(_probabilities(bench.try_panel.predictor), last_probabilities)
    # the mistakes are those of epoch 2's weights, found on a worker thread
    qtbot.waitUntil(lambda: dashboard.mistakes.caption.text().startswith("Epoch 2:"),
                    timeout=60_000)
    wrong = sum(sum(row) for row in matrices[2]) - sum(matrices[2][i][i]
                                                       for i in range(len(matrices[2])))
    assert f"{wrong:,} of" in dashboard.mistakes.caption.text()
    assert len(dashboard.mistakes.tiles) == min(wrong, len(dashboard.mistakes._pool))

    qtbot.keyClick(slider.slider, Qt.Key.Key_Home)
    assert slider.epoch == 1 and curves.cursor_epoch == 1
    assert dashboard.confusion.matrix.tolist() == matrices[1]
    if 1 not in kept:  # best.pt could be epoch 1's
        assert "No weights were kept for epoch 1" in dashboard.mistakes.caption.text()
    qtbot.keyClick(slider.slider, Qt.Key.Key_End)
    assert slider.latest and curves.cursor_epoch == 4
    assert dashboard.confusion.matrix.tolist() == matrices[4]
    assert torch.allclose(_probabilities(bench.try_panel.predictor), last_probabilities)
    qtbot.waitUntil(lambda: not dashboard.replay.evaluation.is_busy(), timeout=60_000)


def test_evaluate_measures_the_chosen_epochs_weights(qtbot, replayed) -> None:
    window, bench = replayed
    panel = bench.evaluation
    run = bench.training.dashboard.replay.run
    with qtbot.waitSignal(panel.evaluated, timeout=60_000):
        window.show_workspace("evaluate")
    assert panel.epochs.count == 4 and panel.epochs.latest
    final = panel.evaluation.metrics["accuracy"]

    panel.epochs.slider.setFocus()
    with qtbot.waitSignal(panel.evaluated, timeout=60_000) as blocker:
        qtbot.keyClick(panel.epochs.slider, Qt.Key.Key_Left)
        qtbot.keyClick(panel.epochs.slider, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: panel.evaluation is not None
                    and panel.evaluation.checkpoint.name == "epoch-0002.pt", timeout=60_000)
    result = panel.evaluation
    assert blocker.args is not None and panel.epochs.label.text() == "Epoch 2 of 4"
    history = {entry["epoch"]: entry for entry in run.history}
    # the same validation samples the run measured after epoch 2
    assert result.metrics["accuracy"] == pytest.approx(history[2]["val"]["accuracy"],
                                                       abs=1e-6)
    assert [list(row) for row in result.confusion] == history[2]["confusion"]
    assert result.metrics["accuracy"] != final or history[2]["confusion"] != \
        history[4]["confusion"]
    assert "epoch-0002.pt" in panel.status.text()
    assert "epoch-0002.pt" in bench.try_panel.header.text()

    qtbot.keyClick(panel.epochs.slider, Qt.Key.Key_Home)  # no weights kept for epoch 1
    if 1 not in run.epoch_checkpoints():
        assert "No weights were kept for epoch 1" in panel.status.text()
        assert panel.confusion.matrix.tolist() == history[1]["confusion"]
        assert panel.evaluation is None
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=60_000)


def test_looking_back_while_a_run_trains_leaves_the_run_alone(qtbot, workbench) -> None:
    window, bench = workbench
    window.files.new_from_template("mlp")
    form = bench.training.panel.form
    form.fields["epochs"].setValue(12)
    form.fields["checkpoint_every"].setValue(1)
    controller, dashboard = bench.training.session.controller, bench.training.dashboard
    slider = dashboard.epochs
    qtbot.mouseClick(bench.training.panel.controls.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: slider.count >= 2 or not controller.active, timeout=120_000)
    assert controller.active and slider.latest  # it follows the newest epoch so far
    slider.slider.setFocus()
    qtbot.keyClick(slider.slider, Qt.Key.Key_Home)
    looked_back_at = slider.count
    assert slider.epoch == 1 and not slider.latest
    with qtbot.waitSignal(controller.run_ended, timeout=180_000):
        pass
    run = dashboard.replay.run
    assert controller.state == "finished" and len(run.history) == 12
    assert sorted(run.epoch_checkpoints()) == list(range(1, 13))
    # the slider stayed on epoch 1 while the run went on; the curves got every epoch
    assert slider.count == 12 > looked_back_at and slider.epoch == 1
    assert slider.label.text() == "Epoch 1 of 12"
    assert dashboard.curves.cursor_epoch == 1
    assert dashboard.confusion.matrix.tolist() == run.history[0]["confusion"]
    assert len(dashboard.curves.train_loss.item.xData) == 12
    # Try it keeps the chosen epoch's weights; Export keeps the run's own
    assert "epoch-0001.pt" in bench.try_panel.header.text()
    assert window.trained_checkpoint.name in ("last.pt", "best.pt")
    qtbot.waitUntil(lambda: dashboard.mistakes.caption.text().startswith("Epoch 1:"),
                    timeout=60_000)
    qtbot.keyClick(slider.slider, Qt.Key.Key_End)  # back to the live view: the newest
    assert slider.latest and dashboard.confusion.matrix.tolist() == \
        run.history[-1]["confusion"]
    assert dashboard.mistakes.caption.text().startswith("Epoch 12:")


def test_a_kept_run_is_replayed_from_the_runs_tab(qtbot, replayed) -> None:
    window, bench = replayed
    dashboard = bench.training.dashboard
    run = dashboard.replay.run
    dashboard.clear()  # as after reopening the project: the live tabs are empty
    assert dashboard.epochs.count == 0 and dashboard.curves.cursor_epoch is None
    runs = dashboard.runs
    runs.refresh()
    dashboard.tabs.setCurrentWidget(runs)
    runs.list.setCurrentRow(0)  # the newest run
    replay_button = next(b for b in runs.findChildren(QPushButton) if b.text() == "Replay")
    qtbot.mouseClick(replay_button, Qt.MouseButton.LeftButton)
    assert dashboard.tabs.currentWidget() is not runs
    assert dashboard.epochs.count == 4 and dashboard.epochs.latest
    assert dashboard.title.text().startswith("Replaying run")
    assert len(dashboard.curves.train_loss.item.xData) == 4
    assert dashboard.confusion.matrix.tolist() == run.history[-1]["confusion"]
    assert dashboard.confusion.table.rowCount() == 10
    qtbot.waitUntil(lambda: dashboard.mistakes.caption.text().startswith("Epoch 4:"),
                    timeout=60_000)
    dashboard.epochs.slider.setFocus()
    qtbot.keyClick(dashboard.epochs.slider, Qt.Key.Key_Home)
    assert dashboard.curves.cursor_epoch == 1
    assert dashboard.confusion.matrix.tolist() == run.history[0]["confusion"]
    qtbot.waitUntil(lambda: not dashboard.replay.evaluation.is_busy(), timeout=60_000)
