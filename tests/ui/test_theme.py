"""Dark and light reach every view: plots, the confusion matrix, tables, the data preview
and the Try it panel follow a switch made while they are open, and keep their data."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from dlstudio.compile import compile_graph
from dlstudio.data import load_data
from dlstudio.graph.templates import build_template
from dlstudio.train import BatchStats, EpochStats
from dlstudio.ui import theme
from dlstudio.ui.theme import apply_theme, plot_colors, preferred_theme
from dlstudio.ui.training import Dashboard
from dlstudio.ui.training.dashboard.confusion import ConfusionPanel
from dlstudio.ui.training.preview import DataPreview
from dlstudio.ui.training.preview_view import PreviewView
from dlstudio.ui.tryit import TryItPanel

DARK, LIGHT = plot_colors(True), plot_colors(False)


@pytest.fixture
def switch(qapp: QApplication):
    """Switches the theme the way the window does, then lets the PaletteChange events
    that Qt posts reach the widgets; the application's look is restored afterwards."""
    style, palette = qapp.style().name(), qapp.palette()

    def to(name: str) -> None:
        apply_theme(qapp, name)
        QApplication.processEvents()

    yield to
    qapp.setStyle(style)
    qapp.setPalette(palette)


def _is_dark(colour: QColor) -> bool:
    return colour.lightness() < 128


def _plot_looks(plot) -> tuple[QColor, QColor, QColor]:
    """(view background, axis line, tick text) as drawn."""
    view = plot.scene().views()[0]
    axis = plot.getAxis("left")
    return view.backgroundBrush().color(), axis.pen().color(), axis.textPen().color()


def _feed(dashboard: Dashboard) -> None:
    dashboard.curves.reset(2, ("accuracy",))
    dashboard.layers.reset(2, ("dense",))
    dashboard.confusion.reset(["a", "b", "c"])
    dashboard.curves.add_batches([BatchStats(1, b, 4, 1.0 / b, 0.01, 500.0, 0.1 * b)
                                  for b in range(1, 5)])
    epoch = EpochStats(1, 4, {"loss": 0.8, "accuracy": 0.6}, {"loss": 0.9, "accuracy": 0.5},
                       0.01, 1.0, 500.0, 4.0, [[5, 1, 0], [2, 6, 0], [0, 3, 7]],
                       {"dense": {"weight_norm": 2.0, "grad_norm": 0.1}})
    dashboard.curves.add_epochs([epoch])
    dashboard.layers.add_epochs([epoch])
    dashboard.confusion.set_matrix(epoch.confusion, 1)
    dashboard.curves.flush()
    dashboard.layers.flush()


def test_dashboard_follows_a_switch_and_keeps_its_curves(qtbot, switch) -> None:
    switch("light")
    dashboard = Dashboard()
    qtbot.addWidget(dashboard)
    dashboard.show()
    _feed(dashboard)
    plots = [dashboard.curves.batch_plot, dashboard.curves.metric_plot,
             dashboard.layers.plots["grad_norm"], dashboard.confusion.plot,
             dashboard.runs.plot]
    raw = dashboard.curves.batch_raw.item
    points = (raw.xData.copy(), raw.yData.copy())
    switch("dark")  # made light, shown dark: everything already drawn follows
    for plot in plots:
        background, line, text = _plot_looks(plot)
        assert background == QColor(DARK.background) and line == text == QColor(DARK.foreground)
    title = dashboard.curves.epoch_plot.titleLabel
    assert DARK.foreground.lower() in title.item.toHtml().lower()
    for table in (dashboard.confusion.table, dashboard.runs.table):
        assert _is_dark(table.palette().color(QPalette.ColorRole.Base))
    assert raw.opts["pen"].color().name().lower() == DARK.train.lower()
    val = dashboard.curves.val_loss.item
    assert val.opts["pen"].color().name().lower() == DARK.val.lower()
    np.testing.assert_array_equal(raw.xData, points[0])
    np.testing.assert_array_equal(raw.yData, points[1])
    assert dashboard.curves.val_loss.item.yData.tolist() == [0.9]
    legend = dashboard.curves.epoch_plot.legend
    assert legend.labelTextColor() == QColor(DARK.foreground)
    assert legend.pen().color() == QColor(DARK.frame)

    switch("light")
    for plot in plots:
        background, line, text = _plot_looks(plot)
        assert background == QColor(LIGHT.background) and line == QColor(LIGHT.foreground)
    assert not _is_dark(dashboard.confusion.table.palette().color(QPalette.ColorRole.Base))
    assert raw.opts["pen"].color().name().lower() == LIGHT.train.lower()
    assert raw.opts["pen"].color().alpha() == 90  # the faint raw curve stays faint
    np.testing.assert_array_equal(raw.yData, points[1])


