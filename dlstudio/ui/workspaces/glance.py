"""A small read-only view of the network, for the Train workspace.

It shows the design canvas's own scene (the same items, so it is always current and
costs no copy), fitted to the panel; it takes no clicks, keys or drops. Double-clicking
it asks to go back to the Design workspace.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QFrame, QGraphicsView, QWidget

from dlstudio.ui.canvas.scene import CanvasScene

MARGIN = 24  # scene units around the network
REFIT_MS = 150  # edits come in bursts (a template loads node by node): fit once after


class GraphGlance(QGraphicsView):
    """The whole network, fitted, never edited from here."""

    design_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setInteractive(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAcceptDrops(False)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setToolTip("The network being trained. Double-click to edit it in Design.")
        self.setMinimumSize(120, 90)
        self._scene: CanvasScene | None = None
        self._fitted: tuple[QRectF, QSize] | None = None  # what the last fit showed
        self._refit = QTimer(self)
        self._refit.setSingleShot(True)
        self._refit.setInterval(REFIT_MS)
        self._refit.timeout.connect(self.fit)

    def follow(self, scene: CanvasScene) -> None:
        """Show `scene` (the canvas's scene of the open project)."""
        if self._scene is not None:
            self._scene.changed.disconnect(self._on_scene_changed)
        self._scene = scene
        self._fitted = None
        self.setScene(scene)
        scene.changed.connect(self._on_scene_changed)
        self.fit()

    def fit(self) -> None:
        if self._scene is None:
            return
        bounds = QRectF()
        for item in self._scene.nodes.values():  # not the scene's far-reaching helpers
            # the card with what is drawn beside it (its activation preview)
            bounds = bounds.united(item.sceneBoundingRect()).united(
                item.mapRectToScene(item.childrenBoundingRect()))
        if bounds.isEmpty():
            bounds = QRectF(-100, -100, 200, 200)
        bounds.adjust(-MARGIN, -MARGIN, MARGIN, MARGIN)
        fitted = (bounds, self.viewport().size())
        if fitted == self._fitted:
            return  # a preview redrawn as the pen moves changes the scene, not its extent
        self._fitted = fitted
        self.fitInView(bounds, Qt.AspectRatioMode.KeepAspectRatio)

    def _on_scene_changed(self, _regions: object) -> None:
        if self.isVisible():
            self._refit.start()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self.fit()  # edits made while hidden were not followed

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self.fit()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt)
        self.design_requested.emit()
        event.accept()
