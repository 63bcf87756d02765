"""The pre-flight plan in the "Data and training" panel: one or two lines under the Train
controls, details in the tooltip (train/plan.py computes it).

Memory is recomputed from the shapes at once, whenever the graph, the settings or the
data change (milliseconds). Time needs a few real training steps, so it is measured on a
background thread: when "Estimate time" is pressed, or by itself once the panel has been
idle for a few seconds with the data loaded. Never while a run trains: a run that starts
cancels a timing in progress at its next step, and the button is off until it ends.
"""

from __future__ import annotations

import html
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from dlstudio.data import DataBundle
from dlstudio.graph import Graph
from dlstudio.graph.inference import ShapeReport
from dlstudio.train import TrainingError, TrainSettings, TrainSettingsError
from dlstudio.train.control import RunControl
from dlstudio.train.memory import LIMIT_HINT, format_bytes
from dlstudio.train.plan import Plan, PlanCancelled, TimeEstimate, format_duration
from dlstudio.ui.theme import current_ui_colors

AUTO_MS = 4000  # idle this long (data loaded, nothing training): the time is measured
REFRESH_MS = 150  # edits within this are one memory update
APP_LIMIT_HINT = "raise Memory limit (Settings > Run)"
ACTIVE_STATES = ("starting", "running", "paused", "stopping")
NBSP = "\u00a0"
JOIN_SECONDS = 10.0  # the most a starting run waits for a timing to end
EMPTY_TEXT = "Plan: the memory and time of a run appear here."


@dataclass(frozen=True)
class PlanInputs:
    """What the plan is made of, as the Train button would use it now."""

    graph: Graph
    settings: TrainSettings
    data: DataBundle | None  # None: not loaded yet (memory only)
    report: ShapeReport | None = None  # the graph's shapes when the caller has them

    def key(self) -> tuple[Any, ...]:
        """What a measured time belongs to: the network (not where its nodes sit), the
        settings and the loaded data."""
        graph = self.graph.to_dict()
        nodes = [{k: v for k, v in node.items() if k != "position"}
                 for node in graph.get("nodes", [])]
        return (json.dumps(nodes, sort_keys=True, default=str),
                json.dumps(graph.get("edges"), sort_keys=True, default=str),
                json.dumps(self.settings.to_dict(), sort_keys=True, default=str),
                id(self.data))


class PlanView(QWidget):
    """The plan's line and the "Estimate time" button; the presenter fills them."""

    estimate_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.button = QPushButton("Estimate time")
        self.button.setToolTip("Time a few real training steps on the chosen device (on "
                               "a copy of the model: nothing is trained or saved)")
        self.button.clicked.connect(self.estimate_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignTop)
        self.warning = False
        self.show_text(EMPTY_TEXT, "")

    def show_text(self, text: str, tooltip: str, warning: bool = False) -> None:
        self.warning = warning
        colors = current_ui_colors()
        self.label.setStyleSheet(f"color: {colors.warning};" if warning else "")
        self.label.setText(text)
        tip = f"<qt>{html.escape(tooltip).replace(chr(10), '<br>')}</qt>" if tooltip else ""
        self.label.setToolTip(tip)


def short_text(plan: Plan, timing: bool = False) -> str:
    """The one or two lines shown: memory, then the time (or that it is being timed).
    A number and its unit never part at the end of a line."""
    m = plan.memory

    def size(count: int) -> str:
        return format_bytes(count).replace(" ", NBSP)

    def duration(seconds: float) -> str:
        return format_duration(seconds).replace(" ", NBSP)

    if not plan.fits:
        allowed = "allowed" if plan.limit_where.startswith("the memory limit") else "free"
        return (f"Plan: cannot fit: a batch of {m.batch_size} needs {size(m.total)}, "
                f"{size(plan.limit or 0)} is {allowed} (lower the batch size)")
    text = f"Plan: {size(m.total)} for a batch of {m.batch_size}"
    if plan.limit is not None:
        text += f" ({size(plan.limit)} free)" if "free" in plan.limit_where \
            else f" ({size(plan.limit)} allowed)"
    if timing:
        return text + " · timing a few steps…"
    t = plan.time
    if t is not None:
        text += f" · about {duration(t.epoch_seconds)} an epoch"
        if t.epochs > 1:
            text += f", {duration(t.run_seconds)} for {t.epochs} epochs"
    return text


def details(plan: Plan) -> str:
    """The tooltip: the whole plan with the parts of the time."""
    text = plan.summary().replace(LIMIT_HINT, APP_LIMIT_HINT)
    t = plan.time
    if t is not None:
        text += (f"\n\nA training batch took {t.step_seconds * 1000:.3g} ms ({t.timed_steps} "
                 f"timed steps after a warm-up, on a copy of the model); a validation batch "
                 f"{t.val_batch_seconds * 1000:.3g} ms (x {t.val_batches}); the checkpoint "
                 f"{t.checkpoint_seconds * 1000:.3g} ms; preparing the data "
                 f"{t.setup_seconds * 1000:.3g} ms once.")
    elif plan.fits:
        text += "\n\nPress Estimate time to time a few steps on the device."
    return text


class _Bridge(QObject):
    """Carries the timing thread's answer to the GUI thread (a queued signal)."""

    done = Signal(object, object, str)  # key, TimeEstimate or None, problem


