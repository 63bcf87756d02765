"""The model summary panel: layers, output shapes, parameter counts, multiply-adds and
totals, live.

It shows `dlstudio.graph.summary.summarize`, the same numbers `dlstudio summary` prints,
and refreshes whenever the document's shape report does. Clicking a row selects the layer.
The dock is about 300 pixels wide at 1366x768, so a row's activation memory and exact
multiply-adds are in its tooltip, and their totals under the table.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QResizeEvent
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
from dlstudio.graph.cost import format_quantity, format_size
from dlstudio.graph.summary import LayerRow, ModelSummary, summarize
from dlstudio.ui.document import Document
from dlstudio.ui.theme import current_ui_colors

COLUMNS = ("Layer", "Type", "Output shape", "Params", "MACs")
MACS = 4  # the column
TYPE_ROOM = 70  # pixels the Type column needs to say anything useful
MACS_TIP = "Multiply-adds of one forward pass of one sample (docs/insight.md)"
TOTALS_TIP = ("MACs: multiply-adds of one forward pass of one sample. Activations: the "
              "layers' outputs for one sample, float32 (Flatten, Reshape and other views "
              "share their input's). Training needs this per sample in the batch, about "
              "twice over.")


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
        for column in (3, MACS):
            self.table.headerItem().setTextAlignment(column, Qt.AlignmentFlag.AlignRight)
        self.table.headerItem().setToolTip(MACS, MACS_TIP)
        self.table.itemClicked.connect(self._on_table_item_clicked)
        self.totals = QLabel(self)
        self.totals.setWordWrap(True)
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.totals.setToolTip(TOTALS_TIP)
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
            macs = "?" if row.macs is None else format_quantity(row.macs)
            item = QTreeWidgetItem([row.name, row.type, format_shape(row.output_shape), count,
                                    macs])
            for column in (3, MACS):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight
                                      | Qt.AlignmentFlag.AlignVCenter)
            tip = f"{row.name} ({row.type}){_cost_words(row)}"
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
            f"MACs: {format_quantity(summary.total_macs)} &nbsp; "
            f"Activations: {format_size(summary.activation_bytes)} (one sample)<br>"
            f"Input {format_shape(summary.input_shape)} → "
            f"Output {format_shape(summary.output_shape)}")
        self._fit_columns()
        self.summary_changed.emit(summary)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """In a narrow dock the Type column goes (each row's tooltip, and its card, say
        the type), and long layer names are cut at the end as the canvas cuts them, so
        shapes, params and MACs keep their whole text without scrolling sideways."""
        table = self.table
        needed = sum(table.sizeHintForColumn(c) + 12 for c in (0, 2, 3, MACS))
        needed += TYPE_ROOM + table.verticalScrollBar().sizeHint().width() + 16
        narrow = self.width() < needed
        if narrow != table.isColumnHidden(1):
            table.setColumnHidden(1, narrow)
            mode = QHeaderView.ResizeMode
            table.header().setSectionResizeMode(
                0, mode.Stretch if narrow else mode.ResizeToContents)

    def row_texts(self) -> list[tuple[str, str, str, str]]:
        """Layer, type, output shape and params as the table shows them, row by row (for
        tests and copy/paste); `mac_texts` has the MACs column."""
        rows = []
        for index in range(self.table.topLevelItemCount()):
            item = self.table.topLevelItem(index)
            rows.append(tuple(item.text(c) for c in range(MACS)))
        return rows

    def mac_texts(self) -> dict[str, str]:
        """The MACs column by layer name."""
        items = (self.table.topLevelItem(i) for i in range(self.table.topLevelItemCount()))
        return {item.text(0): item.text(MACS) for item in items}

    def _on_table_item_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        if self.document is None:
            return
        try:
            node = self.document.graph.node_by_name(item.text(0))
        except GraphError:
            return
        self.document.set_selection([node.id])
        self.node_activated.emit(node.id)


def _cost_words(row: LayerRow) -> str:
    """': 195 k MACs (194,688), output 86.5 kB for one sample' (nothing while unknown)."""
    if row.macs is None or row.activation_bytes is None:
        return ""
    memory = ("a view of its input (no memory of its own)" if not row.activation_bytes
              else f"output {format_size(row.activation_bytes)}")
    return (f"\n{format_quantity(row.macs)} MACs ({row.macs:,} multiply-adds), {memory}, "
            "for one sample")
