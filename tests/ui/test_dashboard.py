"""The live panels fed with real trainer records: curves, confusion matrix, wrong
predictions (from a real model), layer norms, and the comparison of kept runs."""

from __future__ import annotations

import csv
import io
import math
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
import torch
from PySide6.QtGui import QImage

from dlstudio.compile import compile_graph
from dlstudio.data import load_data
from dlstudio.graph import Graph
from dlstudio.graph.templates import build_template
from dlstudio.runs import RunStore
from dlstudio.train import BatchStats, EpochStats
from dlstudio.ui.training.dashboard import Dashboard
from dlstudio.ui.training.dashboard.confusion import ConfusionPanel, precision_recall
from dlstudio.ui.training.dashboard.curves import CurvesPanel
from dlstudio.ui.training.dashboard.layer_stats import LayerStatsPanel
from dlstudio.ui.training.dashboard.mistakes import MistakesPanel
from dlstudio.ui.training.dashboard.runs import RunsPanel
from dlstudio.ui.training.dashboard.series import FrameBudget, GrowingBuffer
from dlstudio.ui.training.probe import MistakeProbe
from dlstudio.ui.training.worker import Delivery, EpochReport


def _batch(epoch: int, batch: int, loss: float, batches: int = 10) -> BatchStats:
    return BatchStats(epoch, batch, batches, loss, 0.01, 500.0, 0.1 * batch)


def _epoch(epoch: int, loss: float, accuracy: float, layers: dict | None = None,
           confusion: list | None = None) -> EpochStats:
    metrics = {"loss": loss, "accuracy": accuracy, "f1": accuracy - 0.1}
    return EpochStats(epoch, 5, metrics, {k: v + 0.05 for k, v in metrics.items()}, 0.01, 1.0,
                      500.0, 4.0, confusion, layers or {})


def test_buffers_double_and_keep_every_point() -> None:
    buffer = GrowingBuffer(capacity=4)
    for i in range(1000):
        buffer.append(i, 2 * i)
    buffer.extend(np.arange(1000, 1500.0), np.zeros(500))
    assert len(buffer) == 1500 and buffer.x[999] == 999 and buffer.y[999] == 1998
    assert buffer.x[-1] == 1499 and len(buffer._x) == 2048


def test_batch_loss_is_recovered_per_report_and_smoothed(qtbot) -> None:
    curves = CurvesPanel()
    qtbot.addWidget(curves)
    # batch losses 1, 2, 3, 4 reported after batches 2 and 4 as running means 1.5, 2.5
    curves.add_batches([_batch(1, 2, 1.5, 4), _batch(1, 4, 2.5, 4), _batch(2, 2, 1.0, 4)])
    curves.flush()
    assert curves.batch_raw.item.yData.tolist() == [1.5, 3.5, 1.0]
    assert curves.batch_raw.item.xData.tolist() == [0.5, 1.0, 1.5]
    smooth = curves.batch_smooth.buffer.y
    assert smooth[0] == pytest.approx(1.5) and 1.5 < smooth[1] < 3.5
    curves.add_batches([_batch(2, 3, math.nan, 4), _batch(2, 4, 1.0, 4)])
    curves.flush()
    assert math.isnan(curves.batch_raw.buffer.y[3]) and math.isfinite(smooth[-1])
    assert curves.point_count() == 5


def test_epoch_curves_and_the_metric_chooser(qtbot) -> None:
    curves = CurvesPanel()
    qtbot.addWidget(curves)
    curves.add_epochs([_epoch(1, 1.0, 0.5), _epoch(2, 0.6, 0.7)])
    curves.flush()
    assert curves.val_loss.buffer.y.tolist() == [1.05, 0.65]
    choice = curves.metric_choice
    assert choice.currentData() == "accuracy" and choice.count() == 2
    assert curves.metric_curves[("val", "accuracy")].item.isVisible()
    assert not curves.metric_curves[("val", "f1")].item.isVisible()
    choice.setCurrentIndex(choice.findData("f1"))
    assert curves.metric_curves[("train", "f1")].item.isVisible()
    curves.reset()
    assert curves.point_count() == 0 and not curves.metric_curves and choice.count() == 0


def test_confusion_matrix_counts_precision_and_recall(qtbot) -> None:
    matrix = [[5, 1, 0], [2, 2, 0], [0, 0, 0]]
    precision, recall, support = precision_recall(np.array(matrix))
    assert precision[:2].tolist() == [5 / 7, 2 / 3] and math.isnan(precision[2])
    assert recall[:2].tolist() == [5 / 6, 0.5] and support.tolist() == [6, 4, 0]
    panel = ConfusionPanel()
    qtbot.addWidget(panel)
    panel.reset(("cat", "dog", "eel"))
    panel.set_matrix(matrix, epoch=3)
    panel.resize(700, 400)
    panel.show()
    assert panel.image.image.shape == (3, 3)
    assert panel.counts.counts.tolist() == matrix
    assert panel.counts.boundingRect().width() == 3
    assert not panel.grab().isNull()  # the counts paint without error
    rows = [[panel.table.item(r, c).text() for c in range(4)] for r in range(3)]
    assert rows[0] == ["cat", "71%", "83%", "6"] and rows[2][1:3] == ["–", "–"]
    assert "7 of 10" in panel.caption.text()


