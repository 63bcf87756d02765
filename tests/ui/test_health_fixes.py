"""Training health in the window, driven as a user: a sign shows as a badge and a
Problems line; clicking the badge offers the fixes; each fix is one undo step (Ctrl+Z
takes it back whole, names and positions included) and leaves every shape valid.

Signs here are made by hand (HealthSign records in an EpochStats, as the checks give
them), to reach every fix; a real run that ends in a badge is in test_health_training.py."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from dlstudio.train.events import EpochStats
from dlstudio.train.health_signs import (
    ADD_DROPOUT,
    DEAD_RELU,
    EARLY_STOPPING,
    HALVE_LR,
    INSERT_BATCHNORM,
    LOSS_JUMPS,
    OVERFITTING,
    USE_LEAKY_RELU,
    VANISHING_GRADIENTS,
    HealthSign,
)
from dlstudio.ui.health.install import HealthView, install_health
from dlstudio.ui.health.lines import HealthLine
from dlstudio.ui.training.worker import EpochReport

CTRL = Qt.KeyboardModifier.ControlModifier


def _setup(gui, template: str = "mlp") -> tuple:
    window, ui = gui
    window.files.new_from_template(template)
    health = install_health(window, ui)
    return window, ui, health


def _epoch(ui, *signs: HealthSign) -> None:
    """An epoch's report as the controller emits it, carrying `signs`."""
    epoch = max((s.epoch for s in signs), default=1)
    stats = EpochStats(epoch, epoch, {"loss": 1.0}, {"loss": 1.0}, 1e-3, 1.0, 100.0, 0.0,
                       health=tuple(signs))
    ui.session.controller.epoch_ended.emit(EpochReport(stats, None))


def _snapshot(window) -> dict:
    data = window.document.graph.to_dict()  # in any order: undo adds them back last
    data["edges"] = sorted(data["edges"], key=lambda e: e["id"])
    data["nodes"] = sorted(data["nodes"], key=lambda n: n["id"])
    return {"graph": data, "training": dict(window.document.project.training)}


def _click_badge(qtbot, window, health: HealthView, node_name: str):
    qtbot.wait(10)  # the badges follow at the next turn of the event loop
    node = window.document.graph.node_by_name(node_name)
    badge = health.badges.badges[node.id]
    view = window.view
    view.centerOn(badge.parentItem())
    point = view.mapFromScene(badge.scenePos())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: health.menu is not None and health.menu.isVisible())
    return health.menu


def _choose(qtbot, menu, label: str) -> None:
    action = next(a for a in menu.actions() if a.text() == label)
    assert action.isEnabled(), action.toolTip()
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton,
                     pos=menu.actionGeometry(action).center())


def _undo(qtbot, window) -> None:
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL)


def _assert_shapes_valid(window) -> None:
    report = window.document.refresh_report()
    assert not report.errors, [p.message for p in report.errors]


def test_insert_batchnorm_from_the_badge_is_one_undo_step(gui, qtbot) -> None:
    window, ui, health = _setup(gui)
    before = _snapshot(window)
    _epoch(ui, HealthSign(VANISHING_GRADIENTS, "fc1", 3, "fc1's gradients are vanishing.",
                          (INSERT_BATCHNORM, USE_LEAKY_RELU)))
    menu = _click_badge(qtbot, window, health, "fc1")
    assert "vanishing" in health.badges.badges[
        window.document.graph.node_by_name("fc1").id].toolTip()
    _choose(qtbot, menu, "Insert BatchNorm")
    graph = window.document.graph
    fc1, relu = graph.node_by_name("fc1"), graph.node_by_name("relu1")
    (wire,) = graph.edges_out_of(fc1.id)
    bn = graph.nodes[wire.dst]
    assert bn.type == "BatchNorm1d"
    assert [e.dst for e in graph.edges_out_of(bn.id)] == [relu.id]
    assert bn.position[1] > fc1.position[1] and relu.position[1] > bn.position[1]
    _assert_shapes_valid(window)
    qtbot.waitUntil(lambda: not health.board.current())  # the fixed sign goes
    qtbot.waitUntil(lambda: not health.badges.badges)
    _undo(qtbot, window)
    assert _snapshot(window) == before  # wires, names and positions: one step
    qtbot.waitUntil(lambda: len(health.board.current()) == 1)  # and the sign is back
    qtbot.waitUntil(lambda: len(health.badges.badges) == 1)


