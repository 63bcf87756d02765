"""Training for one open Document: its settings and data choice, its runs folder, the
Train / Pause / Stop flow, and what a finished run means for later edits.

The settings and data choice live in the project (`training`, `dataset`), so they are
saved with it; a template starts from its training defaults. Runs are kept next to the
project file (dlstudio/runs.py). After a run, the weights belong to the graph as it was
trained; an edit that changes the network (not just its layout) says they no longer fit.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QObject, Signal

from dlstudio.data import DataError
from dlstudio.graph import Graph
from dlstudio.graph.summary import summarize
from dlstudio.runs import Run, RunStore
from dlstudio.train import TrainSettings, TrainSettingsError, defaults_for_template
from dlstudio.train.devices import describe_device, resolve_device
from dlstudio.train.faults import TrainingError
from dlstudio.ui.document import Document
from dlstudio.ui.training.controller import TrainingController
from dlstudio.ui.training.controls import STATE_WORDS
from dlstudio.ui.training.dashboard import Dashboard
from dlstudio.ui.training.panel import TrainingPanel
from dlstudio.ui.training.worker import Delivery

STALE_TEXT = ("The graph changed after training: the trained weights no longer fit it. "
              "Train again to get weights for this version.")


def network_signature(graph: Graph) -> str:
    """The graph without node positions: what trained weights depend on."""
    data = graph.to_dict()
    for node in data.get("nodes", []):
        if isinstance(node, dict):
            node.pop("position", None)
    return json.dumps(data, sort_keys=True, default=str)


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

    def __init__(self, document: Document, panel: TrainingPanel, dashboard: Dashboard,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel, self.dashboard = panel, dashboard
        self.controller = TrainingController(self)
        self.document: Document | None = None
        self.store: RunStore | None = None
        self._trained: str | None = None  # signature of the graph the weights belong to
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
        """Follow another project: a run of the old one is stopped first."""
        self.controller.shutdown()
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
        self.weights_ready.emit(None)
        self.store = RunStore.for_project(document.path, document.project.name)
        self.dashboard.set_store(self.store)

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
        assert self.document is not None
        self.store = RunStore.for_project(self.document.path, self.document.project.name)
        self.dashboard.set_store(self.store)

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
            settings = panel.form.settings(data=panel.data.spec())
        except TrainSettingsError as error:
            panel.tabs.setCurrentIndex(1)
            return self._refuse(f"Training did not start: {error}")
        try:
            bundle = panel.data.load()
            self._device = describe_device(resolve_device(settings.device))
        except DataError as error:
            panel.tabs.setCurrentIndex(0)
            return self._refuse(f"Training did not start: {error}")
        except TrainingError as error:
            return self._refuse(f"Training did not start: {error}")
        self._store_choices()
        controller = self.controller
        if not controller.start(self.document.graph, bundle, settings, self.store,
                                self.document.project.name):
            return False
        run = controller.run
        panel.controls.begin(settings.epochs)
        title = f"{self.document.project.name} on {bundle.info.name}"
        weighted = [row.name for row in summarize(self.document.graph).layers
                    if row.params and row.type not in ("Input", "Output")]
        self.dashboard.begin(bundle.info, run, title + (f" · run {run.id}" if run else ""),
                             settings.epochs, weighted)
        panel.append_log(f"Training {title} on {self._device}")
        return True

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
        if controller.result_graph is not None and controller.state != "failed":
            self._trained = network_signature(controller.result_graph)
            self._stale = False
            self.weights_stale.emit("")
            if controller.result_checkpoint is not None:
                self.weights_ready.emit(controller.result_checkpoint)
        self.dashboard.end(run)
        where = f" (run {run.id})" if run is not None else ""
        self.panel.append_log(f"Run {controller.state}{where}")
