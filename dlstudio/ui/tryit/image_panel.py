"""Try an image model: draw (or load a picture), see its guess as you draw; for an
autoencoder (a reconstruction checkpoint) see the input beside its reconstruction.

Every change of the ink asks for one prediction through a 0 ms single-shot timer, so
pointer events that arrive together are answered once, with the newest ink; preprocessing
and one CPU forward pass of a small network take a millisecond or two (see
bench/drawpad_latency.py), so the bars follow the pen. Saliency needs a backward pass
(or many forward passes), so it is drawn only when the pen is lifted.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dlstudio.data import DataError
from dlstudio.graph import format_shape
from dlstudio.infer import Predictor
from dlstudio.infer.activations import recording
from dlstudio.infer.pad import PadInput, paper_value, preprocess_drawing
from dlstudio.infer.reconstruct import reconstruct_input
from dlstudio.infer.saliency import saliency
from dlstudio.ui.theme import current_ui_colors
from dlstudio.ui.tryit.pad_widget import DrawingPad
from dlstudio.ui.tryit.threads import one_torch_thread
from dlstudio.ui.tryit.views import InputPreview, ProbabilityBars

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff)"
SALIENCY_METHODS = {"Input gradients": "gradient", "Occlusion": "occlusion"}


class ImageTryPanel(QWidget):
    """The drawing pad with its prediction, model-input view and saliency overlay; for a
    reconstruction model, the model input beside what the model gives back."""

    predicted = Signal(object)  # the class probabilities shown (tuple), () when empty
    reconstructed = Signal(object)  # the Reconstruction shown, None when empty
    # The model input just predicted (a tensor without batch dimension), None when the
    # pad is empty: the canvas's activation previews follow it (canvas/activation_overlay).
    sample_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._predictor: Predictor | None = None
        self._paper: torch.Tensor | None = None
        self.last_input: PadInput | None = None  # what the model received last
        # Nodes whose outputs the prediction's forward pass keeps (by submodule name),
        # and what it kept: the canvas's activation previews reuse the same pass.
        self.record_names: set[str] = set()
        self.recorded: dict[str, torch.Tensor] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._on_timer_timeout)

        self.pad = DrawingPad()
        self.preview = InputPreview()
        self.preview_caption = QLabel()
        self.output_preview = InputPreview()
        self.output_preview.setToolTip("What the model gives back for this input")
        self.output_caption = QLabel("Reconstruction")
        self.guess = QLabel()
        font = self.guess.font()
        font.setPointSizeF(font.pointSizeF() * 3.2)
        font.setBold(True)
        self.guess.setFont(font)
        self.certainty = QLabel()
        # A fixed size: a label whose size may change asks the whole window to lay
        # itself out again on every new text, ~1 ms a prediction in the full window.
        self.certainty.setFixedSize(self.certainty.fontMetrics().horizontalAdvance(
            "error (MSE) 0.00000") + 8, self.certainty.fontMetrics().height() + 4)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        self.bars = ProbabilityBars()
        self.clear_button = QPushButton("Clear")
        self.undo_button = QPushButton("Undo stroke")
        self.load_button = QPushButton("Load image…")
        self.saliency_box = QCheckBox("Show saliency")
        self.saliency_box.setToolTip("Colour the parts of the input that drove the top class")
        self.method_box = QComboBox()
        self.method_box.addItems(list(SALIENCY_METHODS))
        self.method_box.setEnabled(False)
        self.method_box.setToolTip("Input gradients: how much each pixel's ink raises the "
                                   "score (gradient × ink). Occlusion: how much hiding each "
                                   "patch lowers the probability.")
        self._build_layout()

        self.pad.ink_changed.connect(self._on_pad_ink_changed)
        self.clear_button.clicked.connect(self.pad.clear)
        self.undo_button.clicked.connect(self.pad.undo_stroke)
        self.load_button.clicked.connect(self._on_load_button_clicked)
        self.saliency_box.toggled.connect(self._on_saliency_box_toggled)
        self.method_box.currentIndexChanged.connect(self._on_method_box_changed)

    def _build_layout(self) -> None:
        buttons = QHBoxLayout()
        for button in (self.clear_button, self.undo_button, self.load_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        side = QVBoxLayout()
        side.addWidget(self.guess)
        side.addWidget(self.certainty)
        # The model input above (for an autoencoder) its reconstruction, each captioned
        # underneath and the pairs set apart, so neither caption reads as the other
        # picture's title. Stacked, not side by side: side by side is wider than the Try
        # it dock at 1366×768.
        side.addWidget(self.preview)
        side.addWidget(self.preview_caption)
        side.addSpacing(14)
        side.addWidget(self.output_preview)
        side.addWidget(self.output_caption)
        side.addStretch(1)
        self.saliency_row = QWidget()
        saliency_row = QHBoxLayout(self.saliency_row)
        saliency_row.setContentsMargins(0, 0, 0, 0)
        saliency_row.addWidget(self.saliency_box)
        saliency_row.addWidget(self.method_box)
        saliency_row.addStretch(1)
        grid = QGridLayout(self)
        grid.addWidget(self.pad, 0, 0)
        grid.addLayout(side, 0, 1)
        grid.addLayout(buttons, 1, 0, 1, 2)
        grid.addWidget(self.saliency_row, 2, 0, 1, 2)
        grid.addWidget(self.message, 3, 0, 1, 2)
        grid.addWidget(self.bars, 4, 0, 1, 2)
        grid.setRowStretch(5, 1)
        grid.setColumnStretch(2, 1)

    # ----- the model ---------------------------------------------------------------------
    @property
    def predictor(self) -> Predictor | None:
        return self._predictor

    def set_predictor(self, predictor: Predictor) -> None:
        """Predict with `predictor` from now on (an image classifier or autoencoder)."""
        self._predictor = predictor
        info = predictor.info
        self._paper = paper_value(info)
        self.bars.show_probabilities(info.class_names, None)
        self.preview_caption.setText(f"Model input {format_shape(info.input_shape)}")
        for widget in (self.output_preview, self.output_caption):
            widget.setVisible(info.reconstruction)
        for widget in (self.bars, self.saliency_row):
            widget.setVisible(not info.reconstruction)
        self.predict_now()

    def reconstructs(self) -> bool:
        """The model gives back its input (an autoencoder) rather than classes."""
        return self._predictor is not None and self._predictor.info.reconstruction

    def predict_now(self) -> None:
        """Predict the current ink at once (the timer does this after each change)."""
        self._timer.stop()
        predictor = self._predictor
        if predictor is None:
            return
        try:
            sample = preprocess_drawing(self.pad.ink(), predictor.info)
        except DataError as error:
            self._show_empty(str(error))
            return
        self.last_input = sample
        self.recorded = {}
        if sample is None:
            self._show_empty("Draw something: the model's guess appears as you draw."
                             if not self.reconstructs() else
                             "Draw something: its reconstruction appears as you draw.")
            return
        if self.reconstructs():
            self._show_reconstruction(sample)
            return
        with one_torch_thread():
            with recording(predictor.model, self.record_names) as found:
                probabilities = predictor.probabilities(sample.tensor).numpy()
            self.recorded = found
            shown = self._show_probabilities(probabilities)
            self.preview.set_picture(sample.picture)
            self._say("")
            if self.saliency_box.isChecked() and not self.pad.is_drawing():
                self._show_saliency(sample, int(np.argmax(probabilities)))
            else:
                self.pad.set_overlay(None, None)
            self.predicted.emit(shown)
            # Still on one thread: the activation previews follow at once, and changing
            # torch's thread count costs milliseconds on a busy machine.
            self.sample_changed.emit(sample.tensor)

    def load_image(self, path: Path) -> None:
        """Replace the drawing with a picture file; a problem shows in the panel."""
        try:
            self.pad.load_image(path)
        except DataError as error:
            self._say(f'<span style="color:{current_ui_colors().error}">'
                      f'{html.escape(str(error))}</span>')

    # ----- showing -----------------------------------------------------------------------
    def _show_probabilities(self, probabilities: np.ndarray) -> tuple[float, ...]:
        assert self._predictor is not None
        names = self._predictor.info.class_names
        shown = self.bars.show_probabilities(names, probabilities.tolist())
        best = int(np.argmax(probabilities))
        self.guess.setText(names[best])
        self.certainty.setText(f"{100 * probabilities[best]:.1f}% sure")
        return shown

    def _show_reconstruction(self, sample: PadInput) -> None:
        """The drawing as the model receives it beside what the model gives back."""
        assert self._predictor is not None
        target = torch.from_numpy(np.ascontiguousarray(sample.picture)).permute(2, 0, 1)
        with one_torch_thread(), recording(self._predictor.model, self.record_names) as found:
            shown = reconstruct_input(self._predictor, sample.tensor, target)
        self.recorded = found
        self.preview.set_picture(sample.picture)
        self.output_preview.set_picture(shown.output)
        self.guess.setText("")
        self.certainty.setText(f"error (MSE) {shown.mse:.4f}")
        self.pad.set_overlay(None, None)
        self._say("")
        self.reconstructed.emit(shown)
        self.sample_changed.emit(sample.tensor)

    def _show_empty(self, text: str) -> None:
        assert self._predictor is not None
        self.bars.show_probabilities(self._predictor.info.class_names, None)
        self.preview.set_picture(None)
        self.output_preview.set_picture(None)
        self.guess.setText("")
        self.certainty.setText("")
        self.pad.set_overlay(None, None)
        self._say(text)
        if self.reconstructs():
            self.reconstructed.emit(None)
        else:
            self.predicted.emit(())
        self.sample_changed.emit(None)

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _show_saliency(self, sample: PadInput, target: int) -> None:
        predictor = self._predictor
        assert predictor is not None and self._paper is not None
        method = SALIENCY_METHODS[self.method_box.currentText()]
        heat = saliency(predictor.model, sample.tensor.to(predictor.device), target, method,
                        paper=self._paper.to(predictor.device))
        self.pad.set_overlay(heat.cpu().numpy(), sample.placement)

    # ----- slots -------------------------------------------------------------------------
    def _on_pad_ink_changed(self) -> None:
        self._timer.start()

    def _on_timer_timeout(self) -> None:
        self.predict_now()

    def _on_saliency_box_toggled(self, checked: bool) -> None:
        self.method_box.setEnabled(checked)
        self.predict_now()

    def _on_method_box_changed(self, index: int) -> None:
        if self.saliency_box.isChecked():
            self.predict_now()

    def _on_load_button_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Load an image to classify", "",
                                              IMAGE_FILTER)
        if name:
            self.load_image(Path(name))
