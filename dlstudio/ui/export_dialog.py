"""File > Export…: the network to ONNX, TorchScript, a state_dict or PyTorch source.

The export (and reading the last run's checkpoint) runs on a worker thread, so the window
keeps painting; progress and the outcome come back as queued signals. A graph with
problems is refused before anything starts, an export error is shown in the dialog with
everything the user chose kept, and closing mid-export cancels and waits for the thread.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QElapsedTimer, QSettings, Qt, QThread, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from dlstudio.export import FORMATS, ExportResult, missing_packages
from dlstudio.graph import Graph
from dlstudio.train.checkpoint import Checkpoint
from dlstudio.ui.export_support import (
    BUSY_STAGES,
    CHOICES,
    MESSAGE_ICONS,
    SEED,
    Progress,
    Worker,
    file_stem,
    files_of,
    format_box,
    fresh_request,
    graph_problems,
    input_box,
    input_note,
    note_label,
    raw_choice,
    read_checkpoint,
    run_export,
    success_text,
    trained_request,
)

FOLDER_KEY = "export/folder"


class ExportDialog(QDialog):
    """Choose a format, a file and the weights; export on a worker thread."""

    export_finished = Signal(bool)  # the thread has ended; True when files were written
    checkpoint_checked = Signal(bool)  # True when the last run's weights fit the graph

    def __init__(self, graph: Graph, project_name: str, *, folder: Path,
                 checkpoint: Path | None = None, settings: QSettings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.setObjectName("export_dialog")
        self.setMinimumWidth(600)
        self.graph = graph.copy()  # a snapshot: the export must not see later edits
        self.name = file_stem(project_name)
        self.settings = settings
        saved = Path(str(settings.value(FOLDER_KEY, ""))) if settings is not None else None
        self.folder = saved if saved is not None and saved.is_dir() and str(saved) != "." \
            else folder
        self.checkpoint_path = checkpoint
        self.checkpoint: Checkpoint | None = None
        self.result: ExportResult | None = None
        self.error: str | None = None
        self._cancel = threading.Event()
        self._thread: QThread | None = None
        self._worker: Worker | None = None
        self._job = ""
        self._stage = ""
        self._close_when_done = False
        self._clock = QElapsedTimer()
        self._ticker = QTimer(self)
        self._ticker.setInterval(500)
        self._ticker.timeout.connect(self._update_status)
        self.message_kind = ""  # "", "error", "info" or "success"
        self._build()
        self.problems = graph_problems(self.graph)
        if self.problems:
            self._show_message("error", "This graph cannot be exported until its problems "
                               "are fixed:\n" + "\n".join(f"• {p}" for p in self.problems))
        self._read_checkpoint()
        self._update_buttons()

    # ----- building ------------------------------------------------------------------
    def _build(self) -> None:
        self.format_box, self.onnx_reason = format_box(missing_packages())
        self.format_box.currentIndexChanged.connect(self._on_format_box_changed)
        self.format_note = note_label()
        self.path_edit = QLineEdit(str(self.folder / self._default_name(self.fmt)))
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._on_browse_clicked)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse_button)
        self.trained_radio = QRadioButton("Trained weights from the last run")
        self.fresh_radio = QRadioButton(f"Fresh (untrained) weights, seed {SEED}")
        self.fresh_radio.setChecked(True)
        self.weights_group = QButtonGroup(self)
        for radio in (self.trained_radio, self.fresh_radio):
            self.weights_group.addButton(radio)
        self.weights_note = note_label()
        self.input_box = input_box()
        self.input_box.currentIndexChanged.connect(self._update_input_note)
        self.trained_radio.toggled.connect(self._update_input_note)
        self.input_note = note_label()
        form = QGridLayout()  # a QFormLayout spaces rows unevenly around wrapped notes
        form.setColumnStretch(1, 1)
        for row, (label, field) in enumerate((
                ("Format:", self.format_box), ("", self.format_note), ("Save to:", path_row),
                ("Weights:", self.trained_radio), ("", self.fresh_radio),
                ("", self.weights_note), ("Input:", self.input_box), ("", self.input_note))):
            form.addWidget(QLabel(label), row, 0)
            if isinstance(field, QHBoxLayout):
                form.addLayout(field, row, 1)
            else:
                form.addWidget(field, row, 1)

        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setVisible(False)
        self.status = QLabel()
        self.status.setVisible(False)
        self.message_icon = QLabel()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        message_row = QHBoxLayout()
        message_row.addWidget(self.message_icon, 0, Qt.AlignmentFlag.AlignTop)
        message_row.addWidget(self.message, 1)
        self.export_button = QPushButton("Export", self)  # a parent, so it is the default
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self._on_export_clicked)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop the export; nothing is written")
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.export_button, self.cancel_button, self.close_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addSpacing(8)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(message_row)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self._on_format_box_changed()
        self._show_message("", "")

    @property
    def fmt(self) -> str:
        return str(self.format_box.currentData())

    def _default_name(self, fmt: str) -> str:
        return CHOICES[fmt].file_name.format(name=self.name)

    def target(self) -> Path | None:
        """The file typed in the path box; a relative name lands in the default folder."""
        text = self.path_edit.text().strip()
        if not text:
            return None
        path = Path(text).expanduser()
        return path if path.is_absolute() else self.folder / path

    # ----- questions (tests replace these) -------------------------------------------
    def ask_path(self) -> Path | None:
        choice = CHOICES[self.fmt]
        start = self.target() or self.folder / self._default_name(self.fmt)
        name, _ = QFileDialog.getSaveFileName(self, "Export to", str(start),
                                              f"{choice.file_filter};;All files (*)")
        return Path(name) if name else None

    def ask_replace(self, existing: list[Path]) -> bool:
        names = ", ".join(path.name for path in existing)
        answer = QMessageBox.question(self, "Replace files?", f"{names} already exist in "
                                      f"{existing[0].parent}. Replace them?")
        return answer == QMessageBox.StandardButton.Yes

    # ----- the last run's weights ------------------------------------------------------
    def _read_checkpoint(self) -> None:
        self.trained_radio.setEnabled(False)
        if self.checkpoint_path is None:
            self.weights_note.setText("No trained weights yet: train the network in "
                                      "Data and training to export what it learned.")
            return
        self.weights_note.setText(f"Reading {self.checkpoint_path.name}…")
        self._start("checkpoint", partial(read_checkpoint, self.checkpoint_path, self.graph),
                    self._on_checkpoint_read, self._on_checkpoint_failed)

    def _on_checkpoint_read(self, found: object) -> None:
        checkpoint, differences = found
        if differences:
            self.weights_note.setText(
                f"The network changed since the last run ({'; '.join(differences)}): its "
                "weights no longer fit, so only fresh weights can be exported. Train again "
                "to export trained weights.")
            return
        self.checkpoint = checkpoint
        self.trained_radio.setEnabled(True)
        self.trained_radio.setChecked(True)
        self.trained_radio.setText(f"Trained weights from the last run "
                                   f"({checkpoint.epoch} epochs)")
        self.weights_note.setText(f"From {self.checkpoint_path}")

    def _on_checkpoint_failed(self, message: str, cancelled: bool) -> None:
        self.weights_note.setText(f"Cannot read the last run's weights: {message}")

    # ----- exporting -------------------------------------------------------------------
    def _on_export_clicked(self) -> None:
        if self.problems or self._thread is not None:
            return
        target = self.target()
        if target is None:
            self._show_message("error", "Choose the file to export to.")
            return
        existing = [path for path in files_of(self.fmt, target) if path.is_file()]
        if existing and not self.ask_replace(existing):
            return
        request = trained_request(self.checkpoint, self.checkpoint_path) \
            if self._trained() else fresh_request(self.graph, self.name)
        self.result, self.error = None, None
        self._cancel.clear()
        self._show_message("", "")
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self._start("export", partial(run_export, request, self.fmt, target,
                                      str(self.input_box.currentData()), self._cancel.is_set),
                    self._on_export_succeeded, self._on_export_failed)

    def _on_export_succeeded(self, result: object) -> None:
        assert isinstance(result, ExportResult)
        self.result = result
        self.progress.setRange(0, 100)
        self.progress.setValue(100)
        self._show_message("success", success_text(result, self.fmt))
        if self.settings is not None:
            self.settings.setValue(FOLDER_KEY, str(result.path.parent))

    def _on_export_failed(self, message: str, cancelled: bool) -> None:
        self.error = message
        self.progress.setVisible(False)
        if cancelled:
            self._show_message("info", message[:1].upper() + message[1:] + ".")
        else:
            self._show_message("error", f"The export failed: {message}\n\nNothing was "
                               "written; change the settings above and export again.")

    def _on_cancel_clicked(self) -> None:
        self._cancel.set()
        self._stage = "cancelling after the current step"
        self.cancel_button.setEnabled(False)
        self._update_status()

    # ----- the worker thread -----------------------------------------------------------
    def _start(self, job: str, work: Callable[[Progress], Any],
               on_success: Callable[[object], None],
               on_failure: Callable[[str, bool], None]) -> None:
        # Collect garbage now, on this thread, while nothing else runs: a collection that
        # starts during torch's export could free Qt or torch objects mid-conversion.
        gc.collect()
        thread, worker = QThread(self), Worker(work)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progressed.connect(self._on_worker_progressed)
        worker.succeeded.connect(on_success)  # bound methods: queued to this thread
        worker.failed.connect(on_failure)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker, self._job = thread, worker, job
        self._stage = "reading the checkpoint" if job == "checkpoint" else "starting"
        self._clock.start()
        self._ticker.start()
        self._update_buttons()
        self._update_status()
        thread.start()

    def _on_worker_progressed(self, message: str, fraction: float) -> None:
        if self._cancel.is_set():
            return
        busy = message.startswith(BUSY_STAGES)
        self.progress.setRange(0, 0 if busy else 100)
        if not busy:
            self.progress.setValue(round(100 * fraction))
        self._stage = message
        self._update_status()

    def _on_thread_finished(self) -> None:
        assert self._thread is not None and self._worker is not None
        self._thread.deleteLater()
        self._worker.deleteLater()
        self._thread = self._worker = None
        self._ticker.stop()
        self.status.setVisible(False)
        job, self._job = self._job, ""
        self._update_buttons()
        if job == "export":
            self.export_finished.emit(self.result is not None)
        else:
            self.checkpoint_checked.emit(self.checkpoint is not None)
        if self._close_when_done:
            self._close_when_done = False
            super().done(QDialog.DialogCode.Rejected)

    def is_busy(self) -> bool:
        return self._thread is not None

    def done(self, result: int) -> None:
        """Closing mid-export cancels it; the dialog closes once the thread has stopped."""
        if self._thread is None:
            super().done(result)
            return
        self._cancel.set()
        self._close_when_done = True
        self._stage = "cancelling; the dialog closes when the current step ends"
        self._update_buttons()
        self._update_status()

    # ----- showing state ---------------------------------------------------------------
    def _update_buttons(self) -> None:
        idle = self._thread is None
        exporting = self._job == "export"
        self.export_button.setEnabled(idle and not self.problems)
        self.export_button.setToolTip("Fix the graph's problems first" if self.problems
                                      else "")
        self.cancel_button.setEnabled(exporting and not self._cancel.is_set())
        self.close_button.setEnabled(not self._close_when_done)
        for widget in (self.format_box, self.path_edit, self.browse_button,
                       self.fresh_radio):
            widget.setEnabled(not exporting)
        self.trained_radio.setEnabled(not exporting and self.checkpoint is not None)
        self._update_input_note()

    def _trained(self) -> bool:
        return self.trained_radio.isChecked() and self.checkpoint is not None

    def _update_input_note(self, *_: object) -> None:
        """Raw or prepared is a choice for trained weights in a format that runs them."""
        self.input_box.setEnabled(self._trained() and self.fmt != "state_dict"
                                  and self._job != "export")
        self.input_box.setItemText(0, raw_choice(self.graph, self.checkpoint))
        self.weights_note.setVisible(self.checkpoint is None or self._trained())  # "From …"
        self.input_note.setText(input_note(self.fmt, self._trained(),
                                           str(self.input_box.currentData())))

    def _update_status(self) -> None:
        if self._thread is None:
            return
        seconds = self._clock.elapsed() // 1000
        text = self._stage[:1].upper() + self._stage[1:] + "…"
        self.status.setText(text + (f" ({seconds} s)" if seconds else ""))
        self.status.setVisible(True)

    def _show_message(self, kind: str, text: str) -> None:
        self.message.setText(text)
        self.message_icon.setVisible(bool(text))
        if kind in MESSAGE_ICONS:
            icon = self.style().standardIcon(MESSAGE_ICONS[kind])
            self.message_icon.setPixmap(icon.pixmap(24, 24))
        self.message_kind = kind
        # A long result grows the dialog instead of squeezing the form's rows.
        needed = self.layout().totalHeightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)

    def _on_format_box_changed(self, _index: int = 0) -> None:
        fmt = self.fmt
        note = CHOICES[fmt].description
        if self.onnx_reason:
            note += f"\nONNX is unavailable: {self.onnx_reason}."
        self.format_note.setText(note)
        self._update_input_note()
        target = self.target()
        defaults = {self._default_name(f) for f in FORMATS}
        if target is not None and target.name in defaults:
            self.path_edit.setText(str(target.with_name(self._default_name(fmt))))

    def _on_browse_clicked(self) -> None:
        path = self.ask_path()
        if path is not None:
            self.path_edit.setText(str(path))

