"""Layer costs on the canvas: each card shows its parameters, multiply-adds and
activation memory beside it, follows an edit and its undo, and View ▸ Show layer costs
hides and shows them (remembered)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF, QSettings
from PySide6.QtGui import QColor, QImage, QPainter, QTransform

from dlstudio.graph import Graph
from dlstudio.graph.layout import apply_layout
from dlstudio.graph.project import Project
from dlstudio.graph.templates import build_template
from dlstudio.ui.canvas.cost_overlay import (
    COST_LOD,
    LEFT,
    NOWHERE,
    RIGHT,
    CostLabel,
    install_cost_overlay,
)
from dlstudio.ui.document import Document
from dlstudio.ui.main_window import MainWindow


def _window(qtbot, tmp_path, template: str = "cnn-small",
            graph: Graph | None = None) -> MainWindow:
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                        recovery_dir=tmp_path / "recovery")
    qtbot.addWidget(window)
    graph = graph if graph is not None else build_template(template)
    window.set_document(Document(Project(graph=graph, name=template)))
    window.resize(1366, 768)
    window.show()
    return window


@pytest.fixture
def window(qtbot, tmp_path) -> MainWindow:
    return _window(qtbot, tmp_path)


def _labels(window: MainWindow) -> dict[str, CostLabel]:
    scene = window.view.canvas_scene
    names = {item_id: window.document.graph.nodes[item_id].name for item_id in scene.nodes}
    return {names[item.parentItem().node_id]: item for item in scene.items()
            if isinstance(item, CostLabel)}


def _look(qtbot, window: MainWindow) -> dict[str, CostLabel]:
    """Draw the canvas as the user sees it; the labels of what it shows are made then."""
    window.view.viewport().grab()
    qtbot.wait(20)  # the labels are made just after the paint
    window.view.viewport().grab()
    return _labels(window)


def _ink(window: MainWindow, area: QRectF) -> int:
    """Pixels of the canvas's muted text colour drawn in `area` (scene units, 1:1)."""
    image = QImage(int(area.width()), int(area.height()), QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    window.view.canvas_scene.render(painter, QRectF(image.rect()), area)
    painter.end()
    return sum(1 for x in range(image.width()) for y in range(image.height())
               if image.pixelColor(x, y) != QColor("white"))


def test_every_card_shows_its_cost_and_follows_an_edit(qtbot, window) -> None:
    overlay = install_cost_overlay(window)
    window.view.fit_all()
    assert window.view.zoom() >= COST_LOD
    labels = _look(qtbot, window)
    assert set(labels) == {node.name for node in window.document.graph.nodes.values()}
    assert labels["conv1"].text() == "320 params · 195 k MACs · 86.5 kB"
    assert "194,688 multiply-adds" in labels["conv1"].toolTip()
    assert labels["flatten"].text() == ""  # a view: no params, no MACs, no memory
    conv1 = window.document.graph.node_by_name("conv1").id
    window.document.editor.set_param(conv1, "filters", 64)
    qtbot.waitUntil(lambda: _look(qtbot, window)["conv1"].text().startswith("640 params"))
    assert _labels(window)["fc1"].text().startswith("1.38 M params")  # 10,816 inputs now
    window.document.undo_stack.undo()
    qtbot.waitUntil(lambda: _labels(window)["conv1"].text().startswith("320 params"))
    assert overlay.labels.keys() == window.view.canvas_scene.nodes.keys()


def test_drawn_left_of_the_card_and_toggled_from_the_view_menu(qtbot, window) -> None:
    overlay = install_cost_overlay(window)
    window.view.set_zoom(1.0)
    action = next(a for a in window.workspaces.menu.actions()
                  if a.text() == "Show layer costs")
    assert action is overlay.action and action.isChecked()
    card = window.view.canvas_scene.nodes[window.document.graph.node_by_name("conv1").id]
    left = card.sceneBoundingRect().adjusted(-100, 0, 0, 0)
    left.setWidth(95)
    _look(qtbot, window)
    assert _ink(window, left) > 30
    assert _labels(window)["conv1"].side == LEFT
    action.trigger()
    assert not action.isChecked() and _labels(window) == {}
    assert _ink(window, left) == 0
    assert window.settings.value("canvas/show_costs") in (False, "false")
    action.trigger()
    assert _look(qtbot, window)["conv1"].text().startswith("320 params")
    assert _ink(window, left) > 30


def _fork() -> Graph:
    """data -> main1 -> main2 -> add <- side <- data: `side` is laid out beside main1."""
    graph = Graph()
    data = graph.add_node("Input", name="data", params={"kind": "vector", "shape": (8,)})
    main1, main2, side = (graph.add_node("Dense", name=name, params={"units": 8})
                          for name in ("main1", "main2", "side"))
    add = graph.add_node("Add", name="add")
    graph.connect(data.id, main1.id)
    graph.connect(main1.id, main2.id)
    graph.connect(main2.id, add.id, dst_port="in1")
    graph.connect(data.id, side.id)
    graph.connect(side.id, add.id, dst_port="in2")
    graph.connect(add.id, graph.add_node("Output", params={"loss": "mse"}).id)
    apply_layout(graph)
    return graph


def test_a_branch_beside_the_chain_writes_on_its_right(qtbot, tmp_path) -> None:
    window = _window(qtbot, tmp_path, graph=_fork())
    install_cost_overlay(window)
    window.view.setTransform(QTransform())
    window.view.centerOn(85, 80)
    labels = _look(qtbot, window)
    assert labels["main1"].side == LEFT and labels["side"].side == RIGHT
    assert labels["side"].text() == "72 params · 64 MACs · 32 B"


def test_no_text_where_both_sides_are_taken(qtbot, tmp_path) -> None:
    """ResNet-18's downsampling branch stands between its own column and the next one
    of the snake: its cost stays in the summary rather than over another card's."""
    window = _window(qtbot, tmp_path, "resnet18")
    install_cost_overlay(window)
    view = window.view
    view.set_zoom(0.3)  # too small to read: nothing is made, nothing costs
    assert _look(qtbot, window) == {}
    view.setTransform(QTransform())  # 100 %: the text is drawn
    scene = view.canvas_scene
    view.centerOn(scene.nodes[window.document.graph.node_by_name("layer2_0_down_conv").id])
    labels = _look(qtbot, window)
    assert labels["layer2_0_conv1"].side == LEFT
    assert labels["layer2_0_down_conv"].side == NOWHERE
    assert labels["layer2_0_down_conv"].shape().isEmpty()  # the card keeps its tooltip


def test_hidden_setting_is_remembered(qtbot, tmp_path) -> None:
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    settings.setValue("canvas/show_costs", False)
    settings.sync()
    window = _window(qtbot, tmp_path)
    overlay = install_cost_overlay(window)
    assert not overlay.action.isChecked() and _look(qtbot, window) == {}
