"""The permanent part of the status bar: is the network sound, where would it train, and
is the autosave in trouble.

An autosave problem stays on show (not a passing message, not a dialog every minute)
until a recovery copy is written again or the project is saved.

The device is found on a worker thread because importing torch takes a second or two;
the window shows "Device: …" until it is known.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread, Signal
from PySide6.QtWidgets import QApplication, QLabel, QSizePolicy, QStatusBar

from dlstudio.graph.summary import ModelSummary
from dlstudio.ui.theme import current_ui_colors


class DeviceProbe(QThread):
    """Finds the device training on "auto" would use, off the GUI thread."""

    found = Signal(str, str)  # short label, longer description

    def run(self) -> None:
        try:
            from dlstudio.train.devices import describe_device, resolve_device
        except ImportError as error:  # no torch: designing still works
            self.found.emit("none", f"Training is unavailable: {error}")
            return
        device = resolve_device("auto")
        self.found.emit(device.type.upper(), f"Training on auto runs on {describe_device(device)}")


class StatusIndicators(QObject):
    """Labels at the right of the status bar: autosave trouble, shape status and device."""

    def __init__(self, bar: QStatusBar) -> None:
        super().__init__(bar)
        self.autosave_label = QLabel(bar)
        self.autosave_label.setObjectName("autosave_problem")
        # Takes the room there is (a long path must not widen the window); tooltip: all.
        self.autosave_label.setSizePolicy(QSizePolicy.Policy.Ignored,
                                          QSizePolicy.Policy.Preferred)
        self.autosave_label.hide()
        bar.addPermanentWidget(self.autosave_label, 1)
        self.shape_label = QLabel(bar)
        self.device_label = QLabel("Device: …", bar)
        self.device_label.setToolTip("Looking for a GPU…")
        bar.addPermanentWidget(self.shape_label)
        bar.addPermanentWidget(self.device_label)
        self._counts = (0, 0)
        self._total_params = 0
        self._trainable_params = 0
        self._probe = DeviceProbe(self)
        self._probe.found.connect(self._on_probe_found)
        self._probe.start()

    def set_counts(self, errors: int, warnings: int) -> None:
        self._counts = (errors, warnings)
        self.refresh()

    def set_summary(self, summary: ModelSummary) -> None:
        self._total_params = summary.total_params
        self._trainable_params = summary.trainable_params
        self.refresh()

    def set_autosave_problem(self, text: str) -> None:
        """Show why the autosave is in trouble; "" hides it."""
        self.autosave_label.setText(f"⚠ {text}" if text else "")
        self.autosave_label.setToolTip(text)
        self.autosave_label.setVisible(bool(text))
        self.refresh()

    def refresh(self) -> None:
        """Redraw in the current theme's colours."""
        errors, warnings = self._counts
        colors = current_ui_colors()
        self.autosave_label.setStyleSheet(f"color: {colors.error}; padding: 0 8px;")
        if errors:
            parts = [f"{errors} error{'s' * (errors > 1)}"]
            if warnings:
                parts.append(f"{warnings} warning{'s' * (warnings > 1)}")
            text, colour = "✖ " + ", ".join(parts), colors.error
        else:
            text = f"✔ {self._total_params:,} parameters"
            if self._trainable_params != self._total_params:  # some layers are frozen
                text += f", {self._trainable_params:,} trainable"
            colour = colors.warning if warnings else colors.ok
        self.shape_label.setText(text)
        self.shape_label.setStyleSheet(f"color: {colour}; padding: 0 8px;")

    def wait_for_device(self) -> None:
        """Block until the device is shown (screenshots)."""
        self._probe.wait()
        QApplication.processEvents()

    def stop(self) -> None:
        """Let the probe finish before the window goes (a running QThread must not be
        destroyed)."""
        self._probe.wait()

    def _on_probe_found(self, label: str, description: str) -> None:
        self.device_label.setText(f"Device: {label}")
        self.device_label.setToolTip(description)
