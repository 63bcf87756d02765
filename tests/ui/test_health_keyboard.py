"""Training health without the mouse, and its badge where the cards are small: the
node's context menu (Shift+F10 or the Menu key) lists the badge's fixes, one applied from
the keyboard is one undo step; on a zoomed-out view (the Train workspace's glance) the
badge shrinks with the card instead of covering it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from dlstudio.train.events import EpochStats
from dlstudio.train.health_signs import (
    INSERT_BATCHNORM,
    USE_LEAKY_RELU,
    VANISHING_GRADIENTS,
    HealthSign,
)
from dlstudio.ui.health.install import install_health
from dlstudio.ui.training.worker import EpochReport

SIGN = HealthSign(VANISHING_GRADIENTS, "fc1", 3, "fc1's gradients are vanishing.",
                  (INSERT_BATCHNORM, USE_LEAKY_RELU))


def _epoch(ui, *signs: HealthSign) -> None:
    stats = EpochStats(3, 3, {"loss": 1.0}, {"loss": 1.0}, 1e-3, 1.0, 100.0, 0.0,
                       health=tuple(signs))
    ui.session.controller.epoch_ended.emit(EpochReport(stats, None))


def _texts(menu: QMenu) -> list[str]:
    return [a.text() for a in menu.actions() if not a.isSeparator()]


@pytest.mark.parametrize("key", [(Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier),
                                 (Qt.Key.Key_Menu, Qt.KeyboardModifier.NoModifier)])
def test_context_menu_key_reaches_the_badges_fixes(gui, qtbot, key) -> None:
    window, ui = gui
    window.files.new_from_template("mlp")
    health = install_health(window, ui)
    _epoch(ui, SIGN)
    qtbot.waitUntil(lambda: len(health.badges.badges) == 1)
    graph = window.document.graph
    fc1 = graph.node_by_name("fc1")
    window.document.set_selection([fc1.id])
    window.view.setFocus()
    qtbot.keyClick(window.view, *key)
    menu = window.view.context_menu
    assert menu is not None and menu.isVisible()
    texts = _texts(menu)
    assert texts.index("Insert BatchNorm") < texts.index("&Rename…")  # fixes first
    assert "Use LeakyReLU" in texts
    # Down to the fix and Enter, as a keyboard user does: the first item is the fix.
    qtbot.keyClick(menu, Qt.Key.Key_Down)
    assert menu.activeAction().text() == "Insert BatchNorm"
    qtbot.keyClick(menu, Qt.Key.Key_Return)
    (wire,) = graph.edges_out_of(fc1.id)
    assert graph.nodes[wire.dst].type == "BatchNorm1d"
    qtbot.waitUntil(lambda: not health.badges.badges)  # the fixed sign goes
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [graph.nodes[e.dst].name for e in graph.edges_out_of(fc1.id)] == ["relu1"]
    qtbot.waitUntil(lambda: len(health.badges.badges) == 1)  # and it is back


def test_a_node_without_a_sign_has_no_fix_entries(gui, qtbot) -> None:
    window, ui = gui
    window.files.new_from_template("mlp")
    health = install_health(window, ui)
    _epoch(ui, SIGN)
    qtbot.waitUntil(lambda: len(health.badges.badges) == 1)
    window.document.set_selection([window.document.graph.node_by_name("fc2").id])
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)
    texts = _texts(window.view.context_menu)
    assert texts[0] == "&Rename…" and "Insert BatchNorm" not in texts


def _amber_pixels(widget) -> int:
    image = widget.grab().toImage()
    count = 0
    for y in range(image.height()):
        for x in range(image.width()):
            colour = image.pixelColor(x, y)
            if abs(colour.red() - 0xe0) < 12 and abs(colour.green() - 0x8a) < 12 \
                    and colour.blue() < 24:
                count += 1
    return count


def test_badge_shrinks_with_the_cards_on_a_small_glance(gui, qtbot) -> None:
    from dlstudio.ui.workspaces.glance import GraphGlance

    window, ui = gui
    window.files.new_from_template("cnn-small")
    health = install_health(window, ui)
    _epoch(ui, HealthSign(VANISHING_GRADIENTS, "conv1", 3, "conv1 learns slowly.",
                          (INSERT_BATCHNORM,)))
    qtbot.waitUntil(lambda: len(health.badges.badges) == 1)
    glance = GraphGlance()
    qtbot.addWidget(glance)
    glance.follow(window.view.canvas_scene)
    glance.resize(260, 200)
    glance.show()
    qtbot.waitExposed(glance)
    glance.fit()
    zoom = glance.transform().m11()
    assert zoom < 0.6  # the glance shows the network small
    full = _amber_pixels_of_full_badge(qtbot, window)
    small = _amber_pixels(glance)
    assert 0 < small < full * max(zoom, 0.4) ** 2 * 1.6  # shrunk about as the card did


def _amber_pixels_of_full_badge(qtbot, window) -> int:
    """The badge's amber on the design canvas at 100%."""
    view = window.view
    view.resetTransform()
    (badge,) = _badges(window)
    view.centerOn(badge.parentItem())
    qtbot.wait(20)
    return _amber_pixels(view.viewport())


def _badges(window):
    from dlstudio.ui.health.badges import HealthBadge

    return [i for i in window.view.canvas_scene.items() if isinstance(i, HealthBadge)]


def test_a_line_keeps_its_height_in_a_tall_problems_panel(qtbot) -> None:
    """In a tall Problems dock the line was stretched: heading, message and button
    spread apart with blank bands between them."""
    from dlstudio.ui.health.lines import HealthLines, HealthRow
    from dlstudio.ui.panels.problems import ProblemsPanel

    panel = ProblemsPanel()
    qtbot.addWidget(panel)
    panel.resize(700, 500)
    panel.show()
    row = HealthRow("fc1 · since epoch 1", "Most of its units never fire.", None, (), "k")
    panel.show_health([row])
    qtbot.waitUntil(lambda: panel.health_area.isVisible())
    qtbot.wait(20)
    (line,) = panel.health.lines
    assert isinstance(panel.health, HealthLines)
    assert line.height() <= line.sizeHint().height() + 2
    assert line.geometry().top() <= 4  # at the top, not centred
