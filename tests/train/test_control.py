"""Pause, resume and stop from another thread take effect within one batch."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from dlstudio.data import DataBundle
from dlstudio.train import BatchStats, RunResult, Trainer, TrainSettings


def _wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.002)


class Recorder:
    """Runs a trainer on a thread, seeing every batch (no throttling)."""

    def __init__(self, trainer: Trainer) -> None:
        trainer.batch_event_seconds = 0.0
        self.trainer = trainer
        self.batches: list[BatchStats] = []
        self.result: RunResult | None = None
        trainer.events.batch_ended.connect(self.batches.append)
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        self.result = self.trainer.run()

    def done(self) -> int:
        return len(self.batches)


@pytest.fixture
def recorder(digits: DataBundle, mlp, settings: Callable[..., TrainSettings]) -> Recorder:
    # Batches of 2 samples: hundreds per epoch, so the run outlasts the test's checks.
    return Recorder(Trainer(mlp(), digits, settings(epochs=50, batch_size=2)))


def test_pause_holds_the_loop_within_one_batch_and_resume_goes_on(recorder: Recorder) -> None:
    trainer = recorder.trainer
    recorder.thread.start()
    _wait_for(lambda: recorder.done() >= 5)
    trainer.pause()
    at_request = recorder.done()
    _wait_for(lambda: trainer.state == "paused")
    held = recorder.done()
    assert held - at_request <= 1
    time.sleep(0.2)
    assert recorder.done() == held  # nothing runs while paused
    trainer.resume()
    _wait_for(lambda: recorder.done() > held + 3)
    assert trainer.state == "running"
    trainer.stop()
    recorder.thread.join(10)
    assert trainer.state == "finished"


def test_stop_ends_the_run_within_one_batch(recorder: Recorder) -> None:
    trainer = recorder.trainer
    recorder.thread.start()
    _wait_for(lambda: recorder.done() >= 5)
    trainer.stop()
    at_request = recorder.done()
    recorder.thread.join(10)
    assert not recorder.thread.is_alive()
    assert recorder.done() - at_request <= 1
    assert recorder.result is not None and recorder.result.stopped
    assert recorder.result.history == []  # the interrupted epoch is dropped
    assert trainer.state == "finished"


def test_stop_while_paused_ends_the_run(recorder: Recorder) -> None:
    trainer = recorder.trainer
    recorder.thread.start()
    _wait_for(lambda: recorder.done() >= 2)
    trainer.pause()
    _wait_for(lambda: trainer.state == "paused")
    trainer.stop()
    recorder.thread.join(10)
    assert recorder.result is not None and recorder.result.stopped


def test_stop_keeps_finished_epochs_and_their_checkpoint(
        small_digits: DataBundle, mlp, settings: Callable[..., TrainSettings],
        tmp_path) -> None:
    trainer = Trainer(mlp(), small_digits, settings(epochs=20), out_dir=tmp_path)
    trainer.events.epoch_ended.connect(lambda stats: stats.epoch == 2 and trainer.stop())
    result = trainer.run()
    assert result.stopped and len(result.history) == 2
    assert result.checkpoint == str(tmp_path / "last.pt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.pt", "history.json", "last.pt"]


def test_a_trainer_runs_once(small_digits: DataBundle, mlp,
                             settings: Callable[..., TrainSettings]) -> None:
    trainer = Trainer(mlp(), small_digits, settings(epochs=1))
    trainer.run()
    with pytest.raises(RuntimeError, match="runs once"):
        trainer.run()