def test_wrong_predictions_of_a_real_model_are_shown_with_labels(qtbot) -> None:
    built = build_template("mlp")
    graph = built if isinstance(built, Graph) else built.graph
    torch.manual_seed(0)
    model = compile_graph(graph)
    data = load_data("builtin:digits28", seed=0, val_fraction=0.15)
    probe = MistakeProbe.for_data(data.val, data.info)
    report = probe(model, epoch=1)  # untrained: most answers are wrong
    assert report.checked == 256 and report.wrong > 100
    first = report.mistakes[0]
    assert first.image.shape == (28, 28) and first.true != first.predicted
    assert first.image.min() >= 0.0 and first.image.max() <= 1.0
    assert model.training  # the probe leaves the model as it found it
    panel = MistakesPanel()
    qtbot.addWidget(panel)
    panel.set_report(report)
    assert len(panel.tiles) == len(report.mistakes) == 24
    assert f"{report.wrong} of the first 256" in panel.caption.text()
    assert f"{first.true} → <b>{first.predicted}</b>" == panel.tiles[0].caption.text()


def test_no_probe_for_regression_or_missing_validation() -> None:
    data = load_data("builtin:linear", seed=0, val_fraction=0.15)
    assert MistakeProbe.for_data(data.val, data.info) is None
    data = load_data("builtin:xor", seed=0, val_fraction=0.0)
    assert MistakeProbe.for_data(data.val, data.info) is None


def test_layer_norms_are_drawn_per_layer_on_a_log_axis(qtbot) -> None:
    panel = LayerStatsPanel()
    qtbot.addWidget(panel)
    layers = {"conv1": {"weight_norm": 3.0, "grad_norm": 0.0},
              "fc1": {"weight_norm": 5.0, "grad_norm": 1e-3}}
    panel.add_epochs([_epoch(1, 1.0, 0.5, layers), _epoch(2, 0.5, 0.6, layers)])
    panel.flush()
    assert set(panel.curves) == {(k, n) for k in ("weight_norm", "grad_norm")
                                 for n in ("conv1", "fc1")}
    assert panel.curves[("grad_norm", "conv1")].buffer.y.tolist() == [1e-12, 1e-12]
    assert panel.plots["grad_norm"].ctrl.logYCheck.isChecked()


def _store_with_two_runs(root: Path) -> RunStore:
    store = RunStore(root)
    for lr, accuracy in ((0.1, 0.6), (0.01, 0.9)):
        run = store.create(name="mlp", data="builtin:digits28",
                           settings={"lr": lr, "epochs": 2}, graph={},
                           now=datetime(2025, 1, 1, 12, 0, 0))
        run.history = [_epoch(e, 1.0 / e, accuracy * e / 2).to_dict() for e in (1, 2)]
        run.status = "finished"
        store.save(run)
    return store


def test_runs_are_overlaid_with_their_differing_settings(qtbot, tmp_path) -> None:
    panel = RunsPanel(_store_with_two_runs(tmp_path / "runs"))
    qtbot.addWidget(panel)
    ids = list(panel.runs)
    panel.set_checked(ids)
    panel.metric.setCurrentIndex(panel.metric.findText("accuracy"))
    curves = panel.plot.listDataItems()
    assert len(curves) == 2
    assert sorted(c.yData[-1] for c in curves) == pytest.approx([0.65, 0.95])
    assert panel.table.rowCount() == 1 and panel.table.verticalHeaderItem(0).text() == "lr"

    panel.export_csv(tmp_path / "m.csv")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "m.csv").read_text())))
    assert [r["run"] for r in rows] == [ids[0], ids[0], ids[1], ids[1]]
    panel.export_png(tmp_path / "runs.png")
    assert not QImage(str(tmp_path / "runs.png")).isNull()

    panel.confirm_delete = lambda run: True
    panel.list.setCurrentRow(0)
    panel._on_delete()
    assert len(panel.runs) == 1 and panel.checked_ids() == [ids[0]]


