"""Try a next-character model: write a prompt, and it writes on, one character at a time.

Temperature reshapes the model's distribution before each draw: 0 always takes the most
likely character (repetitive), 1 samples the model as it is, higher is wilder; top-k draws
among the k most likely characters only. The draws are `dlstudio predict --temperature T
--top-k K`'s (dlstudio/infer/generate.py). Characters
come a few at a time from a 0 ms timer, so the window stays responsive and the text
appears as it is written.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from dlstudio.infer import PredictError, Predictor
from dlstudio.infer.generate import sample_index
from dlstudio.ui.theme import current_ui_colors
from dlstudio.ui.tryit.threads import one_torch_thread

CHARACTERS_PER_TICK = 8
DEFAULT_LENGTH = 200
DEFAULT_TEMPERATURE = 0.7
ALL_CHARACTERS = 0  # the top-k box's "all": no cut

__all__ = ["TextTryPanel", "sample_index"]


class TextTryPanel(QWidget):
    """Prompt, temperature, top-k and length in; generated text out."""

    generated = Signal(str)  # the characters written after the prompt, when done

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._predictor: Predictor | None = None
        self._text = ""
        self._remaining = 0
        self._written = ""
        self._rng = np.random.default_rng()
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._on_timer_timeout)

        self.prompt = QPlainTextEdit()
        self.prompt.setPlaceholderText("Start a text; the model goes on from its end")
        self.prompt.setMaximumHeight(80)
        self.prompt.setTabChangesFocus(True)  # Tab moves on to the controls below
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 3.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(DEFAULT_TEMPERATURE)
        self.temperature.setToolTip("0: always the most likely character; 1: the model's "
                                    "own odds; above 1: more surprising")
        self.top_k = QSpinBox()
        self.top_k.setRange(ALL_CHARACTERS, 1000)
        self.top_k.setValue(ALL_CHARACTERS)
        self.top_k.setSpecialValueText("all")
        self.top_k.setToolTip("Draw only among the k most likely characters (all: no cut); "
                              "a small k keeps sampled text from wandering off. No effect "
                              "at temperature 0")
        self.length = QSpinBox()
        self.length.setRange(1, 5000)
        self.length.setValue(DEFAULT_LENGTH)
        self.length.setSuffix(" characters")
        self.generate_button = QPushButton("Generate")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.message = QLabel()
        self.message.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Prompt", self.prompt)
        form.addRow("&Temperature", self.temperature)
        form.addRow("Top-&k", self.top_k)
        form.addRow("Length", self.length)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(self.output, 1)
        self.generate_button.clicked.connect(self.generate)
        self.stop_button.clicked.connect(self.stop)

    def set_predictor(self, predictor: Predictor) -> None:
        self.stop()
        self._predictor = predictor
        self.output.clear()
        self.message.setText("")

    def generate(self, seed: int | None = None) -> None:
        """Start writing after the prompt; `seed` makes the draws repeatable."""
        if self._predictor is None:
            return
        self._rng = np.random.default_rng(seed)
        self._text = self.prompt.toPlainText()
        self._written = ""
        self._remaining = self.length.value()
        self.output.setPlainText(self._text)
        self.message.setText("")
        self.generate_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self._timer.start()

    def stop(self) -> None:
        """Stop writing; what is written stays."""
        if self._timer.isActive():
            self._timer.stop()
            self.generated.emit(self._written)
        self.generate_button.setEnabled(True)
        self.stop_button.setEnabled(False)

    def is_generating(self) -> bool:
        return self._timer.isActive()

    def _on_timer_timeout(self) -> None:
        try:
            with one_torch_thread():
                chunk = self._write(min(CHARACTERS_PER_TICK, self._remaining))
        except PredictError as error:
            self.message.setText(f'<span style="color:{current_ui_colors().error}">'
                                 f"{error}</span>")
            chunk, self._remaining = "", 0
        cursor = self.output.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        cursor.insertText(chunk)
        if self._remaining <= 0:
            self.stop()

    def _write(self, count: int) -> str:
        """Draw `count` more characters; returns them."""
        assert self._predictor is not None
        predictor = self._predictor
        names = predictor.info.class_names
        top_k = self.top_k.value() or None
        chunk = ""
        for _ in range(count):
            odds = predictor.probabilities(predictor.text_input(self._text)).numpy()
            index = sample_index(odds, self.temperature.value(), self._rng, top_k)
            self._text += names[index]
            chunk += names[index]
            self._remaining -= 1
            self._written += names[index]
        return chunk