def test_insert_batchnorm_after_a_convolution_is_2d(gui, qtbot) -> None:
    window, ui, health = _setup(gui, "cnn-small")
    before = _snapshot(window)
    _epoch(ui, HealthSign(VANISHING_GRADIENTS, "conv1", 2, "conv1 learns very slowly.",
                          (INSERT_BATCHNORM,)))
    _choose(qtbot, _click_badge(qtbot, window, health, "conv1"), "Insert BatchNorm")
    graph = window.document.graph
    (wire,) = graph.edges_out_of(graph.node_by_name("conv1").id)
    assert graph.nodes[wire.dst].type == "BatchNorm2d"
    _assert_shapes_valid(window)
    _undo(qtbot, window)
    assert _snapshot(window) == before


def test_use_leaky_relu_keeps_name_wires_and_place(gui, qtbot) -> None:
    window, ui, health = _setup(gui)
    graph = window.document.graph
    relu = graph.node_by_name("relu1")
    relu_position = relu.position
    wires = sorted((e.id, e.src, e.dst) for e in graph.edges.values())
    before = _snapshot(window)
    # The sign names the layer before the ReLU: the fix changes the ReLU after it.
    _epoch(ui, HealthSign(DEAD_RELU, "fc1", 4, "Most of relu1's units never fire.",
                          (USE_LEAKY_RELU,)))
    _choose(qtbot, _click_badge(qtbot, window, health, "fc1"), "Use LeakyReLU")
    leaky = graph.node_by_name("relu1")
    assert leaky.type == "LeakyReLU" and leaky.id == relu.id
    assert leaky.position == relu_position
    assert sorted((e.id, e.src, e.dst) for e in graph.edges.values()) == wires
    _assert_shapes_valid(window)
    _undo(qtbot, window)
    assert _snapshot(window) == before
    assert window.document.undo_stack.count() == 1  # the whole fix was one entry


def test_run_wide_fixes_change_settings_in_one_step(gui, qtbot) -> None:
    window, ui, health = _setup(gui)
    form = ui.panel.form
    lr = form.values()["lr"]
    _epoch(ui, HealthSign(LOSS_JUMPS, "", 5, "The loss jumps up: the rate may be too high.",
                          (HALVE_LR,)),
           HealthSign(OVERFITTING, "", 5, "Validation loss rises while training loss falls.",
                      (ADD_DROPOUT, EARLY_STOPPING)))
    panel = window.problems_panel
    qtbot.waitUntil(lambda: len(panel.health.lines) == 2)
    assert panel.health_area.isVisible()
    jumps, overfit = panel.health.lines
    assert "whole run" in jumps.accessibleName()
    qtbot.mouseClick(jumps.buttons[HALVE_LR], Qt.MouseButton.LeftButton)
    assert form.values()["lr"] == lr / 2 and window.document.project.training["lr"] == lr / 2
    qtbot.waitUntil(lambda: len(panel.health.lines) == 1)  # that sign is fixed
    qtbot.mouseClick(panel.health.lines[0].buttons[EARLY_STOPPING], Qt.MouseButton.LeftButton)
    assert form.values()["early_stopping"] is True
    _undo(qtbot, window)
    assert form.values()["early_stopping"] is False and form.values()["lr"] == lr / 2
    _undo(qtbot, window)
    assert form.values()["lr"] == lr
    qtbot.waitUntil(lambda: len(panel.health.lines) == 2)


def test_run_wide_dropout_goes_before_the_last_layer(gui, qtbot) -> None:
    window, ui, health = _setup(gui)
    before = _snapshot(window)
    _epoch(ui, HealthSign(OVERFITTING, "", 5, "Validation loss rises.", (ADD_DROPOUT,)))
    panel = window.problems_panel
    qtbot.waitUntil(lambda: len(panel.health.lines) == 1)
    qtbot.mouseClick(panel.health.lines[0].buttons[ADD_DROPOUT], Qt.MouseButton.LeftButton)
    graph = window.document.graph
    (wire,) = graph.edges_out_of(graph.node_by_name("relu1").id)
    dropout = graph.nodes[wire.dst]
    assert dropout.type == "Dropout"
    assert [e.dst for e in graph.edges_out_of(dropout.id)] == [graph.node_by_name("fc2").id]
    _assert_shapes_valid(window)
    _undo(qtbot, window)
    assert _snapshot(window) == before


