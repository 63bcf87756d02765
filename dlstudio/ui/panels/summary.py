"""The model summary panel: layers, output shapes, parameter counts and totals, live.

It shows `dlstudio.graph.summary.summarize`, the same numbers `dlstudio summary` prints,
and refreshes whenever the document's shape report does. Clicking a row selects the layer.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dlstudio.graph import GraphError, ShapeReport, format_shape
from dlstudio.graph.summary import ModelSummary, summarize
from dlstudio.ui.document import Document
from dlstudio.ui.theme import current_ui_colors

COLUMNS = ("Layer", "Type", "Output shape", "Params")


class SummaryPanel(QWidget):
    """A table of the model's layers with totals under it."""

    node_activated = Signal(str)  # node id of a clicked row
    summary_changed = Signal(object)  # the new ModelSummary

    def __init__(self, document: Document | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document: Document | None = None
        self.summary = ModelSummary()
        self._shapes_shown: dict[str, Any] | None = None  # the table shows these
        self.table = QTreeWidget(self)
        self.table.setColumnCount(len(COLUMNS))
        self.table.setHeaderLabels(list(COLUMNS))
        self.table.setRootIsDecorated(False)
        self.table.setUniformRowHeights(True)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.header()
        header.setStretchLastSection(False)
        # The layer's name is what a reader looks for: it keeps its width, and the Type
        # column (short, predictable words) gives way in a narrow dock.
        for column in range(len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.headerItem().setTextAlignment(3, Qt.AlignmentFlag.AlignRight)
        self.table.itemClicked.connect(self._on_table_item_clicked)
        self.totals = QLabel(self)
        self.totals.setWordWrap(True)
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.totals)
        self.set_document(document)

    def set_document(self, document: Document | None) -> None:
        if self.document is not None:
            self.document.report_updated.disconnect(self._on_document_report_updated)
        self.document = document
        if document is not None:
            document.report_updated.connect(self._on_document_report_updated)
        self.refresh()

    def _on_document_report_updated(self, report: ShapeReport) -> None:
        if report.shapes is self._shapes_shown:  # the same graph, checked against other data
            self.summary.problems = list(report.problems)
            return
        self.refresh()

    def refresh(self) -> None:
        """Recompute the summary from the document's graph and show it. The document's
        report gives the shapes (inferring them again took 0.4 s at 10,000 nodes); one
        that edits have made stale is replaced at once, and report_updated calls here."""
        document = self.document
        self.summary = summarize(document.graph, document.report) if document \
            else ModelSummary()
        self._shapes_shown = document.report.shapes if document else None
        muted = QColor(current_ui_colors().muted)
        self.table.clear()
        items = []
        for row in self.summary.layers:
            count = "?" if row.params is None else f"{row.params:,}"
            item = QTreeWidgetItem([row.name, row.type, format_shape(row.output_shape), count])
            item.setTextAlignment(3, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            tip = f"{row.name} ({row.type})"
            if row.params and not row.trainable:
                # Greyed and slanted rather than a word in the cell: a "(frozen)" suffix
                # widened the Params column until the Layer names were cut to "b…".
                tip += ": frozen, its weights do not change in training"
                italic = item.font(0)
                italic.setItalic(True)
                for column in range(len(COLUMNS)):
                    item.setForeground(column, muted)
                    item.setFont(column, italic)
            for column in range(len(COLUMNS)):
                item.setToolTip(column, tip)
            items.append(item)
        self.table.addTopLevelItems(items)
        summary = self.summary
        self.totals.setText(
            f"<b>Total params: {summary.total_params:,}</b><br>"
            f"Trainable: {summary.trainable_params:,} &nbsp; "
            f"Non-trainable (greyed): {summary.non_trainable_params:,}<br>"
            f"Input {format_shape(summary.input_shape)} → "
            f"Output {format_shape(summary.output_shape)}")
        self.summary_changed.emit(summary)

    def row_texts(self) -> list[tuple[str, str, str, str]]:
        """What the table shows, row by row (for tests and copy/paste)."""
        rows = []
        for index in range(self.table.topLevelItemCount()):
            item = self.table.topLevelItem(index)
            rows.append(tuple(item.text(c) for c in range(len(COLUMNS))))
        return rows

    def _on_table_item_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        if self.document is None:
            return
        try:
            node = self.document.graph.node_by_name(item.text(0))
        except GraphError:
            return
        self.document.set_selection([node.id])
        self.node_activated.emit(node.id)
