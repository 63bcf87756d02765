"""Download MNIST, Fashion-MNIST or KMNIST off the GUI thread, with a progress bar and a
Cancel button; the finished folder is then read as `idx:FOLDER`.

The download runs on a plain daemon thread (a network read can block for its whole
timeout after Cancel): closing the app never waits for it, and no QThread is left to
be destroyed while running. Results come back through queued Qt signals.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dlstudio.data import DataError, DownloadCancelled, DownloadProgress, download_mnist_family

PROGRESS_SECONDS = 0.05  # report at most 20 times a second


class DownloadJob(QObject):
    """One download on its own thread; `cancel()` is checked after every chunk. Exactly
    one of `succeeded` and `failed` is emitted, then `finished`."""

    progressed = Signal(object)  # DownloadProgress
    succeeded = Signal(object)   # Path of the folder
    failed = Signal(str)
    finished = Signal()

    def __init__(self, name: str, options: dict[str, Any]) -> None:
        super().__init__()
        self.name, self.options = name, options
        self._cancel = threading.Event()
        self._last = 0.0
        self._thread = threading.Thread(target=self._run, name=f"download {name}",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def wait(self, seconds: float) -> bool:
        self._thread.join(seconds)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            folder = download_mnist_family(self.name, progress=self._on_progress,
                                           cancel=self._cancel.is_set, **self.options)
        except (DownloadCancelled, DataError) as error:
            self.failed.emit(str(error))
        else:
            self.succeeded.emit(folder)
        finally:
            self.finished.emit()

    def _on_progress(self, progress: DownloadProgress) -> None:
        now = time.monotonic()
        if now - self._last >= PROGRESS_SECONDS or progress.done == progress.total:
            self._last = now
            self.progressed.emit(progress)


class DownloadBox(QWidget):
    """Choose a set, Download, watch it, Cancel. `options` go to download_mnist_family
    (cache_dir, base_url, checksums: tests point them at a local server)."""

    finished = Signal(object)  # Path of the downloaded folder
    message = Signal(str)

    def __init__(self, names: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.options: dict[str, Any] = {}
        self.job: DownloadJob | None = None
        self._folder: Path | None = None
        self.family = QComboBox()
        self.family.addItems(names)
        self.start_button = QPushButton("Download")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setValue(0)
        self.status = QLabel("Files are checked against their published SHA-256 and kept "
                             "in the data cache.")
        self.status.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.family, 1)
        row.addWidget(self.start_button)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)

    def folder(self) -> Path | None:
        """The last folder downloaded completely, or None."""
        return self._folder

    def start(self) -> None:
        if self.job is not None:
            return
        name = self.family.currentText()
        self.job = DownloadJob(name, dict(self.options))
        self.job.progressed.connect(self._on_job_progressed)
        self.job.succeeded.connect(self._on_job_succeeded)
        self.job.failed.connect(self._on_job_failed)
        self.job.finished.connect(self._on_job_finished)
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.bar.setValue(0)
        self.status.setText(f"Downloading {name}…")
        self.job.start()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.status.setText("Cancelling…")

    def shutdown(self) -> None:
        """Cancel a download in progress; it ends at its next chunk (the app does not
        wait for a stalled connection)."""
        if self.job is not None:
            self.job.cancel()
            self.job.wait(0.5)

    def _on_job_progressed(self, progress: DownloadProgress) -> None:
        share = progress.done / progress.total if progress.total else 0.0
        overall = (progress.file_index + share) / progress.file_count
        self.bar.setValue(round(1000 * overall))
        size = f"{progress.done / 1e6:.1f}" + (f" of {progress.total / 1e6:.1f}"
                                               if progress.total else "")
        self.status.setText(f"{progress.dataset}: file {progress.file_index + 1} of "
                            f"{progress.file_count} ({progress.file}), {size} MB")

    def _on_job_succeeded(self, folder: Path) -> None:
        self._folder = Path(folder)
        self.bar.setValue(1000)
        self.status.setText(f"Ready in {folder}")
        self.message.emit(f"Downloaded to {folder}")
        self.finished.emit(self._folder)

    def _on_job_failed(self, message: str) -> None:
        self.status.setText(message)
        self.message.emit(message)

    def _on_job_finished(self) -> None:
        self.job = None
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
