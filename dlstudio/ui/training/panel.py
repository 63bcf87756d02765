"""The "Data and training" dock: the data choice and its preview, the settings form, the
Train / Pause / Stop controls, the pre-flight plan (plan_view.py) and a log of what the
trainer said."""

from __future__ import annotations

import html
import time

from PySide6.QtWidgets import (
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dlstudio.ui.theme import current_ui_colors
from dlstudio.ui.training.controls import TrainingControls
from dlstudio.ui.training.data_panel import DataPanel
from dlstudio.ui.training.plan_view import PlanPresenter, PlanView
from dlstudio.ui.training.settings_form import SettingsForm

LOG_LINES = 500


class TrainingPanel(QWidget):
    """Widgets only: the session (session.py) wires them to the document and trainer."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data = DataPanel()
        self.form = SettingsForm()
        self.data.split_options = lambda: (self.form.fields["seed"].value(),
                                           self.form.fields["val_fraction"].value(),
                                           self.form.fields["test_fraction"].value())
        self.tabs = QTabWidget()
        # Both pages scroll: a short screen must never make the window taller than itself.
        self.tabs.addTab(_scrolling(self.data), "Data")
        self.tabs.addTab(_scrolling(self.form), "Settings")
        self.controls = TrainingControls()
        self.plan = PlanView()  # filled by a PlanPresenter (plan_install.py)
        self.plan_presenter: PlanPresenter | None = None
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.hide()
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(LOG_LINES)
        self.log.setMaximumHeight(110)
        self.log.setMinimumHeight(40)
        self.log.setPlaceholderText("What the trainer reports appears here.")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.controls)
        layout.addWidget(self.plan)
        layout.addWidget(self.notice)
        layout.addWidget(self.log)

    def show_notice(self, text: str, error: bool = False) -> None:
        """A message that stays until replaced: why training did not start, an error,
        stale weights. Empty text hides it."""
        colors = current_ui_colors()
        self.notice.setStyleSheet(f"color: {colors.error if error else colors.warning};")
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def append_log(self, text: str, error: bool = False) -> None:
        stamp = time.strftime("%H:%M:%S")
        line = f"{stamp}  {text}"
        if error:
            line = f'<span style="color:{current_ui_colors().error}">{html.escape(line)}</span>'
            self.log.appendHtml(line)
        else:
            self.log.appendPlainText(line)


def _scrolling(page: QWidget) -> QScrollArea:
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setWidget(page)
    return scroll
