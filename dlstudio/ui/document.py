"""One open project as the UI sees it: graph, undo stack, file path and live shape report.

The canvas, the panels and the main window all hold the same Document; it turns the
graph's plain events into Qt signals and recomputes shapes once per burst of edits.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from dlstudio.graph import Graph, ShapeReport, infer_shapes
from dlstudio.graph.data_checks import DataFacts, check_against_data
from dlstudio.graph.project import Project, load_project, save_project
from dlstudio.ui.commands import GraphEditor


class Document(QObject):
    """One open project: its graph, undo stack, file path and live shape report."""

    changed = Signal()
    report_updated = Signal(object)
    selection_changed = Signal(list)
    path_changed = Signal(object)

    def __init__(self, project: Project | None = None, path: Path | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project: Project = project if project is not None else Project(graph=Graph())
        self.path: Path | None = path
        self.undo_stack = QUndoStack(self)
        self.editor = GraphEditor(self.graph, self.undo_stack, self.current_report)
        self.data_facts: DataFacts | None = None
        self._inferred: ShapeReport | None = None  # shapes of the graph as it is, no data checks
        self.report: ShapeReport = self._checked()
        self._selection: list[str] = []
        # Many model events arrive per gesture (a paste, a layout); shapes are computed once.
        self._report_timer = QTimer(self)
        self._report_timer.setSingleShot(True)
        self._report_timer.setInterval(0)
        self._report_timer.timeout.connect(self.refresh_report)
        self.graph.events.changed.connect(self._on_graph_changed)
        self.graph.events.node_removed.connect(self._on_graph_node_removed)

    @property
    def graph(self) -> Graph:
        return self.project.graph

    # ----- shapes --------------------------------------------------------------------
    def refresh_report(self) -> ShapeReport:
        """Recompute shapes now (normally done automatically after edits)."""
        self._report_timer.stop()
        self.report = self._checked()
        self.report_updated.emit(self.report)
        return self.report

    def set_data_facts(self, facts: DataFacts | None) -> None:
        """The chosen data's facts (None: no data known), checked against the graph from
        now on, so a mismatch shows on its node before Train refuses it."""
        if facts == self.data_facts:
            return
        self.data_facts = facts
        if self._inferred is None or self._report_timer.isActive():
            self.refresh_report()
        else:  # the graph is unchanged: only the data checks are new (a 10,000-node open)
            self.report = self._checked(self._inferred)
            self.report_updated.emit(self.report)

    def _checked(self, inferred: ShapeReport | None = None) -> ShapeReport:
        if inferred is None:
            inferred = self._inferred = infer_shapes(self.graph)
        report = replace(inferred, problems=list(inferred.problems))
        if not self.graph.nodes:
            report.problems.clear()  # a blank canvas is a start, not a list of mistakes
        elif self.data_facts is not None:
            report.problems.extend(check_against_data(self.graph, self.data_facts, report))
        return report

    def current_report(self) -> ShapeReport:
        """The report for the graph as it is now (recomputed only if edits are pending)."""
        return self.refresh_report() if self._report_timer.isActive() else self.report

    def _on_graph_changed(self) -> None:
        self._inferred = None
        self.changed.emit()
        self._report_timer.start()

    def _on_graph_node_removed(self, node: Any) -> None:
        if node.id in self._selection:
            self.set_selection([i for i in self._selection if i != node.id])

    # ----- selection -----------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        return list(self._selection)

    def set_selection(self, ids: list[str]) -> None:
        ids = [i for i in ids if i in self.graph.nodes]
        if ids != self._selection:
            self._selection = ids
            self.selection_changed.emit(list(ids))

    # ----- files ---------------------------------------------------------------------
    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    def save(self, path: Path | None = None) -> None:
        """Write the project atomically (to `path` or the current one) and mark it clean."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("this project has no file yet: choose where to save it")
        save_project(self.project, target)
        self.undo_stack.setClean()
        if target != self.path:
            self.path = target
            self.path_changed.emit(target)

    @classmethod
    def open(cls, path: Path) -> Document:
        """Load a project file; a malformed one raises ProjectError naming the field."""
        path = Path(path)
        return cls(load_project(path), path)

    @classmethod
    def from_template(cls, name: str) -> Document:
        """A new, unsaved project holding one of the built-in templates."""
        from dlstudio.graph.templates import build_template

        built = build_template(name)
        if isinstance(built, Graph):
            return cls(Project(graph=built, name=name))
        return cls(built)
