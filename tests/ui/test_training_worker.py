"""The QThread bridge on its own: however fast the trainer reports, the window gets at
most ~30 updates a second; stopping works at any moment, even before the model exists."""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import replace

import pytest

from dlstudio.data import load_data
from dlstudio.graph import Graph
from dlstudio.graph.templates import build_template
from dlstudio.runs import RunStore
from dlstudio.train import BatchStats, Trainer, defaults_for_template
from dlstudio.ui.training.controller import SWITCH_INTERVAL, TICK_MS, TrainingController
from dlstudio.ui.training.worker import EventBuffer


def _graph(name: str) -> Graph:
    built = build_template(name)
    return built if isinstance(built, Graph) else built.graph


@pytest.fixture
def controller(qtbot):
    made = TrainingController()
    yield made
    made.shutdown()


def test_the_window_gets_at_most_30_updates_a_second_from_a_fast_trainer(
        controller, qtbot, monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(Trainer, "batch_event_seconds", 0.0)  # an event every batch
    settings = replace(defaults_for_template("xor"), batch_size=1, epochs=10_000)
    data = load_data(settings.data, seed=0, val_fraction=settings.val_fraction)
    ticks: list[tuple[float, int]] = []
    controller.updated.connect(
        lambda d: ticks.append((time.perf_counter(), len(d.batches))))
    assert controller.start(_graph("xor"), data, settings, RunStore(tmp_path), "xor")
    qtbot.waitUntil(lambda: len(ticks) > 3, timeout=30_000)
    first = len(ticks)
    qtbot.wait(1500)
    window = ticks[first:]
    seconds = window[-1][0] - ticks[first - 1][0]
    batches = sum(count for _, count in window)
    assert batches / seconds > 200  # the trainer reports far faster than the screen …
    assert len(window) / seconds <= 1000 / TICK_MS + 1  # … the window updates ≤ ~30 Hz


def test_stop_before_the_model_is_built_ends_at_once(controller, qtbot, tmp_path) -> None:
    settings = replace(defaults_for_template("mlp"), epochs=50)
    data = load_data(settings.data, seed=0, val_fraction=settings.val_fraction)
    before = sys.getswitchinterval()
    assert controller.start(_graph("mlp"), data, settings, RunStore(tmp_path), "mlp")
    assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)  # the trainer's turn
    thread = controller.thread
    started = time.perf_counter()
    assert controller.shutdown()
    assert time.perf_counter() - started < 2.0 and thread.isFinished()
    assert controller.state == "stopped" and controller.thread is None
    assert sys.getswitchinterval() == before
    assert RunStore.load(controller.run.folder).status == "stopped"


def test_stop_while_paused_ends_the_run(controller, qtbot, tmp_path) -> None:
    settings = replace(defaults_for_template("mlp"), epochs=500)
    data = load_data(settings.data, seed=0, val_fraction=settings.val_fraction)
    with qtbot.waitSignal(controller.epoch_ended, timeout=30_000):
        controller.start(_graph("mlp"), data, settings, None, "mlp")
    controller.pause()
    qtbot.waitUntil(lambda: controller.worker.trainer.state == "paused", timeout=5000)
    with qtbot.waitSignal(controller.run_ended, timeout=5000):
        controller.stop()
    assert controller.state == "stopped"


def test_a_second_start_while_training_is_refused(controller, qtbot) -> None:
    settings = replace(defaults_for_template("mlp"), epochs=500)
    data = load_data(settings.data, seed=0, val_fraction=settings.val_fraction)
    assert controller.start(_graph("mlp"), data, settings)
    with qtbot.waitSignal(controller.refused) as refused:
        assert not controller.start(_graph("mlp"), data, settings)
    assert "already" in refused.args[0]


def test_the_buffer_keeps_order_across_threads_and_drains_once() -> None:
    buffer = EventBuffer()

    def produce() -> None:
        for batch in range(1, 5001):
            buffer.put_batch(BatchStats(1, batch, 5000, 0.5, 0.1, 100.0, 1.0))

    producer = threading.Thread(target=produce)
    producer.start()
    seen: list[int] = []
    while producer.is_alive() or len(seen) < 5000:
        seen += [b.batch for b in buffer.drain("running").batches]
    producer.join()
    assert seen == list(range(1, 5001))
    assert not buffer.drain("running")


def test_the_switch_interval_comes_back_when_the_last_of_two_runs_ends() -> None:
    from dlstudio.ui.training.controller import _SwitchInterval

    before = sys.getswitchinterval()
    runs = _SwitchInterval()
    runs.run_started()
    runs.run_started()  # a second window trains too
    runs.run_ended()
    assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)
    runs.run_ended()
    assert sys.getswitchinterval() == before
