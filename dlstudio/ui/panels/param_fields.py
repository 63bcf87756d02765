"""One input widget per layer parameter, chosen by the catalogue's ParamSpec kind.

int -> spin box with the allowed range (its minimum read as the spec's `special` words,
when it has them), float -> spin box that shows small numbers
(1e-05) as written, bool -> check box, choice -> drop-down, ints/padding -> a text field
checked with ParamSpec.validate as it is typed. A field only reports values that passed
validation; the inspector sends them to the graph editor and shows any refusal here.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from dlstudio.graph.errors import GraphError
from dlstudio.graph.params import ParamSpec
from dlstudio.ui.theme import current_ui_colors

INT_LIMIT = 2_147_483_647


class FloatSpinBox(QDoubleSpinBox):
    """A double spin box that keeps tiny values such as 1e-05 readable and exact."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(15)
        self.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt override)
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802 (Qt override)
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> object:
        stripped = text.strip()
        if stripped in ("", "-", ".", "-.") or stripped.lower().endswith(("e", "e-", "e+")):
            return QValidator.State.Intermediate, text, pos
        try:
            number = float(stripped)
        except ValueError:
            return QValidator.State.Invalid, text, pos
        if not math.isfinite(number):
            return QValidator.State.Invalid, text, pos
        inside = self.minimum() <= number <= self.maximum()
        return (QValidator.State.Acceptable if inside else QValidator.State.Intermediate,
                text, pos)


def param_tooltip(spec: ParamSpec) -> str:
    if spec.kind == "bool":
        return spec.help
    return f"{spec.help}\nAllowed: {spec.describe_range()}"


def display_text(spec: ParamSpec, value: Any) -> str:
    """How a value reads in a text field: 1, 28, 28 for shapes, same/2 for padding."""
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return str(value)


class ParamField(QWidget):
    """An input for one parameter with an error line under it."""

    committed = Signal(str, object)  # parameter name, validated value

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self._shown: Any = object()  # the model value the widget shows now
        self.input = self._build_input()
        self.input.setToolTip(param_tooltip(spec))
        self.input.setObjectName(f"param_{spec.name}")
        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.input)
        layout.addWidget(self.error_label)

    @property
    def error(self) -> str | None:
        return self.error_label.text() if not self.error_label.isHidden() else None

    def show_error(self, message: str | None) -> None:
        if message:
            self.error_label.setText(message)
            self.error_label.setStyleSheet(f"color: {current_ui_colors().error};")
            self.error_label.show()
        else:
            self.error_label.clear()
            self.error_label.hide()

    def set_value(self, value: Any, force: bool = False) -> None:
        """Show the model's value; unchanged values leave the user's typing alone."""
        if value == self._shown and not force:
            return
        self._shown = value
        widget = self.input
        widget.blockSignals(True)
        try:
            if isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, QComboBox):
                widget.setCurrentText(str(value))
            elif isinstance(widget, QSpinBox | QDoubleSpinBox):
                widget.setValue(value)
            else:
                widget.setText(display_text(self.spec, value))
        finally:
            widget.blockSignals(False)
        self.show_error(None)

    # ----- building ------------------------------------------------------------------
    def _build_input(self) -> QWidget:
        spec = self.spec
        if spec.kind == "int":
            box = QSpinBox(self)
            box.setRange(_bound(spec.minimum, -INT_LIMIT), _bound(spec.maximum, INT_LIMIT))
            box.setKeyboardTracking(False)  # one edit per Enter or focus change, not per key
            box.setGroupSeparatorShown(True)
            box.setSpecialValueText(spec.special)  # the minimum in words, e.g. stride 0
            box.valueChanged.connect(self._on_input_value_changed)
            return box
        if spec.kind == "float":
            box = FloatSpinBox(self)
            box.setRange(-1e12 if spec.minimum is None else spec.minimum,
                         1e12 if spec.maximum is None else spec.maximum)
            box.setKeyboardTracking(False)
            box.valueChanged.connect(self._on_input_value_changed)
            return box
        if spec.kind == "bool":
            check = QCheckBox(self)
            check.toggled.connect(self._on_input_value_changed)
            return check
        if spec.kind == "choice":
            combo = QComboBox(self)
            combo.addItems(list(spec.choices))
            combo.currentTextChanged.connect(self._on_input_value_changed)
            return combo
        line = QLineEdit(self)
        line.setPlaceholderText("e.g. 1, 28, 28" if spec.kind == "ints" else "e.g. 1 or same")
        line.textEdited.connect(self._on_line_text_edited)
        line.editingFinished.connect(self._on_line_editing_finished)
        return line

    # ----- user input ----------------------------------------------------------------
    def _on_input_value_changed(self, value: Any) -> None:
        self._commit(value)

    def _on_line_text_edited(self, text: str) -> None:
        try:
            self.spec.validate(text)
        except GraphError as error:
            self.show_error(str(error))
        else:
            self.show_error(None)

    def _on_line_editing_finished(self) -> None:
        try:
            value = self.spec.validate(self.input.text())
        except GraphError as error:
            self.show_error(str(error))  # invalid text is never applied
            return
        if value != self._shown:
            self._commit(value)

    def _commit(self, value: Any) -> None:
        try:
            value = self.spec.validate(value)
        except GraphError as error:
            self.show_error(str(error))
            return
        self.committed.emit(self.spec.name, value)


def _bound(limit: float | None, default: int) -> int:
    return default if limit is None else int(max(-INT_LIMIT, min(INT_LIMIT, limit)))
