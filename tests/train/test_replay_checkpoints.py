"""Replay: `checkpoint_every` keeps every N-th epoch's weights beside last.pt, a run lists
them by epoch, and each loads back to the weights of its own epoch."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from dlstudio.data import DataBundle
from dlstudio.runs import RunStore
from dlstudio.train import Trainer, TrainSettings, load_checkpoint
from dlstudio.train.events import EpochStats
from dlstudio.train.settings import TrainSettingsError


def _train(tmp_path, graph, data: DataBundle, settings: TrainSettings):
    """A real run kept as the app keeps it: a run folder, the trainer writing into its
    checkpoints/, the history saved after the run."""
    store = RunStore(tmp_path / "demo.runs")
    run = store.create(name="demo", data="builtin:digits", settings=settings.to_dict(),
                       graph=graph.to_dict())
    result = Trainer(graph, data, settings, out_dir=run.checkpoint_dir).run()
    run.history = [stats.to_dict() for stats in result.history]
    run.status = "finished"
    store.save(run)
    return store.load(run.folder), result


def test_every_second_epoch_is_kept_and_loads_back_with_its_own_weights(
        tmp_path, mlp, small_digits: DataBundle,
        settings: Callable[..., TrainSettings]) -> None:
    run, result = _train(tmp_path, mlp(), small_digits,
                         settings(epochs=4, checkpoint_every=2))
    folder = run.checkpoint_dir
    assert (folder / "epoch-0002.pt").is_file() and (folder / "epoch-0004.pt").is_file()
    assert not (folder / "epoch-0001.pt").exists() and not (folder / "epoch-0003.pt").exists()
    assert not list(folder.glob("*.tmp")) and not list(folder.glob(".*"))
    kept = run.epoch_checkpoints()
    assert kept[2] == folder / "epoch-0002.pt" and kept[4] == folder / "epoch-0004.pt"
    assert list(kept) == sorted(kept)
    second, fourth = load_checkpoint(kept[2]), load_checkpoint(kept[4])
    assert (second.epoch, fourth.epoch) == (2, 4)
    assert len(second.history) == 2 and len(fourth.history) == 4
    weights = second.model_state["fc1.weight"]
    assert not torch.equal(weights, fourth.model_state["fc1.weight"])  # it kept learning
    # the newest kept epoch is the run's last: the same weights as last.pt
    last = load_checkpoint(folder / "last.pt")
    assert all(torch.equal(v, last.model_state[k]) for k, v in fourth.model_state.items())
    # each builds a model whose predictions are its epoch's
    x = small_digits.val.inputs()[:32]
    with torch.no_grad():
        assert not torch.equal(second.build_model()(x), fourth.build_model()(x))
    assert result.history[-1].epoch == 4


def test_off_by_default_keeps_no_epoch_files_yet_replays_last_and_best(
        tmp_path, mlp, small_digits: DataBundle,
        settings: Callable[..., TrainSettings]) -> None:
    assert TrainSettings().checkpoint_every == 0
    run, _ = _train(tmp_path, mlp(), small_digits, settings(epochs=3))
    assert not list(run.checkpoint_dir.glob("epoch-*.pt"))
    kept = run.epoch_checkpoints()
    assert kept[3] == run.checkpoint_dir / "last.pt"  # the last epoch always exists
    assert set(kept) <= {1, 2, 3}
    for epoch, path in kept.items():
        assert load_checkpoint(path).epoch == epoch


def test_the_history_round_trips_every_epochs_confusion(
        tmp_path, mlp, small_digits: DataBundle,
        settings: Callable[..., TrainSettings]) -> None:
    run, result = _train(tmp_path, mlp(), small_digits,
                         settings(epochs=2, checkpoint_every=1))
    back = [EpochStats.from_dict(entry) for entry in run.history]
    assert [s.epoch for s in back] == [1, 2]
    for kept, live in zip(back, result.history, strict=True):
        assert kept.confusion == live.confusion
        assert sum(map(sum, kept.confusion)) == len(small_digits.val)
    assert back[0].confusion != back[1].confusion  # the matrix moves as it learns
    assert sorted(run.epoch_checkpoints()) == [1, 2]


def test_a_run_without_a_checkpoints_folder_lists_none(tmp_path) -> None:
    store = RunStore(tmp_path / "old.runs")
    run = store.create(name="old", data="builtin:digits", settings={}, graph={})
    run.history = [{"epoch": 1, "train": {"loss": 1.0}, "val": {}}]
    store.save(run)
    assert store.load(run.folder).epoch_checkpoints() == {}


@pytest.mark.parametrize("value", [-1, 1.5, True, "2"])
def test_a_bad_checkpoint_every_is_refused_by_name(value: object) -> None:
    with pytest.raises(TrainSettingsError, match="checkpoint_every"):
        TrainSettings(checkpoint_every=value)  # type: ignore[arg-type]
