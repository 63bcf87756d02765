"""Starts, drives and ends training runs: the one owner of the training thread.

`start()` checks the graph, the data and the settings first and refuses with a message
(no thread is started) when training could not work. While a run goes, a GUI-side timer
drains the worker's inbox every `tick_ms` (33 ms: at most ~30 updates a second) and
emits what arrived (the training thread itself keeps the run's record on disk).
`shutdown()` stops a run and waits for its thread (closing the window, opening another
project), so Qt never destroys a running QThread.

While a run goes, Python's thread switch interval is 0.5 ms instead of 5 ms. The trainer
needs the interpreter lock for a moment between torch operations; with the default,
each time the window's Python code (drawing the plots) held the lock, the trainer
waited up to 5 ms with a core idle. A 10 %-of-a-core Python load on the GUI thread cost
cnn-small 17 % of its speed at 5 ms and 11 % at 0.5 ms (bench/ui_responsiveness.py
measures the whole window).
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from dlstudio.data import DataBundle, DataError
from dlstudio.data.reconstruction import with_target
from dlstudio.graph import Graph, infer_shapes
from dlstudio.runs import Run, RunError, RunStore
from dlstudio.train import RunResult, TrainingError
from dlstudio.train.devices import resolve_device
from dlstudio.train.memory import LIMIT_HINT, check_memory
from dlstudio.train.preflight import check_data, graph_for, resolve_monitor
from dlstudio.train.settings import TrainSettings
from dlstudio.ui.training.worker import EventBuffer, TrainingJob, TrainingWorker, outcome

TICK_MS = 33
SWITCH_INTERVAL = 0.0005  # seconds, while a run goes (see the module docs)
SHUTDOWN_SECONDS = 2.0
ACTIVE = ("starting", "running", "paused", "stopping")
# Threads that did not stop in time are kept referenced: destroying a running QThread
# aborts the process. The trainer still stops within a batch, so they end soon after.
_LINGERING: list[tuple[QThread, TrainingWorker]] = []
APP_LIMIT_HINT = "raise Memory limit (Settings > Run)"


def preflight(graph: Graph, data: DataBundle, settings: TrainSettings) -> str | None:
    """Why training cannot start, in words, or None. Only cheap checks: shapes, the data
    against the Input and Output, the memory one batch needs (from the shapes, nothing
    allocated), the monitored metric."""
    errors = infer_shapes(graph).errors
    if errors:
        names = {e.node_id: graph.nodes[e.node_id].name for e in errors
                 if e.node_id in graph.nodes}
        first = errors[0]
        where = f'"{names[first.node_id]}": ' if first.node_id in names else ""
        more = f" (and {len(errors) - 1} more, see Problems)" if len(errors) > 1 else ""
        return f"The graph has problems, so training did not start: {where}" \
               f"{first.message}{more}"
    try:
        targeted = with_target(data, settings.target)  # as the Trainer will see it
        trained = graph_for(graph, settings)
        check_data(trained, targeted.info, settings.loss)
        check_memory(trained, settings, str(resolve_device(settings.device)))
        resolve_monitor(settings, targeted)
    except DataError as error:
        return f"Training did not start: training setting 'target': {error}"
    except TrainingError as error:  # the app names its own box, not the file's field
        return f"Training did not start: {str(error).replace(LIMIT_HINT, APP_LIMIT_HINT)}"
    return None


class _SwitchInterval:
    """SWITCH_INTERVAL while any run goes, in any window; the interval from before the
    first of them comes back when the last one ends."""

    def __init__(self) -> None:
        self.runs = 0
        self.saved = sys.getswitchinterval()

    def run_started(self) -> None:
        if self.runs == 0:
            self.saved = sys.getswitchinterval()
            sys.setswitchinterval(min(SWITCH_INTERVAL, self.saved))
        self.runs += 1

    def run_ended(self) -> None:
        self.runs -= 1
        if self.runs == 0:
            sys.setswitchinterval(self.saved)


_SWITCH = _SwitchInterval()


class TrainingController(QObject):
    """Signals arrive on the GUI thread; `updated` and `epoch_ended` at most once a tick."""

    state_changed = Signal(str)  # idle, starting, running, paused, stopping, finished,
    #                              stopped, failed
    updated = Signal(object)     # Delivery
    epoch_ended = Signal(object)  # EpochReport: the newest of a tick
    run_started = Signal(object)  # Run | None (None when runs are not kept)
    run_ended = Signal(object)    # Run | None, after finished / stopped / failed
    failed = Signal(str)          # the training error, for the window
    refused = Signal(str)         # training did not start: why

    def __init__(self, parent: QObject | None = None, tick_ms: int = TICK_MS) -> None:
        super().__init__(parent)
        self.state = "idle"
        self.thread: QThread | None = None
        self.worker: TrainingWorker | None = None
        self.buffer: EventBuffer | None = None
        self.run: Run | None = None
        self.result_graph: Graph | None = None  # the graph the last weights belong to
        self.result_checkpoint: Path | None = None  # where those weights are
        self.result: RunResult | None = None  # how the last run ended (its test split…)
        self.last_error: str | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self._on_timer_timeout)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    # ----- starting ------------------------------------------------------------------
    def start(self, graph: Graph, data: DataBundle, settings: TrainSettings,
              store: RunStore | None = None, name: str = "untitled",
              base_dir: Path | None = None) -> bool:
        """Train a copy of `graph`; False (and `refused`) when it cannot start. A relative
        `settings.weights` path is read from `base_dir` (the project's folder)."""
        if self.active:
            return self._refuse("A run is already going: stop it first.")
        problem = preflight(graph, data, settings)
        if problem is not None:
            return self._refuse(problem)
        graph = graph.copy()
        run = None
        if store is not None:
            try:
                run = store.create(name=name, data=settings.data or data.info.source,
                                   settings=settings.to_dict(), graph=graph.to_dict())
            except RunError as error:
                return self._refuse(f"Training did not start: {error}")
        self.run = run
        self.last_error = None
        self.result = None
        self.buffer = EventBuffer()
        job = TrainingJob(graph, data, settings, run, store, base_dir)
        self.worker = TrainingWorker(job, self.buffer)
        gc.collect()  # old runs' objects go now, on this thread, not during the run
        self.thread = QThread()
        self.thread.setObjectName("training")
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.done.connect(self._on_worker_done)
        self._set_state("starting")
        _SWITCH.run_started()
        self.thread.start()
        self._timer.start()
        self.run_started.emit(run)
        return True

    def _refuse(self, message: str) -> bool:
        self.refused.emit(message)
        return False

    # ----- driving -------------------------------------------------------------------
    def pause(self) -> None:
        if self.worker is not None and self.state in ("starting", "running"):
            self.worker.pause()
            self._set_state("paused")

    def resume(self) -> None:
        if self.worker is not None and self.state == "paused":
            self.worker.resume()
            self._set_state("running")

    def stop(self) -> None:
        """Ask the run to stop after its current batch; the last checkpoint stays."""
        if self.worker is not None and self.active:
            self.worker.stop()
            self._set_state("stopping")

    def shutdown(self, timeout: float = SHUTDOWN_SECONDS) -> bool:
        """Stop and wait for the training thread (at most `timeout` seconds); True when
        it has ended. Called before the window closes or another project opens."""
        if self.thread is None or self.worker is None:
            return True
        self.stop()
        thread, worker = self.thread, self.worker
        thread.quit()  # thread-safe; ends its event loop as soon as the trainer returns
        ended = thread.wait(int(timeout * 1000))
        _LINGERING[:] = [(t, w) for t, w in _LINGERING if not t.isFinished()]
        if not ended:
            _LINGERING.append((thread, worker))
        self._finish()
        return ended

    # ----- the GUI tick --------------------------------------------------------------
    def _on_timer_timeout(self) -> None:
        if self.buffer is None or self.worker is None:
            return
        delivery = self.buffer.drain(self.worker.state)
        if delivery.batches and self.state == "starting":
            self._set_state("running")
        if delivery:
            self.updated.emit(delivery)
            if delivery.epochs:
                self.epoch_ended.emit(delivery.epochs[-1])

    def _on_worker_done(self) -> None:
        if self.sender() is not self.worker:
            return  # a run given up on at shutdown ended late; it was recorded then
        if self.thread is not None:
            self.thread.quit()
            self.thread.wait()  # `done` comes just before the thread's run ends
        self._finish()

    def _finish(self) -> None:
        """Take the last events, record the outcome, let the thread go."""
        if self.worker is None or self.buffer is None:
            return
        self._on_timer_timeout()
        self._timer.stop()
        _SWITCH.run_ended()
        buffer, worker = self.buffer, self.worker
        result, error = buffer.result, buffer.error
        self.thread = self.worker = self.buffer = None
        status = outcome(result, error)
        self.result = result
        if result is not None:
            self.result_graph = worker.job.graph
            self.result_checkpoint = Path(result.checkpoint) if result.checkpoint else None
        self.last_error = error
        self._set_state(status)
        if error is not None:
            self.failed.emit(error)
        self.run_ended.emit(self.run)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)
