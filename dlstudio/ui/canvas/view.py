"""The canvas widget: zoom, pan, grid, drops from the palette and the editing commands.

The main window's actions call the public methods here (`copy`, `fit_all`, ...); the
same keys also work when the canvas is used on its own, as in the tests.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView, QMenu, QWidget

from dlstudio.graph import GraphError
from dlstudio.ui.canvas import clipboard, node_menu
from dlstudio.ui.canvas.colors import canvas_colors
from dlstudio.ui.canvas.describe import selection_data
from dlstudio.ui.canvas.grid import GRID, draw_grid
from dlstudio.ui.canvas.keys import key_action
from dlstudio.ui.canvas.overlay import MessageBubble, NameEditor, draw_hint
from dlstudio.ui.canvas.paste import PASTE_STEP, PastePlacement
from dlstudio.ui.canvas.scene import CanvasScene
from dlstudio.ui.document import Document
from dlstudio.ui.palette import layer_type_from_mime

MIN_ZOOM, MAX_ZOOM = 0.05, 4.0


EMPTY_HINT = ("Drag a layer here from the Layers panel,\n"
              "or start from a template: File > New from template (Ctrl+Shift+N)")


class CanvasView(QGraphicsView):
    """Shows a document's graph and edits it through the document's GraphEditor."""

    message_shown = Signal(str)

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        self._scene = CanvasScene(document)
        super().__init__(self._scene, parent)
        self.document = document
        self.dark = False
        self.show_grid = True
        self._pan_from: QPoint | None = None
        self._space_held = False
        self._placement = PastePlacement()
        self._mouse_at: QPoint | None = None  # viewport pixel, while the mouse is over it
        self.context_menu: QMenu | None = None  # the last one opened (tests use it)
        hints = QPainter.RenderHint
        self.setRenderHints(hints.Antialiasing | hints.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        # Only what changed is repainted and a pan scrolls the pixels already drawn: every
        # item's boundingRect covers all it paints, so nothing is left behind, and the grid
        # is drawn so that scrolled and new pixels meet (tests/ui/test_canvas_repaint.py).
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAcceptDrops(True)
        self.viewport().setMouseTracking(True)  # paste lands under the mouse
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._bubble = MessageBubble(self.viewport())
        self._name_editor = NameEditor(self.viewport())
        self._name_editor.committed.connect(self._on_name_editor_committed)
        self._connect_scene()
        self.set_dark(False)
        self.centerOn(0, 0)

    @property
    def canvas_scene(self) -> CanvasScene:
        return self._scene

    def set_document(self, document: Document) -> None:
        """Show another document (File > Open); the old scene stops following its graph."""
        self._scene.detach()
        self.document.editor.laid_out.disconnect(self._on_editor_laid_out)
        old = self._scene
        self._scene = CanvasScene(document, canvas_colors(self.dark))
        self.document = document
        self.setScene(self._scene)
        old.deleteLater()
        self._connect_scene()
        self._placement.reset()
        self.fit_all()

    def _connect_scene(self) -> None:
        self.document.editor.laid_out.connect(self._on_editor_laid_out)
        self._scene.connection_refused.connect(self._on_scene_connection_refused)
        self._scene.rename_requested.connect(self.rename_node)
        self.document.selection_changed.connect(self._on_document_selection_changed)
        # The empty-canvas hint follows the scene (which dies with this view, unlike the
        # document, so no connection outlives its receiver).
        self._scene.changed.connect(self._on_scene_changed)
        self.viewport().update()

    def _on_scene_changed(self, _regions: list[QRectF]) -> None:
        if len(self.document.graph.nodes) <= 1:  # the hint just appeared or went away
            self.viewport().update()

    def set_dark(self, dark: bool) -> None:
        self.dark = dark
        colors = canvas_colors(dark)
        self._scene.set_colors(colors)
        self._bubble.set_colors(colors)
        self.resetCachedContent()
        self.viewport().update()

    # ----- zoom and pan --------------------------------------------------------------
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float) -> None:
        """Zoom to `factor` (1.0 = 100%) around the view's centre."""
        factor = min(MAX_ZOOM, max(MIN_ZOOM, factor))
        centre = self.mapToScene(self.viewport().rect().center())
        self.scale(factor / self.zoom(), factor / self.zoom())
        self.centerOn(centre)
        self._scene.set_zoom(self.zoom())

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom() * 1.25)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom() / 1.25)

    def fit_all(self) -> None:
        """Show every node; never magnify past 150% (one node would fill the screen)."""
        items = list(self._scene.nodes.values())
        if not items:
            self.set_zoom(1.0)
            self.centerOn(0, 0)
            return
        rect = QRectF()
        for item in items:
            rect = rect.united(item.sceneBoundingRect())
        margin = 30.0  # as graph.layout.fit_scale assumes, so templates read as planned
        self.fitInView(rect.adjusted(-margin, -margin, margin, margin),
                       Qt.AspectRatioMode.KeepAspectRatio)
        self.set_zoom(min(self.zoom(), 1.5))
        self.centerOn(rect.center())
        self.viewport().update()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps == 0:
            return
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom() * 1.2 ** steps))
        cursor = event.position().toPoint()
        under = self.mapToScene(cursor)
        self.scale(target / self.zoom(), target / self.zoom())
        # Scroll so the scene point under the cursor stays there (Qt's own anchor follows
        # the last mouse move, not the wheel event).
        drift = self.mapFromScene(under) - cursor
        self.pan_by(-drift.x(), -drift.y())
        self._scene.set_zoom(self.zoom())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        middle = event.button() == Qt.MouseButton.MiddleButton
        if middle or (self._space_held and event.button() == Qt.MouseButton.LeftButton):
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self._mouse_at = event.position().toPoint()
        if self._pan_from is not None:
            point = event.position().toPoint()
            delta, self._pan_from = point - self._pan_from, point
            self.pan_by(delta.x(), delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Leave:
            self._mouse_at = None
        return super().viewportEvent(event)

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the content by (dx, dy) screen pixels, as dragging it would."""
        horizontal, vertical = self.horizontalScrollBar(), self.verticalScrollBar()
        horizontal.setValue(horizontal.value() - round(dx))
        vertical.setValue(vertical.value() - round(dy))

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        if not self.document.graph.nodes:  # the hint stays in the middle: draw it again
            self.viewport().update()

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        super().drawBackground(painter, rect)
        if self.show_grid:
            draw_grid(painter, rect, self.zoom(), self._scene.colors)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        """On an empty canvas, say how to begin, in the middle of what the user sees."""
        super().drawForeground(painter, rect)
        if not self.document.graph.nodes:
            draw_hint(painter, self.viewport().rect(), self._scene.colors, EMPTY_HINT)

    # ----- drops from the palette ----------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if layer_type_from_mime(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        type_name = layer_type_from_mime(event.mimeData())
        if not type_name:
            event.ignore()
            return
        point = self.mapToScene(event.position().toPoint())
        if self._scene.snap_to_grid:
            point = QPointF(round(point.x() / GRID) * GRID, round(point.y() / GRID) * GRID)
        node_id = self.document.editor.add_node(type_name, (point.x(), point.y()))
        self._scene.select_nodes([node_id])
        event.acceptProposedAction()
        self.setFocus()

    # ----- editing -------------------------------------------------------------------
    def add_node_at_centre(self, type_name: str) -> str:
        """Add a node in the middle of what is shown (double-click in the palette)."""
        point = self.mapToScene(self.viewport().rect().center())
        node_id = self.document.editor.add_node(type_name, (point.x(), point.y()))
        self._scene.select_nodes([node_id])
        return node_id

    def select_all(self) -> None:
        self._scene.select_nodes(list(self._scene.nodes))

    def delete_selected(self) -> None:
        """Delete the selected nodes with their wires, and the selected wires, in one step."""
        self.document.editor.delete_nodes(self._scene.selected_node_ids(),
                                          self._scene.selected_edge_ids())

    def copy(self) -> None:
        ids = self._scene.selected_node_ids()
        if ids:
            clipboard.put_nodes(selection_data(self.document.graph, ids))
            self._placement.reset()

    def cut(self) -> None:
        ids = self._scene.selected_node_ids()
        if ids:
            self.copy()
            self.document.editor.delete_nodes(ids)

    def paste(self) -> list[str]:
        """Paste copied nodes under the mouse when it is over the canvas, else beside the
        originals; pasting again without moving the mouse steps further along."""
        data = clipboard.get_nodes()
        if data is None:
            return []
        mouse_at = None
        if self._mouse_at is not None:
            point = self.mapToScene(self._mouse_at)
            mouse_at = (point.x(), point.y())
        return self._paste(data, self._placement.next_offset(data, mouse_at))

    def duplicate(self) -> list[str]:
        ids = self._scene.selected_node_ids()
        if not ids:
            return []
        return self._paste(selection_data(self.document.graph, ids), (PASTE_STEP, PASTE_STEP))

    def _paste(self, data: dict, offset: tuple[float, float]) -> list[str]:
        if self._scene.snap_to_grid:
            offset = (round(offset[0] / GRID) * GRID, round(offset[1] / GRID) * GRID)
        try:
            ids = self.document.editor.paste(data, offset)
        except GraphError as error:
            self.show_message(f"Cannot paste: {error}")
            return []
        self._scene.select_nodes(ids)
        return ids

    def auto_layout(self) -> None:
        self.document.editor.auto_layout()

    def _on_editor_laid_out(self) -> None:
        """After an auto layout, from the toolbar or from here, show the whole graph."""
        self.fit_all()

    def rename_selected(self) -> None:
        ids = self._scene.selected_node_ids()
        if ids:
            self.rename_node(ids[0])

    def rename_node(self, node_id: str) -> None:
        """Open the in-place name editor over the node's name."""
        item = self._scene.nodes[node_id]
        self.ensureVisible(item)
        area = self.mapFromScene(item.mapRectToScene(item.name_rect())).boundingRect()
        area.setHeight(max(area.height(), self._name_editor.sizeHint().height()))
        area.setWidth(max(area.width(), 120))
        self._name_editor.open(node_id, self.document.graph.node(node_id).name, area)

    @property
    def name_editor(self) -> NameEditor:
        return self._name_editor

    def _on_name_editor_committed(self, node_id: str, name: str) -> None:
        self.setFocus()
        if node_id not in self.document.graph.nodes:
            return
        try:
            self.document.editor.rename(node_id, name)
        except GraphError as error:
            item = self._scene.nodes[node_id]
            self.show_message(str(error), self.mapFromScene(item.scenePos()))

    # ----- messages ------------------------------------------------------------------
    def show_message(self, text: str, at: QPoint | None = None) -> None:
        """Tell the user something next to `at` (viewport pixels), or near the top left."""
        self._bubble.show_at(text, at if at is not None else QPoint(8, 8))
        self.message_shown.emit(text)

    def message_text(self) -> str:
        return self._bubble.text() if self._bubble.isVisible() else ""

    def _on_scene_connection_refused(self, reason: str, where: QPointF) -> None:
        self.show_message(reason, self.mapFromScene(where))

    def _on_document_selection_changed(self, ids: list[str]) -> None:
        if len(ids) == 1 and ids[0] in self._scene.nodes:
            self.ensureVisible(self._scene.nodes[ids[0]], 60, 60)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 (Qt)
        """Right-click, the Menu key or Shift+F10: the node's (or the canvas's) menu."""
        keyboard = event.reason() == QContextMenuEvent.Reason.Keyboard
        self.context_menu = node_menu.open_context_menu(self, event.pos(), keyboard)
        event.accept()

    def keyboard_menu(self) -> None:
        """The selected node's menu, under its card (Shift+F10, the Menu key)."""
        self.context_menu = node_menu.open_context_menu(self, QPoint(), keyboard=True)

    # ----- keys ----------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        action = key_action(self, event)
        if action is None:
            super().keyPressEvent(event)
            return
        action()
        event.accept()

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = False
            self.viewport().unsetCursor()
            event.accept()
            return
        super().keyReleaseEvent(event)
