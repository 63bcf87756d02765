"""The published ImageNet weights, fetched the first time a run starts from them: a
progress bar with the megabytes, and Cancel (the part already fetched is kept, so the
next try resumes). The file then stays in the cache; later runs start at once.

As dataset downloads do (training/download.py), the fetch runs on a plain daemon thread
and reports through queued signals at most 20 times a second.
"""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QEventLoop, QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from dlstudio.weights import PREFIX, WeightsError, cached_path, fetch_pretrained, pretrained_entry

PROGRESS_SECONDS = 0.05
MB = 1 << 20  # as the descriptions count ("528 MB" for VGG16's 553,433,881 bytes)


class _Cancelled(Exception):
    """Raised from the progress callback to stop the download at its next chunk."""


class _Relay(QObject):
    progressed = Signal(int, int)  # bytes so far, total (0: unknown)
    ended = Signal(str)  # "" when the file is ready, else why not


def ensure_pretrained(parent: QWidget, weights: str) -> str:
    """Make sure a "pretrained:NAME" setting's file is in the cache, downloading it with
    a progress dialog if needed. "" when ready (or `weights` names no pretrained file);
    otherwise one line saying why training cannot start from it."""
    if not weights.startswith(PREFIX):
        return ""
    name = weights[len(PREFIX):]
    try:
        if cached_path(name).is_file():
            return ""
        about = pretrained_entry(name).description
    except WeightsError as error:
        return str(error)
    return PretrainedFetch(name, about, parent).run()


class PretrainedFetch:
    """One download with its dialog; `run()` waits (the window stays responsive)."""

    def __init__(self, name: str, about: str, parent: QWidget) -> None:
        self.name = name
        self.cancel = threading.Event()
        self.relay = _Relay()
        self.dialog = QProgressDialog(
            f"Downloading the ImageNet weights for {name} once:\n{about}.\n"
            f"They are checked against their published hash and kept in\n"
            f"{cached_path(name).parent}", "Cancel", 0, 1000, parent)
        self.dialog.setWindowTitle("Pretrained weights")
        self.dialog.setObjectName("pretrained_fetch")
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(0)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.canceled.connect(self.cancel.set)
        self._last = 0.0

    def run(self) -> str:
        loop = QEventLoop()
        outcome: list[str] = []

        def on_ended(problem: str) -> None:
            outcome.append(problem)
            loop.quit()

        self.relay.progressed.connect(self._on_progressed, Qt.ConnectionType.QueuedConnection)
        self.relay.ended.connect(on_ended, Qt.ConnectionType.QueuedConnection)
        self.dialog.setValue(0)
        threading.Thread(target=self._fetch, name=f"fetch {self.name}", daemon=True).start()
        loop.exec()
        self.dialog.reset()
        self.dialog.deleteLater()
        return outcome[0]

    def _fetch(self) -> None:
        try:
            fetch_pretrained(self.name, self._on_progress)
        except _Cancelled:
            self.relay.ended.emit(f"the download of the {self.name} weights was cancelled; "
                                  "the part fetched is kept and the next run resumes it")
        except WeightsError as error:
            self.relay.ended.emit(str(error))
        else:
            self.relay.ended.emit("")

    def _on_progress(self, done: int, total: int) -> None:
        if self.cancel.is_set():
            raise _Cancelled
        now = time.monotonic()
        if now - self._last >= PROGRESS_SECONDS or done == total:
            self._last = now
            self.relay.progressed.emit(done, total)

    def _on_progressed(self, done: int, total: int) -> None:
        if total:
            self.dialog.setValue(round(1000 * done / total))
        self.dialog.setLabelText(
            self.dialog.labelText().split("\n\n")[0]
            + f"\n\n{done / MB:.1f}" + (f" of {total / MB:.1f}" if total else "") + " MB")
