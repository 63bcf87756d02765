"""Try a model on numbers: one field per input feature (regression, XOR, CSV models),
or one line of comma-separated values for sequences and wide inputs.

Values are typed in the data's own units; the predictor applies the training
normalisation. The answer updates as the values change.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from dlstudio.infer import PredictError, Predictor
from dlstudio.infer.predict import Prediction
from dlstudio.ui.theme import current_ui_colors
from dlstudio.ui.tryit.threads import one_torch_thread
from dlstudio.ui.tryit.views import ProbabilityBars

MAX_FIELDS = 16  # more features than this (or a sequence): one line of values
LIMIT = 1e9


class VectorTryPanel(QWidget):
    """Input values in, class probabilities or output values out."""

    predicted = Signal(object)  # the Prediction, or None when the input was refused

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._predictor: Predictor | None = None
        self.fields: list[QDoubleSpinBox] = []
        self.line: QLineEdit | None = None
        self._form_host = QWidget()
        self._form = QFormLayout(self._form_host)
        self.answer = QLabel()
        self.answer.setWordWrap(True)
        self.bars = ProbabilityBars()
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Input values"))
        layout.addWidget(self._form_host)
        layout.addWidget(self.answer)
        layout.addWidget(self.bars)
        layout.addStretch(1)

    def set_predictor(self, predictor: Predictor) -> None:
        """Build the fields for `predictor`'s inputs and show its answer for zeros."""
        self._predictor = predictor
        info = predictor.info
        while self._form.rowCount():
            self._form.removeRow(0)  # deletes the old fields
        self.fields = []
        self.line = None
        count = 1
        for size in info.input_shape:
            count *= size
        if info.kind == "vector" and count <= MAX_FIELDS:
            names = info.feature_names if len(info.feature_names) == count else \
                tuple(f"x{i + 1}" for i in range(count))
            for name in names:
                field = QDoubleSpinBox()
                field.setRange(-LIMIT, LIMIT)
                field.setDecimals(4)
                field.setSingleStep(0.1)
                field.valueChanged.connect(self._on_field_value_changed)
                self._form.addRow(name, field)
                self.fields.append(field)
        else:
            self.line = QLineEdit(", ".join(["0"] * count))
            self.line.setPlaceholderText(f"{count} numbers separated by commas")
            self.line.textChanged.connect(self._on_line_text_changed)
            self._form.addRow(f"{info.describe_input()}:", self.line)
        self.bars.setVisible(info.task == "classification")
        self.bars.show_probabilities(info.class_names, None)
        self.predict_now()

    def set_values(self, values: list[float]) -> None:
        """Fill the inputs (fields or line) and predict."""
        if self.fields:
            for field, value in zip(self.fields, values, strict=True):
                field.blockSignals(True)
                field.setValue(value)
                field.blockSignals(False)
            self.predict_now()
        elif self.line is not None:
            self.line.setText(", ".join(f"{v:g}" for v in values))

    def predict_now(self) -> None:
        predictor = self._predictor
        if predictor is None:
            return
        values: object = [f.value() for f in self.fields]
        if self.line is not None:
            values = self.line.text()
        try:
            with one_torch_thread():
                prediction = predictor.predict_vector(values)
        except PredictError as error:
            self.answer.setText(f'<span style="color:{current_ui_colors().error}">'
                                f"{error}</span>")
            self.bars.show_probabilities(predictor.info.class_names, None)
            self.predicted.emit(None)
            return
        self._show(prediction)
        self.predicted.emit(prediction)

    def _show(self, prediction: Prediction) -> None:
        if prediction.task == "classification":
            assert self._predictor is not None
            self.bars.show_probabilities(self._predictor.info.class_names,
                                         prediction.probabilities)
            self.answer.setText(f"<b>{prediction.label}</b> "
                                f"({100 * (prediction.probability or 0.0):.1f}%)")
        else:
            values = ", ".join(f"{v:.4g}" for v in prediction.value)
            self.answer.setText(f"Output: <b>{values}</b>")

    def _on_field_value_changed(self, value: float) -> None:
        self.predict_now()

    def _on_line_text_changed(self, text: str) -> None:
        self.predict_now()
