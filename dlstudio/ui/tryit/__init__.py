"""The "Try it" panel: a trained model on a drawing, typed values or a text prompt."""

from dlstudio.ui.tryit.image_panel import ImageTryPanel
from dlstudio.ui.tryit.pad_widget import DrawingPad
from dlstudio.ui.tryit.panel import ModelSource, TryItPanel, panel_kind
from dlstudio.ui.tryit.text_panel import TextTryPanel
from dlstudio.ui.tryit.vector_panel import VectorTryPanel
from dlstudio.ui.tryit.views import InputPreview, ProbabilityBars

__all__ = [
    "DrawingPad", "ImageTryPanel", "InputPreview", "ModelSource", "ProbabilityBars",
    "TextTryPanel", "TryItPanel", "VectorTryPanel", "panel_kind",
]
