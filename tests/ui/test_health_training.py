"""A real run that ends in a training health badge: a deep stack of Dense + Sigmoid on
the built-in digits has vanishing gradients in its first layers after one epoch; the
badge is on fc1, Problems says so, and the badge's Insert BatchNorm is one undo step."""

from __future__ import annotations

from PySide6.QtCore import Qt

from dlstudio.graph import Graph
from dlstudio.graph.project import Project, save_project
from dlstudio.train.health_signs import INSERT_BATCHNORM, VANISHING_GRADIENTS
from dlstudio.ui.health.install import install_health

CTRL = Qt.KeyboardModifier.ControlModifier


def deep_sigmoid(path) -> None:
    """Input 1×8×8 -> Flatten -> 8 × (Dense 32, Sigmoid) -> Dense 10 -> Softmax -> Output."""
    graph = Graph()
    previous = graph.add_node("Input", name="image", position=(0, 0),
                              params={"kind": "image", "shape": [1, 8, 8]}).id
    chain = [("Flatten", "flatten", {})]
    for i in range(1, 9):
        chain += [("Dense", f"fc{i}", {"units": 32}), ("Sigmoid", f"sig{i}", {})]
    chain += [("Dense", "top", {"units": 10}), ("Softmax", "softmax", {}),
              ("Output", "output", {})]
    for y, (kind, name, params) in enumerate(chain, start=1):
        node = graph.add_node(kind, name=name, params=params, position=(0, 80 * y)).id
        graph.connect(previous, node)
        previous = node
    project = Project(graph=graph, name="deep-sigmoid")
    project.training = {"epochs": 1, "batch_size": 64, "lr": 0.01, "optimizer": "sgd"}
    project.dataset = {"spec": "builtin:digits"}
    save_project(project, path)


def test_a_deep_sigmoid_run_ends_with_a_vanishing_gradients_badge(gui, qtbot,
                                                                  tmp_path) -> None:
    window, ui = gui
    health = install_health(window, ui)
    deep_sigmoid(tmp_path / "deep.dlstudio")
    window.files.open(tmp_path / "deep.dlstudio")
    controller = ui.session.controller
    with qtbot.waitSignal(controller.run_ended, timeout=120_000):
        qtbot.mouseClick(ui.panel.controls.train_button, Qt.MouseButton.LeftButton)
    assert controller.state == "finished"
    kinds = {(s.sign.kind, s.sign.node) for s in health.board.current()}
    assert (VANISHING_GRADIENTS, "fc1") in kinds  # a finished run's signs stay
    fc1 = window.document.graph.node_by_name("fc1")
    qtbot.waitUntil(lambda: fc1.id in health.badges.badges)
    badge = health.badges.badges[fc1.id]
    assert "vanishing" in badge.toolTip()
    lines = window.problems_panel.health.lines
    assert any("fc1" in line.accessibleName() for line in lines)

    before = window.document.graph.to_dict()
    view = window.view
    view.centerOn(badge.parentItem())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.mapFromScene(badge.scenePos()))
    qtbot.waitUntil(lambda: health.menu is not None and health.menu.isVisible())
    action = next(a for a in health.menu.actions() if a.text() == "Insert BatchNorm")
    qtbot.mouseClick(health.menu, Qt.MouseButton.LeftButton,
                     pos=health.menu.actionGeometry(action).center())
    (wire,) = window.document.graph.edges_out_of(fc1.id)
    assert window.document.graph.nodes[wire.dst].type == "BatchNorm1d"
    assert not window.document.refresh_report().errors
    qtbot.waitUntil(lambda: fc1.id not in health.badges.badges)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    after = window.document.graph.to_dict()
    assert sorted(after["nodes"], key=lambda n: n["id"]) == \
        sorted(before["nodes"], key=lambda n: n["id"])
    qtbot.waitUntil(lambda: fc1.id in health.badges.badges)  # undone: the sign is back
    assert INSERT_BATCHNORM in next(s.sign.fixes for s in health.board.current()
                                    if s.sign.node == "fc1")
