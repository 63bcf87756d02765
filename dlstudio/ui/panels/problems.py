"""The problems list: every error and warning of the shape report, with its node, and
above it the training health warnings of the last run (dlstudio/ui/health/lines.py),
each with its fixes as buttons.

Clicking a problem selects the node it belongs to (the window also brings it into view),
so a learner goes from the message straight to the layer to fix.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from dlstudio.graph import Problem, ShapeReport
from dlstudio.ui.document import Document
from dlstudio.ui.health.lines import HealthLines, HealthRow

NODE_ROLE = Qt.ItemDataRole.UserRole
NO_PROBLEMS = "No problems: every layer has a shape."
BLANK = "Nothing to check yet: start with an Input from the Layers panel."


class ProblemsPanel(QWidget):
    """A list of the document's problems, errors first."""

    node_activated = Signal(str)  # node id of a clicked problem
    counts_changed = Signal(int, int)  # errors, warnings (training health ones included)
    fix_requested = Signal(object, str)  # a health row's key, the fix clicked

    def __init__(self, document: Document | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document: Document | None = None
        self.problems: list[Problem] = []
        self.list = QListWidget(self)
        self.list.setWordWrap(True)
        self.list.setUniformItemSizes(False)
        self.list.itemClicked.connect(self._on_list_item_clicked)
        self.list.itemActivated.connect(self._on_list_item_clicked)
        self.health = HealthLines()
        self.health.node_activated.connect(self._on_health_node_activated)
        self.health.fix_requested.connect(self.fix_requested)
        self.health_area = QScrollArea(self)
        self.health_area.setWidget(self.health)
        self.health_area.setWidgetResizable(True)
        self.health_area.setFrameShape(QFrame.Shape.NoFrame)
        self.health_area.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.health_area, 1)
        layout.addWidget(self.list, 1)
        self.set_document(document)

    def set_document(self, document: Document | None) -> None:
        if self.document is not None:
            self.document.report_updated.disconnect(self._on_document_report_updated)
        self.document = document
        if document is not None:
            document.report_updated.connect(self._on_document_report_updated)
            self.show_report(document.report)
        else:
            self.show_report(ShapeReport())

    def _on_document_report_updated(self, report: ShapeReport) -> None:
        self.show_report(report)

    def show_report(self, report: ShapeReport) -> None:
        self.problems = sorted(report.problems, key=lambda p: p.severity != "error")
        style = self.style()
        icons = {"error": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical),
                 "warning": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)}
        self.list.clear()
        for problem in self.problems:
            item = QListWidgetItem(icons.get(problem.severity, icons["warning"]), problem.message)
            item.setData(NODE_ROLE, problem.node_id)
            item.setToolTip(f"{problem.severity.capitalize()}: {problem.message}"
                            + ("\nClick to select the layer." if problem.node_id else ""))
            self.list.addItem(item)
        if not self.problems:
            blank = self.document is None or not self.document.graph.nodes
            placeholder = QListWidgetItem(BLANK if blank else NO_PROBLEMS)
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
            self.list.addItem(placeholder)
        self._lay_out()

    def show_health(self, rows: list[HealthRow]) -> None:
        """The training health lines (the latest epoch's signs that still apply)."""
        self.health.show_rows(rows)
        self._lay_out()

    def _lay_out(self) -> None:
        """Health lines above the shape problems; the list's "no problems" line is left
        out while health lines fill the panel. Counts for the title and status bar."""
        health = len(self.health.lines)
        self.health_area.setVisible(bool(health))
        self.list.setVisible(not health or bool(self.problems))
        errors = sum(p.severity == "error" for p in self.problems)
        self.counts_changed.emit(errors, len(self.problems) - errors + health)

    def _on_health_node_activated(self, node_id: str) -> None:
        if self.document is not None and node_id in self.document.graph.nodes:
            self.document.set_selection([node_id])
            self.node_activated.emit(node_id)

    def _on_list_item_clicked(self, item: QListWidgetItem) -> None:
        node_id = item.data(NODE_ROLE)
        if self.document is None or not node_id or node_id not in self.document.graph.nodes:
            return
        self.document.set_selection([node_id])
        self.node_activated.emit(node_id)
