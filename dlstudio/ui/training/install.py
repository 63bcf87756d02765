"""Mount training in the main window: the "Data and training" and "Metrics" docks, the
canvas lock, the status bar, and a clean stop when the window closes or another project
opens (the training thread always ends before Qt could destroy it)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

from dlstudio.ui.document import Document
from dlstudio.ui.training.dashboard import Dashboard
from dlstudio.ui.training.lock import GraphLock
from dlstudio.ui.training.panel import TrainingPanel
from dlstudio.ui.training.session import TrainingSession

MIN_METRICS_HEIGHT = 420  # px: below this the live plots are squashed flat


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
    """Add training to a MainWindow (it needs `document`, `document_changed`,
    `add_panel_dock`, `view`, `palette_panel`, `inspector`, `action_map`, `undo_group`,
    `show_error`). Returns the parts; Qt parenting keeps them alive."""
    panel = TrainingPanel()
    dashboard = Dashboard()
    session = TrainingSession(window.document, panel, dashboard, window)
    lock = GraphLock(window)
    status = QLabel()
    window.statusBar().addPermanentWidget(status)
    panel_dock = window.add_panel_dock("Data and training", panel)
    # Allowed smaller than its plots need, so that it can wait in a short bottom area
    # beside Problems; a run start gives it room again (MIN_METRICS_HEIGHT).
    dashboard.setMinimumHeight(120)
    metrics_dock = window.add_panel_dock("Metrics", dashboard)

    def on_document_changed(document: Document) -> None:
        lock.set_locked(False)
        session.set_document(document)
        document.set_data_facts(panel.data.facts)  # the data's checks follow the project

    def on_failed(message: str) -> None:
        window.show_error("Training stopped", message)

    def on_locked_changed(locked: bool) -> None:
        lock.set_locked(locked)
        if locked:  # a run started: show its controls and its curves
            for dock in (panel_dock, metrics_dock):
                dock.show()
                dock.raise_()
            if metrics_dock.height() < MIN_METRICS_HEIGHT:  # room for the plots to read
                window.resizeDocks([metrics_dock], [int(window.height() * 0.5)],
                                   Qt.Orientation.Vertical)

    window.document_changed.connect(on_document_changed)
    panel.data.facts_changed.connect(lambda facts: window.document.set_data_facts(facts))
    session.locked_changed.connect(on_locked_changed)
    session.weights_stale.connect(lock.show_notice)
    session.status.connect(status.setText)
    session.message.connect(lambda text: window.statusBar().showMessage(text, 8000))
    session.controller.failed.connect(on_failed)
    window.installEventFilter(_CloseGuard(session, window))
    app = QApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(session.shutdown)
    return TrainingUI(session, panel, dashboard, lock, status)
