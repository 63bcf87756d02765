"""Load weights…: choose a .pt/.pth file, see which tensors fit the network, and train
from them.

The file is read and matched off the GUI thread (VGG16's is 528 MB) against a copy of
the graph; nothing in it is executed (dlstudio.weights reads tensors only). A file that
fits nothing, or a layer that must load with other shapes, is one line in a message
box. Accepting the report sets the project's `training.weights` as one undo step, so
the project is marked modified and Ctrl+Z takes it back; the next run starts there.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import QDialog, QFileDialog

from dlstudio.compile import CompileError
from dlstudio.graph import GraphError
from dlstudio.ui.byom.background import run_busy
from dlstudio.ui.byom.weights_report import WeightsReportDialog
from dlstudio.ui.document import Document
from dlstudio.ui.training.settings_form import SettingsForm
from dlstudio.weights import (
    WeightMatch,
    WeightsError,
    describe_source,
    match_weights,
    read_state_dict,
)

if TYPE_CHECKING:
    from dlstudio.ui.main_window import MainWindow

FILE_FILTER = "PyTorch weights (*.pt *.pth *.safetensors *.bin);;All files (*)"


def stored_path(path: Path, project: Path | None) -> str:
    """How the project refers to a weights file: relative when it sits in the project's
    folder or below (the two move together), else absolute."""
    path = Path(path).resolve()
    if project is not None:
        try:
            return path.relative_to(Path(project).resolve().parent).as_posix()
        except ValueError:
            pass
    return str(path)


def status_line(source: str, match: WeightMatch) -> str:
    """What the status bar says after "Train from these weights": short enough for the
    bar at 1366×768 (the report said the rest)."""
    layers = len({key.rsplit(".", 1)[0] for key in match.loaded})
    line = f"Training starts from {source}: {len(match.loaded)} tensors in {layers} layers"
    if match.new_layers:
        line += f"; new: {', '.join(match.new_layers)}"
    return line


class StartWeightsCommand(QUndoCommand):
    """Changes where training starts from (`training.weights`) and shows it in the form."""

    def __init__(self, document: Document, form: SettingsForm, new: str, text: str) -> None:
        super().__init__(text)
        self.document, self.form, self.new = document, form, new
        self.old = str(document.project.training.get("weights") or "")

    def redo(self) -> None:
        self._set(self.new)

    def undo(self) -> None:
        self._set(self.old)

    def _set(self, value: str) -> None:
        self.document.project.training["weights"] = value
        self.form.set_start_weights(value)


class WeightsLoader(QObject):
    """The Load weights… flow for one window; `ask_*` are the questions tests answer."""

    def __init__(self, window: MainWindow, form: SettingsForm) -> None:
        super().__init__(window)
        self.window, self.form = window, form
        self.last_report: WeightsReportDialog | None = None
        form.start.load_requested.connect(lambda: self.load())
        form.start.clear_requested.connect(self.clear)

    def ask_path(self) -> Path | None:
        document = self.window.document
        folder = str(document.path.parent) if document.path else str(Path.home())
        name, _ = QFileDialog.getOpenFileName(self.window, "Load weights", folder,
                                              FILE_FILTER)
        return Path(name) if name else None

    def ask_accept(self, dialog: WeightsReportDialog) -> bool:
        return dialog.exec() == QDialog.DialogCode.Accepted

    def load(self, path: Path | None = None) -> bool:
        """Read, match, report, and on the user's yes train from `path` from now on."""
        path = path or self.ask_path()
        if path is None:
            return False
        path = Path(path)
        graph = self.window.document.graph.copy()  # the user may edit on meanwhile
        outcome = run_busy(self.window, f"Reading {path.name}…",
                           lambda: match_weights(graph, read_state_dict(path),
                                                 source=path.name),
                           (WeightsError, GraphError, CompileError))
        if outcome.error is not None:
            self.window.show_error("Could not load the weights", outcome.error)
            return False
        match: WeightMatch = outcome.value
        dialog = WeightsReportDialog(match, path.name, self.window)
        self.last_report = dialog
        accepted = self.ask_accept(dialog)
        dialog.deleteLater()
        self.last_report = None
        if not accepted:
            return False
        document = self.window.document
        value = stored_path(path, document.path)
        document.undo_stack.push(StartWeightsCommand(document, self.form, value,
                                                     f"Load weights {path.name}"))
        self.window.statusBar().showMessage(status_line(describe_source(value), match),
                                            10000)
        return True

    def clear(self) -> None:
        """Start from random initial weights again (one undo step)."""
        document = self.window.document
        if document.project.training.get("weights"):
            document.undo_stack.push(StartWeightsCommand(document, self.form, "",
                                                         "Clear the starting weights"))
