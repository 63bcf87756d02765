"""The question File ▸ Import… asks before it runs a .py file: which class, which input
shape, and the plain warning that importing runs the file's code.

Nothing has run when the dialog shows: the classes come from parsing the file
(`classes_in_file`), and a class's declared `input_shapes` is read from its source
with `ast.literal_eval`, which evaluates literals only.
"""

from __future__ import annotations

import ast
from html import escape
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from dlstudio.ui.theme import current_ui_colors

Shapes = list[tuple[int, ...]]
WARNING = ("Importing runs this file's Python code, with your permissions, as "
           "<code>python {name}</code> would. Import only files you trust. Nothing has "
           "run yet: the classes below were found by reading the file.")


def declared_shapes(path: Path) -> dict[str, Shapes]:
    """Class name -> the `input_shapes` its body assigns as a literal (read, not run)."""
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError):
        return {}
    found: dict[str, Shapes] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        for item in node.body:
            targets = (item.targets if isinstance(item, ast.Assign)
                       else [item.target] if isinstance(item, ast.AnnAssign) and item.value
                       else [])
            if any(isinstance(t, ast.Name) and t.id == "input_shapes" for t in targets):
                try:
                    value = ast.literal_eval(item.value)  # type: ignore[union-attr]
                    found[node.name] = [tuple(int(d) for d in shape) for shape in value]
                except (ValueError, TypeError, SyntaxError):
                    pass
    return found


def format_shapes(shapes: Shapes) -> str:
    return "; ".join(",".join(str(d) for d in shape) for shape in shapes)


def parse_shapes(text: str) -> Shapes | None:
    """"3,224,224" or "1,28,28; 10" (one per input, no batch); "" means "as the class
    declares". ValueError names the bad part."""
    if not text.strip():
        return None
    shapes = []
    for part in text.split(";"):
        try:
            shape = tuple(int(d) for d in part.replace("×", ",").split(",") if d.strip())
        except ValueError:
            raise ValueError(f"input shape {part.strip()!r}: sizes are whole numbers "
                             "separated by commas, e.g. 3,224,224") from None
        if not shape or min(shape) < 1:
            raise ValueError(f"input shape {part.strip()!r}: give positive sizes, e.g. "
                             "3,224,224")
        shapes.append(shape)
    return shapes


class PythonImportDialog(QDialog):
    """Choose the class and its input shape; accepting means "run the file"."""

    def __init__(self, path: Path, classes: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Import {path.name}")
        self.setObjectName("python_import")
        self.resize(560, 440)
        self.declared = declared_shapes(path)
        self.shapes: Shapes | None = None
        colors = current_ui_colors()
        self.warning = QLabel(f"<b>{WARNING.format(name=escape(path.name))}</b>")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(f"color: {colors.warning}; padding: 6px;")
        where = QLabel(escape(str(path)))
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        where.setWordWrap(True)
        self.classes = QListWidget()
        self.classes.addItems(classes)
        self.shape_edit = QLineEdit()
        self.shape_edit.setPlaceholderText("e.g. 3,224,224 (no batch); several inputs: "
                                           "1,28,28; 10")
        self.shape_hint = QLabel()
        self.shape_hint.setWordWrap(True)
        self.problem = QLabel()
        self.problem.setStyleSheet(f"color: {colors.error};")
        self.problem.setWordWrap(True)
        form = QFormLayout()
        form.addRow("&Class", self.classes)
        form.addRow("Input &shape", self.shape_edit)
        form.addRow("", self.shape_hint)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Run and import")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.warning)
        layout.addWidget(where)
        layout.addLayout(form, 1)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.classes.currentTextChanged.connect(self._on_classes_current_text_changed)
        self.classes.setCurrentRow(0)
        self.classes.setFocus()

    def class_name(self) -> str:
        item = self.classes.currentItem()
        return item.text() if item is not None else ""

    def accept(self) -> None:
        """Only with a class chosen and a shape that reads (else say which part)."""
        if not self.class_name():
            self.problem.setText("Choose the class to import.")
            return
        try:
            self.shapes = parse_shapes(self.shape_edit.text())
        except ValueError as error:
            self.problem.setText(str(error))
            self.shape_edit.setFocus()
            return
        super().accept()

    def _on_classes_current_text_changed(self, name: str) -> None:
        declared = self.declared.get(name)
        self.shape_edit.setText(format_shapes(declared) if declared else "")
        self.shape_hint.setText(
            f"{name} declares input_shapes = {format_shapes(declared)}" if declared else
            f"{name} does not declare input_shapes: give the shape of one sample, without "
            "the batch")
        self.problem.clear()
