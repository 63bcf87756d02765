"""A form for every option of the training engine (TrainSettings), grouped as a user
thinks of them, with a device chooser that lists what this machine really has.

The form holds no settings of its own: `settings()` builds a checked TrainSettings from
the widgets (TrainSettingsError names the field, and the form marks that widget), and
`set_settings()` shows one.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from dlstudio.data.augment import MAX_CROP
from dlstudio.train.settings import (
    LOSSES,
    MONITORS,
    OPTIMIZERS,
    SCHEDULES,
    TrainSettings,
    TrainSettingsError,
)
from dlstudio.ui.panels.param_fields import FloatSpinBox
from dlstudio.ui.training.start_weights import StartWeightsRow
from dlstudio.ui.wheel_guard import WheelGuard, guard_wheel

Field = QSpinBox | QDoubleSpinBox | QComboBox | QCheckBox | StartWeightsRow
INVALID_STYLE = "background: rgba(220, 50, 47, 60);"
FIND_LR_TIP = ("Find a learning rate: a short range test on the chosen data shows where "
               "the loss falls fastest (nothing is trained or saved)")


def available_devices() -> list[tuple[str, str]]:
    """(setting value, label) for each device this PyTorch can train on here."""
    devices = [("auto", "Automatic (best available)")]
    if torch.cuda.is_available():
        devices += [(f"cuda:{i}", f"CUDA {i}: {torch.cuda.get_device_name(i)}")
                    for i in range(torch.cuda.device_count())]
    backend = getattr(torch.backends, "mps", None)
    if backend is not None and backend.is_available():
        devices.append(("mps", "Apple GPU (MPS)"))
    devices.append(("cpu", f"CPU ({torch.get_num_threads()} threads)"))
    return devices


class ScientificSpinBox(FloatSpinBox):
    """A number from 1e-8 to 1e6 shown as 0.001 or 1e-05 (FloatSpinBox: the inspector's
    box for layer parameters); the arrows step by ×2 / ÷2, which suits learning rates
    and decays better than fixed steps."""

    def __init__(self, minimum: float, maximum: float) -> None:
        super().__init__()
        self.setRange(minimum, maximum)
        self.setKeyboardTracking(False)

    def stepBy(self, steps: int) -> None:  # noqa: N802 (Qt override)
        value = self.value() or self.minimum() or 1e-4
        self.setValue(value * math.pow(2.0, steps))


def _spin(low: int, high: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    return box


def _real(low: float, high: float, step: float, decimals: int = 3) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setDecimals(decimals)
    return box


def _memory_limit() -> QDoubleSpinBox:
    box = _real(0.0, 1e6, 1.0)
    box.setSuffix(" GB")
    box.setSpecialValueText("What is free")  # shown at 0
    return box


def _combo(items: list[tuple[Any, str]]) -> QComboBox:
    box = QComboBox()
    for value, label in items:
        box.addItem(label, value)
    return box


def _choices(values: tuple[str, ...]) -> QComboBox:
    return _combo([(v, v) for v in values])


# (group, [(setting, label, tooltip)]); augmentation fields are "augment.<name>".
GROUPS: list[tuple[str, list[tuple[str, str, str]]]] = [
    ("Start from", [  # the weights row (StartWeightsRow) goes first in this group
        ("normalisation", "Normalisation", "How images are scaled before the network: as "
                                           "the data set says, or with ImageNet's mean and "
                                           "std (what pretrained weights expect)"),
        ("target", "Target", "What each sample is trained to give: its label, or the input "
                             "itself (an autoencoder, whose Output has the Input's shape)"),
    ]),
    ("Optimizer", [
        ("optimizer", "Optimizer", "How the weights move: Adam adapts each step; SGD is "
                                   "plain gradient descent with momentum"),
        ("lr", "Learning rate", "Size of each step; too high diverges (NaN loss), too low "
                                "crawls"),
        ("batch_size", "Batch size", "Samples per step; smaller uses less memory"),
        ("epochs", "Epochs", "Passes over the training data"),
        ("momentum", "Momentum", "SGD only: how much of the last step carries over"),
        ("nesterov", "Nesterov", "SGD only: look-ahead momentum"),
    ]),
    ("Schedule", [
        ("schedule", "Schedule", "How the learning rate changes during training"),
        ("step_size", "Step every (epochs)", "step: multiply by gamma every this many epochs"),
        ("gamma", "Gamma", "step and plateau: the factor the rate is multiplied by"),
        ("plateau_patience", "Plateau patience", "plateau: epochs without improvement "
                                                 "before the rate drops"),
        ("warmup_epochs", "Warm-up epochs", "Grow the rate linearly from near 0 first"),
    ]),
    ("Regularisation", [
        ("weight_decay", "Weight decay (L2)", "Pulls weights towards 0 (decoupled for AdamW)"),
        ("l1", "L1", "Adds l1 × sum |w|: pushes weights to exactly 0"),
        ("grad_clip", "Gradient clipping", "Largest gradient norm; 0 = off"),
        ("label_smoothing", "Label smoothing", "Cross-entropy only: softer targets"),
        ("loss", "Loss", "Which loss to train with"),
    ]),
    ("Early stopping", [
        ("early_stopping", "Stop early", "Stop when the monitored metric stops improving"),
        ("monitor", "Monitor", "The metric that picks the best epoch (best.pt)"),
        ("patience", "Patience", "Epochs without improvement before stopping"),
        ("restore_best", "Restore best weights", "End with the best epoch's weights"),
        ("checkpoint_every", "Checkpoint every", "Keep the weights after every this many "
                                                 "epochs, to replay the run epoch by epoch "
                                                 "(mistakes, Try it, Evaluate); each costs "
                                                 "one checkpoint on disk (about 3× the "
                                                 "weights with Adam); 0 = off"),
    ]),
    ("Augmentation", [
        ("augment.shift", "Shift", "Largest move, as a share of the size (0.1 = 10 %)"),
        ("augment.rotation", "Rotation (°)", "Largest turn either way"),
        ("augment.scale", "Zoom", "Largest zoom change (0.1 = 90 %..110 %)"),
        ("augment.noise", "Noise", "Standard deviation of added Gaussian noise"),
        ("augment.crop", "Random crop (px)", "Pad this many zero pixels on each side, then "
                                             "cut a random window of the original size; "
                                             "0 = off"),
        ("augment.flip_horizontal", "Flip left-right", "Mirror half the images (only where "
                                                      "the data allows it)"),
        ("augment.flip_vertical", "Flip up-down", "Mirror half the images upside down"),
    ]),
    ("Run", [
        ("seed", "Seed", "Same seed, same split, same run"),
        ("val_fraction", "Validation share", "Share of the data held out to validate"),
        ("test_fraction", "Test share", "Share of the data held out as a test set, "
                                        "measured once when training ends (data with a "
                                        "test set of its own keeps that one)"),
        ("device", "Device", "Where to train"),
        ("mixed_precision", "Mixed precision", "CUDA only: faster, less memory"),
        ("memory_limit_gb", "Memory limit", "The memory one batch may need (weights, "
                                            "gradients, optimizer state, activations), "
                                            "checked before anything is built; 0 = what "
                                            "is free on the device"),
    ]),
]


def _make_field(name: str) -> Field:
    makers: dict[str, Any] = {
        "optimizer": lambda: _choices(OPTIMIZERS),
        "lr": lambda: ScientificSpinBox(1e-8, 1e6),
        "batch_size": lambda: _spin(1, 65536),
        "epochs": lambda: _spin(1, 100_000),
        "momentum": lambda: _real(0.0, 0.999, 0.05),
        "schedule": lambda: _choices(SCHEDULES),
        "step_size": lambda: _spin(1, 100_000),
        "gamma": lambda: _real(0.001, 1.0, 0.05),
        "plateau_patience": lambda: _spin(1, 1000),
        "warmup_epochs": lambda: _spin(0, 1000),
        "weight_decay": lambda: _real(0.0, 10.0, 1e-4, 6),
        "l1": lambda: _real(0.0, 10.0, 1e-5, 6),
        "grad_clip": lambda: _real(0.0, 1e6, 0.5),
        "label_smoothing": lambda: _real(0.0, 0.99, 0.05),
        "loss": lambda: _combo([(None, "as the Output node says")]
                               + [(v, v) for v in LOSSES]),
        "monitor": lambda: _choices(MONITORS),
        "patience": lambda: _spin(1, 1000),
        "checkpoint_every": lambda: _spin(0, 100_000),
        "augment.shift": lambda: _real(0.0, 1.0, 0.05),
        "augment.rotation": lambda: _real(0.0, 180.0, 5.0, 1),
        "augment.scale": lambda: _real(0.0, 0.9, 0.05),
        "augment.noise": lambda: _real(0.0, 10.0, 0.05),
        "augment.crop": lambda: _spin(0, MAX_CROP),
        "seed": lambda: _spin(0, 2**31 - 1),
        "val_fraction": lambda: _real(0.0, 0.95, 0.05, 2),
        "test_fraction": lambda: _real(0.0, 0.95, 0.05, 2),
        "device": lambda: _combo(available_devices()),
        "memory_limit_gb": _memory_limit,
        "normalisation": lambda: _combo([("auto", "Measured from the data"),
                                         ("imagenet", "ImageNet mean and std")]),
        "target": lambda: _combo([("labels", "The labels"),
                                  ("input", "The input itself (autoencoder)")]),
    }
    maker = makers.get(name)
    return maker() if maker is not None else QCheckBox()


class SettingsForm(QWidget):
    """Every TrainSettings field as a widget; `changed` fires on any edit."""

    changed = Signal()
    find_lr_requested = Signal()  # the "Find…" button beside the learning rate

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.fields: dict[str, Field] = {}
        self.start = StartWeightsRow()
        self.start.setObjectName("setting_weights")
        self._wheel_guard = WheelGuard(self)
        self.find_lr_button = QPushButton("Find…")
        self.find_lr_button.setObjectName("find_lr_button")
        self.find_lr_button.setToolTip(FIND_LR_TIP)
        self.find_lr_button.clicked.connect(self.find_lr_requested)
        for title, rows in GROUPS:
            group = QGroupBox(title)
            form = QFormLayout(group)
            if title == "Start from":
                form.addRow("Weights", self.start)
                self.fields["weights"] = self.start
            for name, label, tip in rows:
                widget = _make_field(name)
                widget.setToolTip(tip)
                widget.setObjectName(f"setting_{name}")
                form.addRow(label, self._with_find(widget) if name == "lr" else widget)
                self.fields[name] = widget
                _connect(widget, self._on_field_changed)
            guard_wheel(group, self._wheel_guard)
            layout.addWidget(group)
        layout.addStretch(1)
        self._data = ""
        self.set_settings(TrainSettings())

    def _with_find(self, field: QWidget) -> QWidget:
        """The learning-rate box with the Find… button on its right."""
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(field, 1)
        layout.addWidget(self.find_lr_button)
        return row

    def set_find_lr_available(self, available: bool, why: str = "") -> None:
        """Enable Find…, or grey it out with `why` as its tooltip (a run is training)."""
        self.find_lr_button.setEnabled(available)
        self.find_lr_button.setToolTip(FIND_LR_TIP if available else why)

    def set_settings(self, settings: TrainSettings) -> None:
        """Show `settings` (a device this machine lacks falls back to automatic)."""
        values = settings.to_dict()
        self._data = settings.data
        for name, widget in self.fields.items():
            widget.blockSignals(True)
            _set_value(widget, values.get(name))
            widget.blockSignals(False)
        self._clear_marks()
        self._update_enabled()

    def settings(self, data: str | None = None) -> TrainSettings:
        """A checked TrainSettings from the widgets; TrainSettingsError names a bad field
        (and that widget is marked)."""
        values = self.values()
        values["data"] = self._data if data is None else data
        self._clear_marks()
        try:
            return TrainSettings.from_dict(values)
        except TrainSettingsError as error:
            widget = self.fields.get(error.field)
            if widget is None and error.field == "augment":
                widget = self.fields["augment.shift"]
            if widget is not None:
                widget.setStyleSheet(INVALID_STYLE)
                widget.setToolTip(str(error))
            raise

    def values(self) -> dict[str, Any]:
        """What every field shows now, by TrainSettings field name (valid or not)."""
        return {name: _value(widget) for name, widget in self.fields.items()}

    def set_value(self, name: str, value: Any) -> None:
        """Show `value` in one field without firing `changed` (a command's undo step)."""
        widget = self.fields[name]
        widget.blockSignals(True)
        _set_value(widget, value)
        widget.blockSignals(False)
        self._clear_marks()
        self._update_enabled()

    def set_start_weights(self, weights: str) -> None:
        """Show where training starts from now (an undo step of Load weights…)."""
        self.start.set_value(weights)
        self.changed.emit()

    def _clear_marks(self) -> None:
        for widget in self.fields.values():
            widget.setStyleSheet("")

    def _on_field_changed(self, *_: object) -> None:
        self._update_enabled()
        self.changed.emit()

    def _update_enabled(self) -> None:
        """Grey out what the current choices ignore, so the form says what applies."""
        f = self.fields
        sgd = _value(f["optimizer"]) == "sgd"
        schedule = _value(f["schedule"])
        early = bool(_value(f["early_stopping"]))
        f["momentum"].setEnabled(sgd)
        f["nesterov"].setEnabled(sgd)
        f["step_size"].setEnabled(schedule == "step")
        f["gamma"].setEnabled(schedule in ("step", "plateau"))
        f["plateau_patience"].setEnabled(schedule == "plateau")
        f["patience"].setEnabled(early)
        f["restore_best"].setEnabled(early)


def _connect(widget: Field, slot: Any) -> None:
    if isinstance(widget, StartWeightsRow):
        return  # changed by set_start_weights, an undo step of its own
    if isinstance(widget, QComboBox):
        widget.currentIndexChanged.connect(slot)
    elif isinstance(widget, QCheckBox):
        widget.toggled.connect(slot)
    else:
        widget.valueChanged.connect(slot)


def _value(widget: Field) -> Any:
    if isinstance(widget, QComboBox):
        return widget.currentData()
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    return widget.value()


def _set_value(widget: Field, value: Any) -> None:
    if isinstance(widget, StartWeightsRow):
        widget.set_value(value or "")
        return
    if isinstance(widget, QComboBox):
        index = widget.findData(value)
        widget.setCurrentIndex(max(index, 0))
    elif isinstance(widget, QCheckBox):
        widget.setChecked(bool(value))
    elif value is not None:
        widget.setValue(value)

