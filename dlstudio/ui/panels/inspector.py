"""The inspector: the selected layer's name, help, shapes and parameters, editable.

Widgets come from the catalogue entry of the layer (one ParamField per ParamSpec). Every
change goes through the document's GraphEditor, so it is one undo step and the canvas,
the summary and the shapes follow from the model's events like any other edit.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from dlstudio.graph import GraphError, Node, format_shape
from dlstudio.graph.names import check_name
from dlstudio.ui.document import Document
from dlstudio.ui.panels.param_fields import ParamField
from dlstudio.ui.theme import current_ui_colors

EMPTY_TEXT = "Select a layer on the canvas to see and edit its parameters."


class InspectorPanel(QWidget):
    """Edits the one selected node; shows a hint when none or several are selected."""

    def __init__(self, document: Document | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document: Document | None = None
        self.node_id: str | None = None
        self.fields: dict[str, ParamField] = {}
        self._stack = QStackedWidget(self)
        self.placeholder = QLabel(EMPTY_TEXT, self)
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.placeholder.setContentsMargins(8, 8, 8, 8)
        self._scroll = QScrollArea(self)
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self._stack.addWidget(self.placeholder)
        self._stack.addWidget(self._scroll)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._stack)
        self.name_edit: QLineEdit | None = None
        self._shown_name = ""
        self.name_error: QLabel | None = None
        self.shapes_label: QLabel | None = None
        self.problems_label: QLabel | None = None
        self.set_document(document)

    # ----- document ------------------------------------------------------------------
    def set_document(self, document: Document | None) -> None:
        if self.document is not None:
            self.document.selection_changed.disconnect(self._on_document_selection_changed)
            self.document.changed.disconnect(self._on_document_changed)
            self.document.report_updated.disconnect(self._on_document_report_updated)
        self.document = document
        if document is not None:
            document.selection_changed.connect(self._on_document_selection_changed)
            document.changed.connect(self._on_document_changed)
            document.report_updated.connect(self._on_document_report_updated)
        self._show_selection(document.selected_ids() if document else [])

    def _on_document_selection_changed(self, ids: list[str]) -> None:
        self._show_selection(ids)

    def _on_document_changed(self) -> None:
        node = self._node()
        if node is None:
            self._show_selection(self.document.selected_ids() if self.document else [])
            return
        for key, field in self.fields.items():
            field.set_value(node.params[key])
        if self.name_edit is not None and node.name != self._shown_name:
            self._shown_name = node.name  # renamed elsewhere (undo, canvas): show it
            self.name_edit.setText(node.name)
            self._set_name_error(None)

    def _on_document_report_updated(self, report: object) -> None:
        self._update_shapes()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        # Message colours belong to the theme: rebuild the form in the new one.
        super().changeEvent(event)
        node = self._node()
        if event.type() == QEvent.Type.PaletteChange and node is not None:
            self._build(node)

    # ----- building ------------------------------------------------------------------
    def _node(self) -> Node | None:
        if self.document is None or self.node_id is None:
            return None
        return self.document.graph.nodes.get(self.node_id)

    def _show_selection(self, ids: list[str]) -> None:
        graph = self.document.graph if self.document else None
        if graph is None or len(ids) != 1 or ids[0] not in graph.nodes:
            self.node_id = None
            self.fields = {}
            self.name_edit = self.name_error = self.shapes_label = self.problems_label = None
            self.placeholder.setText(f"{len(ids)} layers selected. Select one to edit it."
                                     if len(ids) > 1 else EMPTY_TEXT)
            self._stack.setCurrentWidget(self.placeholder)
            return
        if ids[0] != self.node_id:
            self._build(graph.nodes[ids[0]])
        self._stack.setCurrentWidget(self._scroll)

    def _build(self, node: Node) -> None:
        self.node_id = node.id
        spec = node.spec
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(8, 8, 8, 8)
        title = QLabel(f"<b>{spec.type}</b> &nbsp;<span style='color:{current_ui_colors().muted}'>"
                       f"{spec.category}</span>", content)
        help_label = QLabel(spec.help, content)
        help_label.setWordWrap(True)
        self.shapes_label = QLabel(content)
        self.shapes_label.setWordWrap(True)
        self.shapes_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problems_label = QLabel(content)
        self.problems_label.setWordWrap(True)
        for label in (title, help_label, self.shapes_label, self.problems_label):
            layout.addWidget(label)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self._shown_name = node.name
        self.name_edit = QLineEdit(node.name, content)
        self.name_edit.setObjectName("node_name")
        self.name_edit.setToolTip("The layer's name: letters, digits and _, unique in the "
                                  "graph. It becomes the attribute name in exported code.")
        self.name_edit.textEdited.connect(self._on_name_text_edited)
        self.name_edit.editingFinished.connect(self._on_name_editing_finished)
        self.name_error = QLabel(content)
        self.name_error.setWordWrap(True)
        self.name_error.hide()
        name_box = QVBoxLayout()
        name_box.setSpacing(2)
        name_box.addWidget(self.name_edit)
        name_box.addWidget(self.name_error)
        form.addRow("Name", name_box)
        self.fields = {}
        for param in spec.params:
            field = ParamField(param, content)
            field.set_value(node.params[param.name])
            field.committed.connect(self._on_field_committed)
            label = QLabel(param.name.replace("_", " "), content)
            label.setToolTip(field.input.toolTip())
            label.setBuddy(field.input)
            form.addRow(label, field)
            self.fields[param.name] = field
        layout.addLayout(form)
        layout.addStretch(1)
        self._scroll.setWidget(content)  # deletes the previous node's widgets
        self._update_shapes()

    def _update_shapes(self) -> None:
        node = self._node()
        if node is None or self.document is None or self.shapes_label is None:
            return
        report = self.document.report
        inputs = report.input_shapes.get(node.id)
        parts = []
        if inputs:
            parts.append("In " + ", ".join(format_shape(s) for s in inputs))
        if node.spec.has_output:
            parts.append("Out " + format_shape(report.shapes.get(node.id)))
        if inputs is not None:
            parts.append(f"{node.spec.count_params(node.params, inputs):,} parameters")
        self.shapes_label.setText("  ·  ".join(parts))
        problems = report.problems_of(node.id)
        colors = current_ui_colors()
        self.problems_label.setText("<br>".join(
            f"<span style='color:{colors.error if p.severity == 'error' else colors.warning}'>"
            f"{_escape(p.message)}</span>" for p in problems))
        self.problems_label.setVisible(bool(problems))

    # ----- edits ---------------------------------------------------------------------
    def _on_field_committed(self, key: str, value: object) -> None:
        node = self._node()
        if node is None or self.document is None:
            return
        field = self.fields[key]
        try:
            self.document.editor.set_param(node.id, key, value)
        except GraphError as error:
            field.set_value(node.params[key], force=True)
            field.show_error(str(error))
        else:
            field.show_error(None)

    def _name_problem(self, text: str) -> str | None:
        node = self._node()
        if node is None or text == node.name:
            return None
        try:
            check_name(text)
        except GraphError as error:
            return str(error)
        if any(other.name == text for other in self.document.graph.nodes.values()):
            return f'the name "{text}" is already used by another node'
        return None

    def _on_name_text_edited(self, text: str) -> None:
        self._set_name_error(self._name_problem(text))

    def _on_name_editing_finished(self) -> None:
        node = self._node()
        if node is None or self.name_edit is None or self.document is None:
            return
        text = self.name_edit.text()
        problem = self._name_problem(text)
        if problem or text == node.name:
            self._set_name_error(problem)
            return
        try:
            self.document.editor.rename(node.id, text)
        except GraphError as error:
            self._set_name_error(str(error))

    def _set_name_error(self, message: str | None) -> None:
        if self.name_error is None:
            return
        self.name_error.setText(message or "")
        self.name_error.setStyleSheet(f"color: {current_ui_colors().error};")
        self.name_error.setVisible(bool(message))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