def test_the_dashboard_shows_a_delivery_and_exports_it(qtbot, tmp_path) -> None:
    store = _store_with_two_runs(tmp_path / "runs")
    run = store.runs()[0]
    board = Dashboard()
    qtbot.addWidget(board)
    board.resize(1200, 800)
    board.set_store(store)
    info = load_data("builtin:xor", seed=0, val_fraction=0.15).info
    board.begin(info, run, "xor", 5)
    confusion = [[3, 1], [0, 4]]
    delivery = Delivery([_batch(1, 5, 0.7), _batch(1, 10, 0.6)],
                        [EpochReport(_epoch(1, 0.6, 0.8, confusion=confusion), None)], [])
    board.show_delivery(delivery)
    assert board.curves.point_count() == 2  # the batch curves at once …
    qtbot.waitUntil(lambda: board.confusion.matrix is not None)  # … the epoch parts next
    assert board.confusion.matrix.sum() == 8 and len(board.curves.val_loss.buffer) == 1
    board.export_png(tmp_path / "board.png")
    image = QImage(str(tmp_path / "board.png"))
    assert image.width() > 800 and image.height() > 400
    board.export_csv(tmp_path / "run.csv")
    assert (tmp_path / "run.csv").read_text().startswith("run,epoch,train_loss")


