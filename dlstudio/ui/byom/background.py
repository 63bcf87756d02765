"""Run one slow step (reading a 500 MB weights file, tracing a model) off the GUI thread
while the window stays responsive and a busy dialog says what is happening.

The step runs on a plain daemon thread, as dataset downloads do (download.py): nothing
waits for it at exit, and no QThread can be destroyed while running. The caller waits
in a local event loop, so it reads as one call that returns the result or one line of
error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

BUSY_AFTER_MS = 300  # a step quicker than this shows no dialog at all


@dataclass
class Outcome:
    """What the step gave: its value, or the one line that says why it failed."""

    value: Any = None
    error: str | None = None


class _Relay(QObject):
    """Carries the thread's outcome to the GUI thread (a queued signal)."""

    ended = Signal(object)


def run_busy(parent: QWidget, text: str, step: Callable[[], Any],
             expected: tuple[type[BaseException], ...]) -> Outcome:
    """Run `step()` on a thread and wait for it with the window responsive. An exception
    of the `expected` kinds becomes its message; any other (from user code, say) becomes
    one line naming its type, never a traceback."""
    relay = _Relay()
    loop = QEventLoop()
    outcome = Outcome()

    def on_ended(result: Outcome) -> None:
        outcome.value, outcome.error = result.value, result.error
        loop.quit()

    relay.ended.connect(on_ended, Qt.ConnectionType.QueuedConnection)

    def work() -> None:
        try:
            result = Outcome(value=step())
        except expected as error:
            result = Outcome(error=str(error))
        except Exception as error:  # noqa: BLE001 - imported code may raise anything
            result = Outcome(error=f"{type(error).__name__}: {error}".splitlines()[0])
        relay.ended.emit(result)

    busy = QProgressDialog(text, "", 0, 0, parent)
    busy.setWindowTitle("Please wait")
    busy.setCancelButton(None)  # a trace or a read cannot be interrupted half-way
    busy.setWindowModality(Qt.WindowModality.WindowModal)
    busy.setMinimumDuration(BUSY_AFTER_MS)
    busy.setValue(0)
    threading.Thread(target=work, name=text, daemon=True).start()
    loop.exec()
    busy.reset()
    busy.deleteLater()
    return outcome
