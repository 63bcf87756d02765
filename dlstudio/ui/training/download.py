"""Download MNIST, Fashion-MNIST, KMNIST or CIFAR-10 off the GUI thread, with a progress
bar and a Cancel button; the finished folder is then read as `download_spec` says
(`idx:FOLDER`, `cifar10:FOLDER`).

The download runs on a plain daemon thread (a network read can block for its whole
timeout after Cancel): closing the app never waits for it, and no QThread is left to
be destroyed while running. Results come back through queued Qt signals.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dlstudio.data import (
    DataError,
    DownloadCancelled,
    DownloadProgress,
    download_dataset,
    download_spec,
)
from dlstudio.data.download import ARCHIVES, FAMILIES

PROGRESS_SECONDS = 0.05  # report at most 20 times a second


def _description(name: str) -> str:
    return ARCHIVES[name].description if name in ARCHIVES else FAMILIES[name].meta.description


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
            folder = download_dataset(self.name, progress=self._on_progress,
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
    """Choose a set, Download, watch it, Cancel. `options` go to download_dataset
    (cache_dir, base_url, checksums: tests point them at a local server)."""

    finished = Signal(object)  # Path of the downloaded folder
    message = Signal(str)

    def __init__(self, names: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.options: dict[str, Any] = {}
        self.job: DownloadJob | None = None
        self._job_name = ""
        self._folder: Path | None = None
        self._name = ""
        self.family = QComboBox()
        for name in names:
            self.family.addItem(name)
            self.family.setItemData(self.family.count() - 1, _description(name),
                                    Qt.ItemDataRole.ToolTipRole)
        self.start_button = QPushButton("Download")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setValue(0)
        self.status = QLabel("Files are checked against their published SHA-256 (MD5 for "
                             "CIFAR-10) and kept in the data cache.")
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

    def spec(self) -> str:
        """The --data spec of the last complete download ("" before one)."""
        return download_spec(self._name, self._folder) if self._folder else ""

    def start(self) -> None:
        if self.job is not None:
            return
        name = self.family.currentText()
        self.job = DownloadJob(name, dict(self.options))
        self._job_name = name
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
        unpacking = (progress.dataset in ARCHIVES and progress.total is not None
                     and progress.done == progress.total)
        self.status.setText(f"{progress.dataset}: file {progress.file_index + 1} of "
                            f"{progress.file_count} ({progress.file}), {size} MB"
                            + ("; unpacking…" if unpacking else ""))

    def _on_job_succeeded(self, folder: Path) -> None:
        self._folder, self._name = Path(folder), self._job_name
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
