"""Pause, resume and stop from any thread; the loop looks once per batch.

The loop reads one plain attribute per batch (`requested`); only when it is set does it
take the lock, so control costs nothing on the hot path.
"""

from __future__ import annotations

import threading
import time


class RunControl:
    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._paused = False
        self._stop = False
        self.requested = False  # set when pause or stop waits for the loop

    def pause(self) -> None:
        with self._lock:
            self._paused = True
            self.requested = True

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            self.requested = self._stop
            self._lock.notify_all()

    def stop(self) -> None:
        with self._lock:
            self._stop = True
            self.requested = True
            self._lock.notify_all()

    @property
    def paused(self) -> bool:
        return self._paused and not self._stop

    @property
    def stopping(self) -> bool:
        return self._stop

    def wait_while_paused(self) -> float:
        """Block while paused (until resume or stop); the seconds spent waiting."""
        start = time.perf_counter()
        with self._lock:
            while self._paused and not self._stop:
                self._lock.wait()
        return time.perf_counter() - start
