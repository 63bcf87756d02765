"""File ▸ Import…: a PyTorch class in a .py file, or an ONNX file, becomes a project.

A .py file is run only after the user has read the warning and chosen a class (the
dialog lists the classes by reading the file); an ONNX file runs nothing. The import
(tracing, checking outputs) and the writing run off the GUI thread behind a busy
dialog. The project (and NAME.pt beside it when the model has weights) is written
where the user says, then opened as File ▸ Open would: unsaved changes are asked
about first. Any failure is one line in a message box and the open project stays.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog, QFileDialog

from dlstudio.importers import (
    ImportedModel,
    ModelImportError,
    classes_in_file,
    import_python,
    write_imported,
)
from dlstudio.ui.byom.background import run_busy
from dlstudio.ui.byom.import_dialog import PythonImportDialog
from dlstudio.ui.files import EXTENSION, FILE_FILTER

if TYPE_CHECKING:
    from collections.abc import Callable

    from dlstudio.ui.main_window import MainWindow

SOURCE_FILTER = ("Models (*.py *.onnx);;PyTorch source, runs the file (*.py);;"
                 "ONNX, runs nothing (*.onnx);;All files (*)")
TITLE = "Could not import the model"


class ModelImporter(QObject):
    """The File ▸ Import… flow for one window; `ask_*` are the questions tests answer."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    # ----- questions -----------------------------------------------------------------
    def ask_source_path(self) -> Path | None:
        document = self.window.document
        folder = document.path.parent if document.path else Path.home()
        name, _ = QFileDialog.getOpenFileName(self.window, "Import a model", str(folder),
                                              SOURCE_FILTER)
        return Path(name) if name else None

    def ask_python_choice(self, dialog: PythonImportDialog) -> bool:
        return dialog.exec() == QDialog.DialogCode.Accepted

    def ask_project_path(self, default: Path) -> Path | None:
        name, _ = QFileDialog.getSaveFileName(self.window, "Save the imported project as",
                                              str(default), FILE_FILTER)
        return Path(name) if name else None

    # ----- the flow ------------------------------------------------------------------
    def import_model(self, path: Path | None = None) -> bool:
        """Import `path` (asked for when None); True when its project was opened."""
        path = path or self.ask_source_path()
        if path is None:
            return False
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".py":
            step = self._python_step(path)
            if step is None:  # declined, or the file was already refused
                return False
        elif suffix == ".onnx":
            step = self._onnx_step(path)
        else:
            return self._fail(f"{path.name}: File ▸ Import reads a PyTorch .py file or an "
                              ".onnx file")
        imported = run_busy(self.window, f"Importing {path.name}…", step, (ModelImportError,))
        if imported.error is not None:
            return self._fail(imported.error)
        model: ImportedModel = imported.value
        target = self.ask_project_path(path.with_name(path.stem + EXTENSION))
        if target is None:
            return False
        if target.suffix.lower() != EXTENSION:
            target = target.with_name(target.name + EXTENSION)
        written = run_busy(self.window, f"Writing {target.name}…",
                           lambda: write_imported(model, target), (ModelImportError,))
        if written.error is not None:
            return self._fail(written.error)
        project, checkpoint = written.value
        extra = f" and its weights in {checkpoint.name}" if checkpoint else ""
        message = f"Imported {model.source} as {project.name}{extra}"
        if not self.window.files.open(project):
            self.window.statusBar().showMessage(f"{message}; open it with File ▸ Open", 15000)
            return False
        notes = "; ".join(model.notes)
        self.window.statusBar().showMessage(message + (f". Note: {notes}" if notes else ""),
                                            15000)
        return True

    def _python_step(self, path: Path) -> Callable[[], ImportedModel] | None:
        """The import of the class the user picks; None when they decline or the file
        cannot be read (said in a message box)."""
        try:
            classes = classes_in_file(path)
        except ModelImportError as error:
            self._fail(str(error))
            return None
        if not classes:
            self._fail(f"{path.name} defines no nn.Module class to import")
            return None
        dialog = PythonImportDialog(path, classes, self.window)
        accepted = self.ask_python_choice(dialog)
        class_name, shapes = dialog.class_name(), dialog.shapes
        dialog.deleteLater()
        if not accepted:
            return None
        return lambda: import_python(path, class_name, shapes)

    def _onnx_step(self, path: Path) -> Callable[[], ImportedModel]:
        from dlstudio.importers import import_onnx  # reads the graph; runs nothing

        return lambda: import_onnx(path)

    def _fail(self, message: str) -> bool:
        self.window.show_error(TITLE, message)
        return False