def test_problems_line_selects_its_node_and_works_from_the_keyboard(gui, qtbot) -> None:
    window, ui, health = _setup(gui)
    _epoch(ui, HealthSign(VANISHING_GRADIENTS, "fc1", 3, "fc1's gradients are vanishing.",
                          (INSERT_BATCHNORM,)))
    panel = window.problems_panel
    qtbot.waitUntil(lambda: len(panel.health.lines) == 1)
    line = panel.health.lines[0]
    assert isinstance(line, HealthLine) and "Training health" in line.accessibleName()
    assert window.docks["Problems"].windowTitle() == "Problems (1)"
    fc1 = window.document.graph.node_by_name("fc1").id
    qtbot.mouseClick(line, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert window.document.selected_ids() == [fc1]
    window.document.set_selection([])
    line.setFocus()
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert window.document.selected_ids() == [fc1]
    qtbot.keyClick(line, Qt.Key.Key_Tab)  # Tab reaches the fix button; Space presses it
    button = line.buttons[INSERT_BATCHNORM]
    assert QApplication.focusWidget() is button
    qtbot.keyClick(button, Qt.Key.Key_Space)
    (wire,) = window.document.graph.edges_out_of(fc1)
    assert window.document.graph.nodes[wire.dst].type == "BatchNorm1d"


def test_fixes_are_refused_while_a_run_trains(gui, qtbot) -> None:
    window, ui, health = _setup(gui)
    _epoch(ui, HealthSign(VANISHING_GRADIENTS, "fc1", 1, "fc1's gradients are vanishing.",
                          (INSERT_BATCHNORM,)))
    before = _snapshot(window)
    ui.session.locked_changed.emit(True)  # what a starting run sends
    panel = window.problems_panel
    qtbot.waitUntil(lambda: len(panel.health.lines) == 1)
    button = panel.health.lines[0].buttons[INSERT_BATCHNORM]
    assert not button.isEnabled() and "locked" in button.toolTip()
    (shown,) = health.board.current()
    assert not health.apply_fix(shown, INSERT_BATCHNORM)
    assert "locked" in window.statusBar().currentMessage()
    assert _snapshot(window) == before
    ui.session.locked_changed.emit(False)
    qtbot.waitUntil(lambda: panel.health.lines[0].buttons[INSERT_BATCHNORM].isEnabled())


def test_signs_clear_when_a_run_starts_and_follow_renames(gui, qtbot) -> None:
    window, ui, health = _setup(gui)
    _epoch(ui, HealthSign(VANISHING_GRADIENTS, "fc1", 1, "fc1 learns slowly.",
                          (INSERT_BATCHNORM,)))
    fc1 = window.document.graph.node_by_name("fc1").id
    window.document.editor.rename(fc1, "hidden")
    qtbot.waitUntil(lambda: "hidden" in window.problems_panel.health.lines[0].accessibleName())
    assert health.board.current()  # a rename does not fix anything
    ui.session.controller.run_started.emit(None)
    assert not health.board.current()
    qtbot.waitUntil(lambda: not window.problems_panel.health.lines)
    qtbot.waitUntil(lambda: not health.badges.badges)


def test_the_assembled_window_has_training_health(workbench, qtbot) -> None:
    window, bench = workbench
    health = window.findChild(HealthView)
    assert health is not None and health.session is bench.training.session
    window.files.new_from_template("mlp")
    _epoch(bench.training, HealthSign(DEAD_RELU, "relu1", 2, "most units never fire",
                                      (USE_LEAKY_RELU,)))
    qtbot.waitUntil(lambda: len(window.problems_panel.health.lines) == 1)
    relu = window.document.graph.node_by_name("relu1").id
    qtbot.waitUntil(lambda: relu in health.badges.badges)
    window.files.new_from_template("cnn-small")  # another project: no signs
    qtbot.waitUntil(lambda: not window.problems_panel.health.lines)
    qtbot.waitUntil(lambda: not health.badges.badges)


def test_a_fix_already_in_place_is_disabled_with_the_reason(gui, qtbot) -> None:
    window, ui, health = _setup(gui)
    graph = window.document.graph
    bn = window.document.editor.insert_after(graph.node_by_name("fc1").id, "BatchNorm1d")
    bn_name = graph.nodes[bn].name
    _epoch(ui, HealthSign(VANISHING_GRADIENTS, "fc1", 2, "fc1 learns slowly.",
                          (INSERT_BATCHNORM, ADD_DROPOUT)),
           HealthSign(VANISHING_GRADIENTS, bn_name, 2, "it learns slowly.",
                      (INSERT_BATCHNORM,)))
    panel = window.problems_panel
    qtbot.waitUntil(lambda: len(panel.health.lines) == 2)
    fc1_line, bn_line = panel.health.lines
    assert not fc1_line.buttons[INSERT_BATCHNORM].isEnabled()
    assert "already has" in fc1_line.buttons[INSERT_BATCHNORM].toolTip()
    assert fc1_line.buttons[ADD_DROPOUT].isEnabled()
    assert not bn_line.buttons[INSERT_BATCHNORM].isEnabled()
    count = window.document.undo_stack.count()
    (shown, _) = health.board.current()
    assert not health.apply_fix(shown, INSERT_BATCHNORM)
    assert window.document.undo_stack.count() == count
