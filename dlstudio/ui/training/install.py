"""Mount training in the main window: the data and training panel and the dashboard
(placed by the Train workspace), the canvas lock, the status bar, and a clean stop when
the window closes or another project opens (the training thread always ends before Qt
could destroy it)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

from dlstudio.graph.data_checks import facts_for_target
from dlstudio.ui.document import Document
from dlstudio.ui.training.dashboard import Dashboard
from dlstudio.ui.training.lock import GraphLock
from dlstudio.ui.training.panel import TrainingPanel
from dlstudio.ui.training.plan_install import install_plan
from dlstudio.ui.training.session import TrainingSession


class _CloseGuard(QObject):
    """Stops the run as the window gets its close event, before anything is torn down."""

    def __init__(self, session: TrainingSession, window: QMainWindow) -> None:
        super().__init__(window)
        self.session = session

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if event.type() == QEvent.Type.Close:
            self.session.shutdown()
        return False


@dataclass
class TrainingUI:
    """What `install_training` added, for the window, tests and the benchmark."""

    session: TrainingSession
    panel: TrainingPanel
    dashboard: Dashboard
    lock: GraphLock
    status: QLabel


def install_training(window: QMainWindow) -> TrainingUI:
    """Add training to a MainWindow (it needs `document`, `document_changed`, `view`,
    `palette_panel`, `inspector`, `action_map`, `undo_group`, `show_error`). Returns the
    parts; the caller places the panel and the dashboard."""
    panel = TrainingPanel()
    dashboard = Dashboard()
    session = TrainingSession(window.document, panel, dashboard, window)
    lock = GraphLock(window)
    status = QLabel()
    window.statusBar().addPermanentWidget(status)

    def on_document_changed(document: Document) -> None:
        lock.set_locked(False)
        session.set_document(document)
        show_facts()  # the data's checks follow the project

    def show_facts(*_: object) -> None:  # as the Target setting makes them
        target = panel.form.fields["target"].currentData()
        window.document.set_data_facts(facts_for_target(panel.data.facts, target))

    def on_failed(message: str) -> None:
        window.show_error("Training stopped", message)

    window.document_changed.connect(on_document_changed)
    panel.data.facts_changed.connect(show_facts)
    panel.form.changed.connect(show_facts)
    session.locked_changed.connect(lock.set_locked)
    session.weights_stale.connect(lock.show_notice)
    session.status.connect(status.setText)
    session.message.connect(lambda text: window.statusBar().showMessage(text, 8000))
    session.controller.failed.connect(on_failed)
    window.installEventFilter(_CloseGuard(session, window))
    install_plan(window, panel, session)  # the pre-flight plan under the controls
    app = QApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(session.shutdown)
    return TrainingUI(session, panel, dashboard, lock, status)
