"""The "Try it" dock: the trained model on the user's own input.

It picks the sub-panel that fits the model: the drawing pad for image classifiers, a
form of values for vector and sequence models, a prompt for the next-character text
model; for anything else it says why the model cannot be tried. It holds its own copy of
the model (from a checkpoint, or a snapshot of a module), so predicting never touches a
model that is still training.
"""

from __future__ import annotations

import copy
from pathlib import Path

import torch
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from dlstudio.compile import GraphModule
from dlstudio.data import DataInfo
from dlstudio.data.textfile import info_layout
from dlstudio.infer import Predictor
from dlstudio.train.checkpoint import CheckpointError
from dlstudio.ui.tryit.image_panel import ImageTryPanel
from dlstudio.ui.tryit.text_panel import TextTryPanel
from dlstudio.ui.tryit.vector_panel import VectorTryPanel

# A model to try: a predictor, a checkpoint file, a compiled graph with its data facts,
# or None.
ModelSource = Predictor | str | Path | tuple[GraphModule, DataInfo] | None

NO_MODEL = ("No trained weights yet. Train the network (Data and training) and try it "
            "here: draw a digit, type values or a prompt.")


def panel_kind(info: DataInfo) -> tuple[str, str]:
    """("image" | "vector" | "text" | "none", why not) for a model's data."""
    if info.kind == "image":
        if info.task == "classification" or info.reconstruction:  # classes, or an autoencoder
            return "image", ""
        return "none", (f"This model maps {info.describe_input()} to numbers (regression); "
                        "the drawing pad shows class probabilities, so it needs a "
                        "classifier. Use `dlstudio predict` for its outputs.")
    if info_layout(info) is not None:  # characters, as ids or one-hot vectors
        return "text", ""
    if info.kind in ("vector", "sequence"):
        return "vector", ""
    if info.task == "classification" and all(len(name) == 1 for name in info.class_names):
        return "text", ""
    return "none", (f"This model takes {info.describe_input()} whose classes are not "
                    "characters, so there is no text to write with it.")


class TryItPanel(QWidget):
    """Shows the sub-panel for the current model, or the reason it cannot be tried."""

    model_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._predictor: Predictor | None = None
        self._kind = "none"
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.reason_label = QLabel()
        self.reason_label.setWordWrap(True)
        self.reason_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.image_panel = ImageTryPanel()
        self.vector_panel = VectorTryPanel()
        self.text_panel = TextTryPanel()
        self._stack = QStackedWidget()
        for page in (self.reason_label, self.image_panel, self.vector_panel,
                     self.text_panel):
            self._stack.addWidget(page)
        scroll = QScrollArea()  # a narrow dock scrolls rather than squeezing the pad
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._stack)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(scroll, 1)
        self.set_model(None)

    @property
    def predictor(self) -> Predictor | None:
        return self._predictor

    def kind(self) -> str:
        """Which sub-panel shows: "image", "vector", "text" or "none"."""
        return self._kind

    def reason(self) -> str:
        """Why the model cannot be tried ("" when it can)."""
        return self.reason_label.text() if self._kind == "none" else ""

    def set_model(self, source: ModelSource, why: str | None = None) -> None:
        """Try `source` from now on. A checkpoint that cannot be loaded, a model of no
        kind the panel knows, or None (with `why`, or the no-weights message) shows the
        reason instead. A module is copied, so training may go on with the original."""
        self.text_panel.stop()
        try:
            predictor = _predictor(source)
        except CheckpointError as error:
            predictor, why = None, f"Cannot load the checkpoint: {error}"
        self._predictor = predictor
        if predictor is None:
            self._show_reason(why or NO_MODEL, "")
        else:
            info = predictor.info
            origin = f" — {Path(source).name}" if isinstance(source, (str, Path)) else ""
            kind, reason = panel_kind(info)
            header = f"<b>{info.summary()}</b>{origin}"
            if kind == "none":
                self._show_reason(reason, header)
            else:
                self._kind = kind
                self.header.setText(header)
                page = {"image": self.image_panel, "vector": self.vector_panel,
                        "text": self.text_panel}[kind]
                self._stack.setCurrentWidget(page)
                page.set_predictor(predictor)
        self.model_changed.emit()

    def _show_reason(self, text: str, header: str) -> None:
        self._kind = "none"
        self.header.setText(header)
        self.reason_label.setText(text)
        self._stack.setCurrentWidget(self.reason_label)


def _predictor(source: ModelSource) -> Predictor | None:
    if source is None or isinstance(source, Predictor):
        return source
    if isinstance(source, (str, Path)):
        return Predictor.from_checkpoint(source)
    module, info = source
    return Predictor(copy.deepcopy(module), info, torch.device("cpu"))