def test_confusion_counts_contrast_with_their_cells(qtbot, switch) -> None:
    switch("dark")
    panel = ConfusionPanel()
    qtbot.addWidget(panel)
    panel.reset(["a", "b"])
    panel.set_matrix([[9, 1], [0, 10]], 1)  # shares 0.9 and 0.1 / 0 and 1

    def check(colors) -> None:
        low, high = (QColor(colors.heat[0]), QColor(colors.heat[-1]))
        assert panel.image.getColorMap().map(0.0, mode="qcolor") == low
        assert panel.image.getColorMap().map(1.0, mode="qcolor") == high
        cells = panel.counts.text_colours  # row by row: 0.9, 0.1, 0.0, 1.0
        for share_index, cell in ((0, high), (3, high), (2, low)):
            text = cells[share_index]
            assert abs(text.lightness() - cell.lightness()) > 100

    check(DARK)
    assert _is_dark(QColor(DARK.heat[0]))  # an empty cell is the background, not white
    switch("light")
    check(LIGHT)
    assert panel.matrix is not None and panel.matrix.tolist() == [[9, 1], [0, 10]]


def test_data_preview_balance_plot_follows(qtbot, switch) -> None:
    switch("dark")
    view = PreviewView()
    qtbot.addWidget(view)
    view.show_preview(DataPreview(summary="xy", images=None, labels=[], columns=["x", "y"],
                                  rows=[["1", "2"]], class_counts=[("a", 3), ("b", 5)]))
    plot = view.balance.getPlotItem()
    assert _plot_looks(plot)[0] == QColor(DARK.background)
    assert _is_dark(view.table.palette().color(QPalette.ColorRole.Base))
    switch("light")
    assert _plot_looks(plot)[0] == QColor(LIGHT.background)
    assert view.bars.opts["brush"] == LIGHT.train


def test_try_it_bars_and_pad_in_both_themes(qtbot, switch) -> None:
    switch("dark")
    panel = TryItPanel()
    qtbot.addWidget(panel)
    panel.show()
    torch.manual_seed(0)
    panel.set_model((compile_graph(build_template("cnn-small")),
                     load_data("builtin:digits28").info))
    bars, pad = panel.image_panel.bars, panel.image_panel.pad
    bars.show_probabilities([str(i) for i in range(10)], [0.1] * 10)

    def track_colour() -> QColor:  # the empty end of the first bar
        image = bars.grab().toImage()
        return image.pixelColor(image.width() - 80, 2 + 18 // 2)

    assert track_colour() == QColor(DARK.bar_track)
    pad_image = pad.grab().toImage()
    assert pad_image.pixelColor(0, pad.height() // 2) == QColor(DARK.frame)
    paper = pad_image.pixelColor(pad.width() // 2, pad.height() // 2)
    assert not _is_dark(paper)  # the ink area is paper in both themes
    assert _is_dark(panel.palette().color(QPalette.ColorRole.Window))
    switch("light")
    assert track_colour() == QColor(LIGHT.bar_track)
    pad_image = pad.grab().toImage()
    assert pad_image.pixelColor(0, pad.height() // 2) == QColor(LIGHT.frame)
    assert pad_image.pixelColor(pad.width() // 2, pad.height() // 2) == paper
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(140, 100))
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(140, 100))
    assert pad.ink().max() == pytest.approx(1.0)  # ink is what the model reads, either way


@pytest.mark.parametrize("saved, scheme, expected", [
    ("dark", Qt.ColorScheme.Light, "dark"),
    ("light", Qt.ColorScheme.Dark, "light"),
    (None, Qt.ColorScheme.Dark, "dark"),
    (None, Qt.ColorScheme.Light, "light"),
    (None, Qt.ColorScheme.Unknown, "light"),
    ("purple", Qt.ColorScheme.Dark, "dark"),
])
def test_a_saved_choice_wins_else_the_system_scheme(monkeypatch, saved, scheme,
                                                    expected) -> None:
    hints = SimpleNamespace(colorScheme=lambda: scheme)
    monkeypatch.setattr(theme, "QGuiApplication",
                        SimpleNamespace(styleHints=lambda: hints))
    assert preferred_theme(saved) == expected
