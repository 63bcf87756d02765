"""Training for one open Document: its settings and data choice, its runs folder, the
Train / Pause / Stop flow, and what a finished run means for later edits.

The settings and data choice live in the project (`training`, `dataset`), so they are
saved with it; a template starts from its training defaults. Runs belong to the project:
`name.runs/` beside `name.dlstudio` (dlstudio/runs.py). The first save moves the runs of
an unsaved project there; Save As copies them to the new name's folder; a run still
training then follows when it ends. On opening a project, the newest kept run of the
graph as it is gives its weights to Try it. After a run, the weights belong to the graph
as it was trained; an edit that changes the network (not just its layout) says they no
longer fit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from dlstudio.data import DataBundle, DataError
from dlstudio.graph import Graph
from dlstudio.graph.summary import summarize
from dlstudio.runs import Run, RunError, RunStore
from dlstudio.train import TrainSettings, TrainSettingsError, defaults_for_template
from dlstudio.train.devices import describe_device, resolve_device
from dlstudio.train.faults import TrainingError
from dlstudio.ui.byom.pretrained_fetch import ensure_pretrained
from dlstudio.ui.document import Document
from dlstudio.ui.training.controller import TrainingController
from dlstudio.ui.training.controls import STATE_WORDS
from dlstudio.ui.training.dashboard import Dashboard
from dlstudio.ui.training.dashboard.runs import test_text
from dlstudio.ui.training.panel import TrainingPanel
from dlstudio.ui.training.worker import Delivery

STALE_TEXT = ("The graph changed after training: the trained weights no longer fit it. "
              "Train again to get weights for this version.")
WEIGHTED_STATUSES = ("finished", "stopped")  # runs whose last checkpoint may be used


class RunInputsError(Exception):
    """Why a run (or the learning-rate finder) cannot start: one line for the user."""


def network_signature(graph: Graph) -> str:
    """The graph without node positions: what trained weights depend on."""
    return graph_signature(graph.to_dict())


def graph_signature(data: dict[str, Any]) -> str:
    """`network_signature` of a graph as saved (Graph.to_dict(), a run's settings)."""
    nodes = [{k: v for k, v in node.items() if k != "position"} if isinstance(node, dict)
             else node for node in data.get("nodes", [])]
    # In any order: an undone delete or insert adds nodes and wires back last, and the
    # weights fit the graph it gives back (the stale-weights notice stayed up after Ctrl+Z).
    return json.dumps({**data, "nodes": sorted(nodes, key=_by_id),
                       "edges": sorted(data.get("edges", []), key=_by_id)},
                      sort_keys=True, default=str)


def _by_id(item: Any) -> str:
    return str(item.get("id", "")) if isinstance(item, dict) else str(item)


def settings_for(document: Document) -> tuple[TrainSettings, str | None]:
    """The project's settings over its template's defaults; a problem in the saved
    settings falls back to the defaults and is described."""
    project = document.project
    try:
        base = defaults_for_template(project.name)
    except KeyError:
        base = TrainSettings()
    try:
        settings = TrainSettings.from_dict({**base.to_dict(), **project.training})
    except TrainSettingsError as error:
        return base, f"The project's training settings were not used: {error}"
    spec = project.dataset.get("spec")
    if isinstance(spec, str) and spec:
        settings = TrainSettings.from_dict({**settings.to_dict(), "data": spec})
    return settings, None


class TrainingSession(QObject):
    """Wires a TrainingPanel and a Dashboard to a Document and a TrainingController."""

    locked_changed = Signal(bool)  # the graph is being trained
    weights_stale = Signal(str)    # STALE_TEXT after an edit; "" when it fits again
    status = Signal(str)           # one line for the status bar
    message = Signal(str)          # a passing message for the status bar
    weights_ready = Signal(object)  # Path of the last run's checkpoint; None for none
    runs_changed = Signal()        # a run started or ended, runs moved, another project

    def __init__(self, document: Document, panel: TrainingPanel, dashboard: Dashboard,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel, self.dashboard = panel, dashboard
        self.controller = TrainingController(self)
        self.document: Document | None = None
        self.store: RunStore | None = None
        self._saved = False  # the store is a saved project's (not the user data folder)
        # Where the running run goes when it ends (Save As meanwhile): (store, move?)
        self._follow: list[tuple[RunStore, bool]] = []
        self._trained: str | None = None  # signature of the graph the weights belong to
        self._checkpoint: Path | None = None  # the weights last given to weights_ready
        self._stale = False
        self._device = ""
        self._locked = False
        c = self.controller
        c.state_changed.connect(self._on_controller_state_changed)
        c.updated.connect(self._on_controller_updated)
        c.refused.connect(self._on_controller_refused)
        c.failed.connect(self._on_controller_failed)
        c.run_ended.connect(self._on_controller_run_ended)
        controls = panel.controls
        controls.train_requested.connect(self.train)
        controls.pause_requested.connect(c.pause)
        controls.resume_requested.connect(c.resume)
        controls.stop_requested.connect(c.stop)
        panel.form.changed.connect(self._store_choices)
        panel.data.spec_changed.connect(self._store_choices)
        panel.data.message.connect(self.message)
        dashboard.message.connect(self.message)
        self.set_document(document)

    # ----- the document --------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        """Follow another project: a run of the old one is stopped first; the newest
        kept run of the new one's graph gives its weights (`weights_ready`)."""
        self.controller.shutdown()
        self._follow = []
        if self.document is not None:
            for signal, slot in self._document_links(self.document):
                signal.disconnect(slot)
        self.document = document
        for signal, slot in self._document_links(document):
            signal.connect(slot)
        settings, problem = settings_for(document)
        self.panel.form.set_settings(settings)
        self.panel.data.set_spec(settings.data)
        self.panel.show_notice(problem or "")
        self._on_document_report_updated(document.report)
        self._trained, self._stale = None, False
        self.weights_stale.emit("")
        self.store = RunStore.for_project(document.path, document.project.name)
        self._saved = document.path is not None
        self.dashboard.clear()
        self.dashboard.set_store(self.store)
        checkpoint = self.latest_checkpoint()
        if checkpoint is not None:
            self._trained = network_signature(document.graph)
        self._give_weights(checkpoint)
        self.runs_changed.emit()

    def latest_checkpoint(self) -> Path | None:
        """The weights of the project's newest finished (or stopped) run whose network
        is the graph as it is now; None when no kept run fits."""
        if self.store is None or self.document is None:
            return None
        wanted = network_signature(self.document.graph)
        for run in reversed(self.store.runs()):
            checkpoint = run.checkpoint
            if (run.status in WEIGHTED_STATUSES and checkpoint is not None
                    and checkpoint.is_file() and graph_signature(run.graph) == wanted):
                return checkpoint
        return None

    def _document_links(self, document: Document) -> list[tuple[Any, Any]]:
        return [(document.changed, self._on_document_changed),
                (document.report_updated, self._on_document_report_updated),
                (document.path_changed, self._on_document_path_changed)]

    def _on_document_report_updated(self, report: object) -> None:
        assert self.document is not None
        inputs = self.document.graph.nodes_of_type("Input")
        if len(inputs) == 1:
            params = inputs[0].params
            self.panel.data.set_graph_input(tuple(params["shape"]), params["kind"])
        else:
            self.panel.data.set_graph_input(None, None)

    def _on_document_path_changed(self, path: object) -> None:
        """Saved somewhere new: the runs follow. An unsaved project's move (first save);
        a saved one's are copied (Save As: the old project keeps its own). A run still
        training keeps writing where it is and follows when it ends."""
        assert self.document is not None
        old, move = self.store, not self._saved
        self.store = RunStore.for_project(self.document.path, self.document.project.name)
        self._saved = self.document.path is not None
        if old is not None and old.root != self.store.root:
            running = self.controller.run if self.controller.active else None
            if running is not None:
                self._follow.append((self.store, move))
            try:
                self.store.adopt(old, move=move,
                                 skip=[running.id] if running is not None else [])
            except RunError as error:
                self._report_runs_problem(error)
            self._follow_weights(old)
        self.dashboard.set_store(self.store)
        self.runs_changed.emit()

    def _follow_weights(self, old: RunStore) -> None:
        """Try it and Export take the copy of their weights that is now the project's."""
        path, store = self._checkpoint, self.store
        if path is None or store is None:
            return
        for root in [old.root] + ([old.legacy.root] if old.legacy is not None else []):
            if path.is_relative_to(root):
                followed = store.root / path.relative_to(root)
                if followed.is_file():
                    self._give_weights(followed)
                return

    def _give_weights(self, checkpoint: Path | None) -> None:
        self._checkpoint = checkpoint
        self.weights_ready.emit(checkpoint)

    def _report_runs_problem(self, error: RunError) -> None:
        """The project is saved all the same; the runs left behind stay where they are."""
        text = f"The project was saved, but its runs did not all follow it: {error}"
        self._on_controller_failed(text)
        self.message.emit(text)

    def _on_document_changed(self) -> None:
        if self._trained is None or self.document is None:
            return
        stale = network_signature(self.document.graph) != self._trained
        if stale != self._stale:
            self._stale = stale
            self.weights_stale.emit(STALE_TEXT if stale else "")
            self.panel.show_notice(STALE_TEXT if stale else "")

    def _store_choices(self, *_: object) -> None:
        """Keep the project's settings and data choice in step with the panel, so saving
        the project keeps them (nothing is stored while a field is invalid)."""
        if self.document is None:
            return
        spec = self.panel.data.spec()
        try:
            settings = self.panel.form.settings(data=spec)
        except TrainSettingsError:
            return
        self.document.project.training = {k: v for k, v in settings.to_dict().items()
                                          if k != "data"}
        self.document.project.dataset = {"spec": spec} if spec else {}

    # ----- training ------------------------------------------------------------------
    def train(self) -> bool:
        """Check and start a run of the document's graph; False (with a message in the
        panel) when it cannot start."""
        if self.document is None or self.controller.active:
            return False
        panel = self.panel
        panel.show_notice("")
        try:
            settings, bundle = self.run_inputs()
        except RunInputsError as error:
            return self._refuse(f"Training did not start: {error}")
        self._device = describe_device(resolve_device(settings.device))
        self._store_choices()
        controller = self.controller
        folder = self.document.path.parent if self.document.path is not None else None
        if not controller.start(self.document.graph, bundle, settings, self.store,
                                self.document.project.name, base_dir=folder):
            return False
        run = controller.run
        self.runs_changed.emit()
        panel.controls.begin(settings.epochs)
        title = f"{self.document.project.name} on {bundle.info.name}"
        weighted = [row.name for row in summarize(self.document.graph).layers
                    if row.params and row.type not in ("Input", "Output")]
        self.dashboard.begin(bundle.info, run, title + (f" · run {run.id}" if run else ""),
                             settings.epochs, weighted)
        panel.append_log(f"Training {title} on {self._device}")
        return True

    def run_inputs(self) -> tuple[TrainSettings, DataBundle]:
        """The settings and the loaded data a run starts with (the learning-rate finder
        uses the same); RunInputsError (one line) names what is wrong, and the panel
        shows the tab that has the problem."""
        panel = self.panel
        try:
            settings = panel.form.settings(data=panel.data.spec())
        except TrainSettingsError as error:
            panel.tabs.setCurrentIndex(1)
            raise RunInputsError(str(error)) from None
        problem = ensure_pretrained(panel, settings.weights)  # downloaded once, shown
        if problem:
            raise RunInputsError(problem)
        try:
            bundle = panel.data.load()
            resolve_device(settings.device)
        except DataError as error:
            panel.tabs.setCurrentIndex(0)
            raise RunInputsError(str(error)) from None
        except TrainingError as error:
            raise RunInputsError(str(error)) from None
        return settings, bundle

    def _refuse(self, message: str) -> bool:
        self._on_controller_refused(message)
        return False

    def shutdown(self) -> bool:
        """Stop a run and wait for its thread (≤ 2 s), and any download."""
        self.panel.data.shutdown()
        return self.controller.shutdown()

    # ----- controller events ---------------------------------------------------------
    def _on_controller_state_changed(self, state: str) -> None:
        self.panel.controls.set_state(state)
        if self.controller.active != self._locked:
            self._locked = self.controller.active
            self.locked_changed.emit(self._locked)
        if not self.controller.active:
            self.status.emit(f"Training: {STATE_WORDS.get(state, state).lower()}")

    def _on_controller_updated(self, delivery: Delivery) -> None:
        shown = self.panel.controls.show_progress(delivery)
        self.dashboard.show_delivery(delivery)
        for line in delivery.logs:
            self.panel.append_log(line)
        for report in delivery.epochs:  # the learning-rate warning (runaway.py), once a run
            if report.stats.warning:
                warning = f"Warning: {report.stats.warning}"
                self.panel.append_log(warning)
                self.panel.show_notice(warning)
        if shown and delivery.batches:
            last = delivery.batches[-1]
            self.status.emit(f"Training on {self._device} · epoch {last.epoch} · "
                             f"{last.samples_per_second:,.0f} samples/s")

    def _on_controller_refused(self, message: str) -> None:
        self.panel.show_notice(message, error=True)
        self.panel.append_log(message, error=True)
        self.message.emit(message)

    def _on_controller_failed(self, message: str) -> None:
        self.panel.show_notice(message, error=True)
        self.panel.append_log(message, error=True)

    def _on_controller_run_ended(self, run: Run | None) -> None:
        controller = self.controller
        checkpoint = controller.result_checkpoint
        if run is not None and self._follow:
            run = self._follow_project(run)
            checkpoint = run.checkpoint
        if controller.result_graph is not None and controller.state != "failed":
            self._trained = network_signature(controller.result_graph)
            self._stale = False
            self.weights_stale.emit("")
            if checkpoint is not None:
                self._give_weights(checkpoint)
        test = controller.result.test if controller.result is not None else None
        self.dashboard.end(run, test)
        where = f" (run {run.id})" if run is not None else ""
        self.panel.append_log(f"Run {controller.state}{where}")
        if test is not None:
            line = f"Test split ({test.samples:,} samples): {test_text(test.metrics)}"
            self.panel.append_log(line)
            self.message.emit(line)
        self.runs_changed.emit()

    def _follow_project(self, run: Run) -> Run:
        """The run that ended while the project was saved elsewhere joins it now."""
        follow, self._follow = self._follow, []
        try:
            for store, move in follow:
                run = store.take(run, move=move)
        except RunError as error:
            self._report_runs_problem(error)
        return run
