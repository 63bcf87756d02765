"""The node canvas: a view of one Document's graph and the gestures that edit it."""

from dlstudio.ui.canvas.colors import CanvasColors, canvas_colors
from dlstudio.ui.canvas.scene import CanvasScene
from dlstudio.ui.canvas.view import CanvasView

__all__ = ["CanvasColors", "CanvasScene", "CanvasView", "canvas_colors"]
