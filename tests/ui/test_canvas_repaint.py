"""No paint leftovers: what the canvas shows after partial repaints (a pan scrolls the
pixels already drawn, a move repaints only what changed) equals a fresh render.

The offscreen platform's screen grab returns the window's backing store, the pixels the
user would see; `viewport().grab()` paints the whole view again from the scene.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QApplication

from dlstudio.ui.canvas import CanvasView
from dlstudio.ui.document import Document

from .test_canvas import at, drag


@pytest.fixture(autouse=True)
def _offscreen_only() -> None:
    if QGuiApplication.platformName() != "offscreen":
        pytest.skip("reads the backing store through the offscreen platform's screen grab")


def make_view(qtbot, document: Document) -> CanvasView:
    view = CanvasView(document)
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    view.fit_all()
    return view


def pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1)
    # A copy: the converted image, which owns these bytes, is freed on return.
    return rows[:, :image.width() * 4].reshape(image.height(), image.width(), 4).copy()


def fresh_render(view: CanvasView) -> np.ndarray:
    """The view painted again from the scene, its background drawn anew.

    Cards keep their cached pictures: Qt blits a moved card's picture at whole pixels, so
    one drawn again can sit a pixel off, which would hide a real leftover in the noise.
    """
    view.resetCachedContent()
    return pixels(view.viewport().grab().toImage())


def assert_shows_a_fresh_render(view: CanvasView, what: str) -> None:
    for _ in range(3):  # the scene's update, then the viewport's, then its paint
        QApplication.processEvents()
    viewport = view.viewport()
    corner = viewport.mapTo(viewport.window(), QPoint(0, 0))
    shown = viewport.screen().grabWindow(viewport.window().winId(), corner.x(), corner.y(),
                                         viewport.width(), viewport.height())
    stale = np.abs(pixels(shown.toImage()).astype(int) - fresh_render(view)).max(axis=2) > 2
    ys, xs = np.nonzero(stale)
    assert not len(xs), (f"{len(xs)} stale pixels after {what}, within x {xs.min()}..{xs.max()}"
                         f" y {ys.min()}..{ys.max()}")


def test_panning_leaves_no_smear_at_any_zoom(qtbot) -> None:
    view = make_view(qtbot, Document.from_template("vgg16"))
    for zoom in (1.0, 0.83, 0.3):
        view.set_zoom(zoom)
        for dx, dy in ((-7, 3), (13, 0), (0, -11), (5, 5), (-40, 17)):
            view.pan_by(dx, dy)
            QApplication.processEvents()
        assert_shows_a_fresh_render(view, f"panning at {zoom:.0%}")


def test_panning_an_empty_canvas_keeps_its_hint_in_the_middle(qtbot) -> None:
    view = make_view(qtbot, Document())
    for _ in range(4):
        view.pan_by(-9, 6)
        QApplication.processEvents()
    assert_shows_a_fresh_render(view, "panning an empty canvas")


def test_auto_layout_and_its_undo_leave_no_fragments(qtbot) -> None:
    document = Document.from_template("resnet18")
    view = make_view(qtbot, document)
    view.set_zoom(0.8)
    for index, node_id in enumerate(document.graph.nodes):
        document.graph.move_node(node_id, ((index * 37) % 700 - 300, (index * 53) % 500 - 200))
    assert_shows_a_fresh_render(view, "scattering the nodes")
    view.auto_layout()
    assert_shows_a_fresh_render(view, "auto layout")
    document.undo_stack.undo()
    assert_shows_a_fresh_render(view, "undoing the auto layout")


def test_zooming_past_each_level_of_detail_leaves_no_fragments(qtbot) -> None:
    view = make_view(qtbot, Document.from_template("resnet18"))
    for zoom in (1.0, 0.4, 0.15, 0.6, 1.3, 0.5):
        view.set_zoom(zoom)
        assert_shows_a_fresh_render(view, f"zooming to {zoom:.0%}")


def test_editing_leaves_no_fragments(qtbot) -> None:
    document = Document.from_template("resnet18")
    view = make_view(qtbot, document)
    view.set_zoom(1.0)
    graph, editor = document.graph, document.editor
    node = graph.node_by_name("layer1_0_conv1")
    view.centerOn(*node.position)
    assert_shows_a_fresh_render(view, "centring")
    x, y = node.position
    drag(qtbot, view, at(view, x, y), at(view, x + 130, y + 50))
    assert_shows_a_fresh_render(view, "dragging a node")
    editor.rename(node.id, "a_much_longer_name_than_before")
    assert_shows_a_fresh_render(view, "renaming")
    merge = graph.node_by_name("layer1_0_add")
    editor.set_param(merge.id, "inputs", 3)
    assert_shows_a_fresh_render(view, "adding an input port")
    view.canvas_scene.select_nodes([merge.id])
    assert_shows_a_fresh_render(view, "selecting")
    view.delete_selected()
    assert_shows_a_fresh_render(view, "deleting")
    view.set_dark(True)
    assert_shows_a_fresh_render(view, "switching to the dark theme")
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert_shows_a_fresh_render(view, "undoing the delete")