def test_export_buttons_ask_for_a_file_and_report_where_they_wrote(qtbot, tmp_path,
                                                                    monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog, QPushButton

    from dlstudio.ui.training.dashboard import Dashboard

    dashboard = Dashboard()
    qtbot.addWidget(dashboard)
    target = tmp_path / "plots.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *args: (str(target), "")))
    [button] = [b for b in dashboard.findChildren(QPushButton) if b.text() == "Export PNG…"
                and b.isVisibleTo(dashboard)]
    with qtbot.waitSignal(dashboard.message) as said:
        button.click()
    assert target.is_file() and said.args == [f"Plots saved to {target}"]


def test_epochs_faster_than_the_epoch_budget_are_merged_and_none_is_lost(qtbot) -> None:
    board = Dashboard()
    qtbot.addWidget(board)
    board.resize(1200, 800)
    board.epoch_budget = FrameBudget(0.1, 0.5, 0.5)  # an epoch frame every 0.5 s at most
    info = load_data("builtin:xor", seed=0, val_fraction=0.15).info
    board.begin(info, None, "xor", 5)
    epochs = [EpochReport(_epoch(e, 1.0 / e, 0.5 + e / 10, confusion=[[e, 1], [0, 4]]),
                          None) for e in (1, 2, 3)]
    board.show_delivery(Delivery([_batch(1, 10, 0.7)], epochs[:1], []))
    qtbot.waitUntil(lambda: board.confusion.matrix is not None)
    shown = time.perf_counter()
    board.show_delivery(Delivery([_batch(2, 10, 0.6)], epochs[1:2], []))
    board.show_delivery(Delivery([_batch(3, 10, 0.5)], epochs[2:], []))
    qtbot.wait(100)
    assert board.confusion.matrix[0, 0] == 1  # epoch 1 still: the next waits its turn
    qtbot.waitUntil(lambda: board.confusion.matrix[0, 0] == 3, timeout=3000)
    assert time.perf_counter() - shown >= 0.45  # epoch 3 shown in its turn, not before
    assert list(board.curves.train_loss.buffer.x) == [1, 2, 3]  # every epoch's point
    assert board.curves.point_count() == 3


def test_draw_shows_the_newest_epoch_at_once(qtbot) -> None:
    board = Dashboard()
    qtbot.addWidget(board)
    board.epoch_budget = FrameBudget(0.1, 60.0, 60.0)
    info = load_data("builtin:xor", seed=0, val_fraction=0.15).info
    board.begin(info, None, "xor", 5)
    for epoch in (1, 2):
        board.show_delivery(Delivery([], [EpochReport(
            _epoch(epoch, 1.0, 0.5, confusion=[[epoch, 1], [0, 4]]), None)], []))
    board.draw()
    assert board.confusion.matrix[0, 0] == 2


def test_a_runs_curves_are_made_when_it_begins_and_filled_by_its_epochs(qtbot) -> None:
    board = Dashboard()
    qtbot.addWidget(board)
    info = load_data("builtin:xor", seed=0, val_fraction=0.15).info
    board.begin(info, None, "xor", 5, layers=["fc1", "fc2"])
    made = dict(board.layers.curves)
    assert sorted(made) == [(kind, layer) for kind in ("grad_norm", "weight_norm")
                            for layer in ("fc1", "fc2")]
    assert {key for _, key in board.curves.metric_curves} == {
        "accuracy", "precision", "recall", "f1"}
    layers = {name: {"weight_norm": 1.0, "grad_norm": 0.1} for name in ("fc1", "fc2")}
    board.show_delivery(Delivery([], [EpochReport(_epoch(1, 0.5, 0.7, layers=layers),
                                                  None)], []))
    board.draw()
    assert board.layers.curves == made  # the same curves, now with a point each
    assert all(len(curve.buffer) == 1 for curve in made.values())


def test_log_axes_name_one_two_and_five_of_each_decade_only(qtbot) -> None:
    from dlstudio.ui.training.dashboard.layer_stats import DecadeAxis

    axis = DecadeAxis("left")
    values = [0.2, 0.3, 0.5, 1, 2, 3, 5, 7, 10, 20]
    names = axis.logTickStrings(list(np.log10(values)), 1.0, 1.0)
    named = [value for value, name in zip(values, names, strict=True) if name]
    assert named == [0.2, 0.5, 1, 2, 5, 10, 20]


def test_batch_curves_keep_moving_while_an_epoch_waits_its_turn(qtbot) -> None:
    board = Dashboard()
    qtbot.addWidget(board)
    board.epoch_budget = FrameBudget(0.1, 5.0, 5.0)  # the next epoch frame: in 5 s
    info = load_data("builtin:xor", seed=0, val_fraction=0.15).info
    board.begin(info, None, "xor", 5)
    board.show_delivery(Delivery([_batch(1, 10, 0.7)], [EpochReport(
        _epoch(1, 1.0, 0.5, confusion=[[1, 1], [0, 4]]), None)], []))
    qtbot.waitUntil(lambda: board.confusion.matrix is not None)
    board.show_delivery(Delivery([_batch(2, 10, 0.6)], [EpochReport(
        _epoch(2, 0.5, 0.6, confusion=[[2, 1], [0, 4]]), None)], []))
    for batch in range(1, 6):  # batches of epoch 3 keep coming
        qtbot.wait(150)
        board.show_delivery(Delivery([_batch(3, batch, 0.5)], [], []))
    qtbot.waitUntil(lambda: board.curves.point_count() >= 6, timeout=1500)
    assert board.confusion.matrix[0, 0] == 1  # epoch 2 still waits for its turn


def test_a_log_axis_inside_one_decade_keeps_its_names(qtbot) -> None:
    from dlstudio.ui.training.dashboard.layer_stats import DecadeAxis

    names = DecadeAxis("left").logTickStrings(list(np.log10([6, 7, 8, 9])), 1.0, 1.0)
    assert all(names)


def test_the_metric_plot_shows_no_empty_legend_before_a_run(qtbot) -> None:
    """Before any run the Accuracy plot had an empty legend box in its corner."""
    from dlstudio.ui.training.dashboard.curves import CurvesPanel  # noqa: PLC0415

    curves = CurvesPanel()
    qtbot.addWidget(curves)
    legend = curves.metric_plot.legend
    assert not legend.isVisible() and not legend.items
    curves.reset(epochs=3, metrics=["accuracy"])
    assert [label.text for _, label in legend.items] == ["train", "val"]
    assert legend.isVisible()


def test_the_norm_plots_show_no_empty_legend_before_a_run(qtbot) -> None:
    from dlstudio.ui.training.dashboard.layer_stats import LayerStatsPanel  # noqa: PLC0415

    panel = LayerStatsPanel()
    qtbot.addWidget(panel)
    legends = [p.legend for p in panel.plots.values() if p.legend is not None]
    assert legends and not any(legend.isVisible() for legend in legends)
    panel.reset(epochs=2, layers=["fc1", "fc2"])
    assert all(legend.isVisible() for legend in legends)
    panel.reset(epochs=2)
    assert not any(legend.isVisible() for legend in legends)


def test_a_vector_mistake_shows_all_its_wrapped_values(qtbot) -> None:
    """Values wrapped over several lines were cut to one row's height and ran into the
    tile below (XOR at 1920×1080)."""
    from dlstudio.ui.training.dashboard.mistakes import MistakesPanel  # noqa: PLC0415
    from dlstudio.ui.training.probe import Mistake, MistakeReport  # noqa: PLC0415

    texts = ["1.03, 0.175", "-0.0184, 0.974, 0.5, 0.25, 0.125"]
    mistakes = tuple(Mistake(i, "1", "0", 0.6, None, texts[i % 2]) for i in range(6))
    panel = MistakesPanel()
    qtbot.addWidget(panel)
    panel.resize(430, 380)
    panel.show()
    panel.set_report(MistakeReport(epoch=3, checked=38, wrong=6, mistakes=mistakes))
    qtbot.wait(50)
    for tile in panel.tiles:
        assert tile.values.height() >= tile.values.heightForWidth(tile.values.width())
        assert tile.values.geometry().bottom() < tile.caption.geometry().top()
        assert tile.geometry().right() <= panel.scroll.viewport().width()
    boxes = [tile.geometry() for tile in panel.tiles]
    assert not any(a.intersects(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
