"""The Evaluate workspace's "Layer outputs" panel: the design canvas's own scene (with the
activation previews drawn in it) beside the Try it pad, and a small sample chooser:
the pad, or validation sample #k."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from dlstudio.ui.canvas.activation_overlay import PAD, VALIDATION, ActivationOverlay
from dlstudio.ui.workspaces.glance import GraphGlance

SOURCES = {"Pad": PAD, "Validation #": VALIDATION}


class ActivationPanel(QWidget):
    """A glance at the network with its outputs, and which sample they are for."""

    def __init__(self, overlay: ActivationOverlay, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.overlay = overlay
        self.glance = GraphGlance()
        self.glance.setToolTip("Each node's output for the sample. Right-click a node on "
                               "the Design canvas, or use these buttons, to choose which "
                               "show. Double-click to edit the network in Design.")
        self.source_box = QComboBox()
        self.source_box.addItems(list(SOURCES))
        self.source_box.setToolTip("The sample the outputs are for: what is drawn on the "
                                   "Try it pad, or a sample of the validation data")
        self.index_box = QSpinBox()
        self.index_box.setRange(0, 0)
        self.index_box.setEnabled(False)
        self.index_box.setToolTip("Which validation sample")
        self.show_button = QPushButton("Show all")
        self.show_button.setToolTip("Show every node's output")
        self.hide_button = QPushButton("Hide")
        self.hide_button.setToolTip("Hide the outputs")
        self.described = QLabel()
        self.described.setWordWrap(True)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Sample:"))
        row.addWidget(self.source_box)
        row.addWidget(self.index_box)
        row.addStretch(1)
        buttons = QHBoxLayout()  # a row of its own: the panel stays narrow at 1366×768
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.show_button)
        buttons.addWidget(self.hide_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addLayout(buttons)
        layout.addWidget(self.described)
        layout.addWidget(self.glance, 1)
        self.source_box.currentIndexChanged.connect(self._on_source_box_changed)
        self.index_box.valueChanged.connect(self._on_index_box_changed)
        self.show_button.clicked.connect(overlay.show_all)
        self.hide_button.clicked.connect(overlay.hide_all)
        overlay.sample_described.connect(self._on_overlay_sample_described)
        self._on_overlay_sample_described("what is drawn on the pad")

    def _on_source_box_changed(self, _index: int) -> None:
        source = SOURCES[self.source_box.currentText()]
        validation = source == VALIDATION
        if validation:
            self.index_box.setMaximum(max(0, self.overlay.validation_size() - 1))
        self.index_box.setEnabled(validation)
        self.overlay.set_source(source, self.index_box.value())

    def _on_index_box_changed(self, value: int) -> None:
        if self.overlay.source == VALIDATION:
            self.overlay.set_source(VALIDATION, value)

    def _on_overlay_sample_described(self, text: str) -> None:
        self.described.setText(f"Outputs for {text}.")