class PlanPresenter(QObject):
    """Keeps a PlanView up to date from `inputs()` (raises TrainSettingsError, or
    TrainingError for a device that is not here) and times runs on a thread."""

    def __init__(self, view: PlanView, inputs: Callable[[], PlanInputs],
                 parent: QObject | None = None, auto_ms: int = AUTO_MS) -> None:
        super().__init__(parent)
        self.view, self.inputs = view, inputs
        self.plan: Plan | None = None
        self._key: tuple[Any, ...] | None = None
        self._times: dict[tuple[Any, ...], TimeEstimate] = {}
        self._problems: dict[tuple[Any, ...], str] = {}  # why a timing failed
        self.load_data: Callable[[], DataBundle | None] | None = None  # for a request
        self._thread: threading.Thread | None = None
        self._control: RunControl | None = None
        self._wanted = False  # a timing was asked for while another was ending
        self._training = False
        self._bridge = _Bridge(self)
        self._bridge.done.connect(self._on_timing_done)
        self._refresh = QTimer(self, singleShot=True, interval=REFRESH_MS)
        self._refresh.timeout.connect(self.refresh)
        self._auto = QTimer(self, singleShot=True, interval=auto_ms)
        self._auto.timeout.connect(self._on_auto_timeout)
        view.estimate_requested.connect(self.estimate)

    # ----- memory, at once ------------------------------------------------------------
    def changed(self, *_: object) -> None:
        """Something the plan depends on changed: refresh soon, time again when idle."""
        self._refresh.start()

    def refresh(self) -> Plan | None:
        from dlstudio.train.plan import plan_memory

        self._refresh.stop()
        try:
            inputs = self.inputs()
            if not inputs.graph.nodes or (inputs.report is not None
                                          and not inputs.report.ok):
                return self._clear("Plan: shown once the graph has no problems"
                                   if inputs.graph.nodes else EMPTY_TEXT)
            plan = plan_memory(inputs.graph, inputs.settings, report=inputs.report)
        except (TrainSettingsError, TrainingError) as error:
            self.plan = self._key = None
            self.view.show_text("Plan: not available until the settings are fixed",
                                str(error), warning=True)
            self._enable()
            return None
        key = inputs.key()
        if key != self._key and self._control is not None:
            self._control.stop()  # timing an older graph or settings: not wanted now
        self._key = key
        self.plan = replace(plan, time=self._times.get(key))
        self._show()
        if self.plan.time is None and self.plan.fits and inputs.data is not None \
                and key not in self._problems:
            self._auto.start()
        return self.plan

    def _clear(self, text: str) -> None:
        """No plan to show (an empty or broken graph): say why, offer no timing."""
        if self._control is not None:
            self._control.stop()
        self.plan = self._key = None
        self.view.show_text(text, "")
        self._enable()

    def _show(self) -> None:
        plan = self.plan
        if plan is None:
            return
        timing = self._thread is not None and self._control is not None \
            and not self._control.stopping
        text, tip = short_text(plan, timing), details(plan)
        problem = self._problems.get(self._key) if self._key is not None else None
        if problem and not timing:
            text += " · the time could not be measured"
            tip += f"\n\n{problem}"
        self.view.show_text(text, tip, warning=not plan.fits or bool(problem and not timing))
        self._enable()

    def _enable(self) -> None:
        ok = self.plan is not None and self.plan.fits and not self._training
        self.view.button.setEnabled(ok and self._thread is None)

    # ----- time, on a thread -----------------------------------------------------------
    def estimate(self) -> bool:
        """Start timing the current plan; False when it cannot start now."""
        self._auto.stop()
        plan = self.refresh()
        if plan is None or not plan.fits or self._training:
            return False
        if self._thread is not None:
            self._wanted = True
            return True
        inputs = self.inputs()
        data = inputs.data
        if data is None and self.load_data is not None:
            data = self.load_data()
        if data is None:
            return False
        key = inputs.key() if data is inputs.data else replace(inputs, data=data).key()
        self._key = key
        self._problems.pop(key, None)  # asked again: try again
        control = self._control = RunControl()
        self._thread = threading.Thread(target=self._time, daemon=True, name="plan",
                                        args=(inputs.graph, data, inputs.settings, key,
                                              control))
        self._thread.start()
        self._show()
        return True

    def _time(self, graph: Graph, data: DataBundle, settings: TrainSettings,
              key: tuple[Any, ...], control: RunControl) -> None:
        from dlstudio.data import DataError
        from dlstudio.train.plan import measure_time

        result, problem = None, ""
        try:
            result = measure_time(graph, data, settings, control=control)
        except PlanCancelled:
            problem = "cancelled"
        except (TrainingError, DataError, ValueError, RuntimeError) as error:
            problem = str(error).splitlines()[0] if str(error) else type(error).__name__
        self._bridge.done.emit(key, result, problem)

    def _on_timing_done(self, key: tuple[Any, ...], result: TimeEstimate | None,
                        problem: str) -> None:
        if self._thread is not None:
            self._thread.join()
        self._thread = self._control = None
        if result is not None:
            self._times[key] = result
        elif problem != "cancelled":
            self._problems[key] = problem
        self.refresh()
        if self._wanted:
            self._wanted = False
            self.estimate()

    def _on_auto_timeout(self) -> None:
        if not self._training and self._thread is None:
            self.estimate()

    # ----- runs -----------------------------------------------------------------------
    def set_training_state(self, state: str) -> None:
        """A run started (cancel any timing, offer none) or ended."""
        self._training = state in ACTIVE_STATES
        if self._training:
            self._auto.stop()
            self._wanted = False
            if self._control is not None:
                self._control.stop()
            if self._thread is not None and state == "starting":
                # "starting" comes before the run's thread starts: let the timing end
                # (within a step) and put the random state back before the run seeds it
                self._thread.join(JOIN_SECONDS)
        self._enable()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop a timing in progress and wait for its thread (the window closes)."""
        self._auto.stop()
        self._refresh.stop()
        if self._control is not None:
            self._control.stop()
        if self._thread is not None:
            self._thread.join(timeout)
