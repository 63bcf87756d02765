"""Same seed, same losses to the bit on the CPU; a resumed run continues the same history."""

from __future__ import annotations

from collections.abc import Callable

from dlstudio.data import DataBundle
from dlstudio.train import EpochStats, Trainer, TrainSettings

# Dropout and augmentation draw random numbers every batch: a missed random state shows.
RANDOM = {"augment": {"noise": 0.1, "shift": 0.1}, "schedule": "step", "step_size": 1,
          "gamma": 0.5}


def _losses(history: list[EpochStats]) -> list[tuple[float, ...]]:
    return [(s.train["loss"], s.val["loss"], s.train["accuracy"], s.lr) for s in history]


def _run(mlp, data: DataBundle, settings: TrainSettings, **kwargs) -> list[EpochStats]:
    return Trainer(mlp(dropout=0.3), data, settings, **kwargs).run().history


def test_the_same_seed_gives_the_same_loss_history_to_the_bit(
        small_digits: DataBundle, mlp, settings: Callable[..., TrainSettings]) -> None:
    chosen = settings(epochs=3, seed=7, **RANDOM)
    first = _losses(_run(mlp, small_digits, chosen))
    assert first == _losses(_run(mlp, small_digits, chosen))
    assert first != _losses(_run(mlp, small_digits, settings(epochs=3, seed=8, **RANDOM)))


def test_two_epochs_and_a_resume_of_two_equal_four_epochs(
        small_digits: DataBundle, mlp, settings: Callable[..., TrainSettings],
        tmp_path) -> None:
    whole = _run(mlp, small_digits, settings(epochs=4, **RANDOM), out_dir=tmp_path / "whole")
    _run(mlp, small_digits, settings(epochs=2, **RANDOM), out_dir=tmp_path / "half")
    resumed = _run(mlp, small_digits, settings(epochs=4, **RANDOM), out_dir=tmp_path / "rest",
                   resume_from=tmp_path / "half" / "last.pt")
    assert [s.epoch for s in resumed] == [1, 2, 3, 4]
    assert _losses(resumed) == _losses(whole)


def test_a_run_stopped_after_two_epochs_resumes_to_the_same_end(
        small_digits: DataBundle, mlp, settings: Callable[..., TrainSettings],
        tmp_path) -> None:
    chosen = settings(epochs=4, schedule="onecycle", augment={"noise": 0.1})
    whole = _run(mlp, small_digits, chosen)
    stopped = Trainer(mlp(dropout=0.3), small_digits, chosen, out_dir=tmp_path)
    stopped.events.epoch_ended.connect(lambda stats: stats.epoch == 2 and stopped.stop())
    assert stopped.run().stopped
    resumed = _run(mlp, small_digits, chosen, resume_from=tmp_path / "last.pt")
    assert _losses(resumed) == _losses(whole)


def test_resuming_a_finished_run_adds_nothing(
        small_digits: DataBundle, mlp, settings: Callable[..., TrainSettings],
        tmp_path) -> None:
    done = _run(mlp, small_digits, settings(epochs=2), out_dir=tmp_path)
    again = _run(mlp, small_digits, settings(epochs=2), resume_from=tmp_path / "last.pt")
    assert _losses(again) == _losses(done)
