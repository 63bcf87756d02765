"""Wire the pre-flight plan to the window: the document's graph and shapes, the settings
form, the data panel and the training controller (see plan_view.py)."""

from __future__ import annotations

import contextlib
from typing import Any

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QMainWindow

from dlstudio.data import DataBundle, DataError
from dlstudio.ui.document import Document
from dlstudio.ui.training.panel import TrainingPanel
from dlstudio.ui.training.plan_view import PlanInputs, PlanPresenter
from dlstudio.ui.training.session import TrainingSession


class _CloseGuard(QObject):
    """Ends a timing in progress as the window gets its close event."""

    def __init__(self, presenter: PlanPresenter, window: QMainWindow) -> None:
        super().__init__(window)
        self.presenter = presenter

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if event.type() == QEvent.Type.Close:
            self.presenter.shutdown()
        return False


def install_plan(window: QMainWindow, panel: TrainingPanel,
                 session: TrainingSession) -> PlanPresenter:
    """Keep `panel.plan` up to date; the presenter is kept as `panel.plan_presenter`."""

    def inputs() -> PlanInputs:
        document = session.document or window.document
        settings = panel.form.settings(data=panel.data.spec())
        return PlanInputs(document.graph, settings, panel.data.bundle, document.report)

    def load() -> DataBundle | None:
        with contextlib.suppress(DataError):  # the data panel shows the problem
            return panel.data.load()
        return None

    presenter = PlanPresenter(panel.plan, inputs, panel)
    presenter.load_data = load
    panel.plan_presenter = presenter
    followed: list[Document] = []

    def follow(document: Document, *_: Any) -> None:
        for old in followed:
            with contextlib.suppress(RuntimeError, TypeError):
                old.report_updated.disconnect(presenter.changed)
        followed[:] = [document]
        document.report_updated.connect(presenter.changed)
        presenter.changed()

    window.document_changed.connect(follow)
    follow(window.document)
    panel.form.changed.connect(presenter.changed)
    panel.data.loaded.connect(presenter.changed)
    panel.data.spec_changed.connect(presenter.changed)
    session.controller.state_changed.connect(presenter.set_training_state)
    window.installEventFilter(_CloseGuard(presenter, window))
    app = QApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(presenter.shutdown)
    return presenter
