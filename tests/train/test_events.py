"""What subscribers receive: throttled batch progress, full epoch records, JSON results."""

from __future__ import annotations

import json
from collections.abc import Callable

from dlstudio.data import DataBundle
from dlstudio.train import BatchStats, EpochStats, RunResult, Trainer, TrainSettings


def test_events_arrive_in_order_with_plain_numbers(
        small_digits: DataBundle, mlp, settings: Callable[..., TrainSettings]) -> None:
    trainer = Trainer(mlp(), small_digits, settings(epochs=2, batch_size=16))
    trainer.batch_event_seconds = 0.0
    seen: list[object] = []
    for event in ("batch_ended", "epoch_ended", "finished", "log"):
        getattr(trainer.events, event).connect(seen.append)
    result = trainer.run()
    batches = [e for e in seen if isinstance(e, BatchStats)]
    assert [(b.epoch, b.batch) for b in batches] == \
        [(epoch, n) for epoch in (1, 2) for n in range(1, 26)]
    assert all(b.batches == 25 and b.loss > 0 and b.lr == 0.01 for b in batches)
    epochs = [e for e in seen if isinstance(e, EpochStats)]
    assert epochs == result.history and seen[-1] is result
    assert isinstance(seen[0], str) and "training on cpu" in seen[0]
    last = epochs[-1]
    assert set(last.train) == set(last.val) == {"loss", "accuracy", "precision", "recall", "f1"}
    assert last.eta_seconds == 0 and epochs[0].eta_seconds > 0
    assert set(last.layer_stats) == {"fc1", "fc2"}
    assert all(v["grad_norm"] > 0 for v in last.layer_stats.values())
    assert sum(map(sum, last.confusion)) == 100  # the validation samples


def test_batch_events_are_throttled(small_digits: DataBundle, mlp,
                                    settings: Callable[..., TrainSettings]) -> None:
    trainer = Trainer(mlp(), small_digits, settings(epochs=3, batch_size=4))
    trainer.batch_event_seconds = 60.0  # only the end of each epoch gets through
    batches: list[BatchStats] = []
    trainer.events.batch_ended.connect(batches.append)
    trainer.run()
    assert [(b.epoch, b.batch) for b in batches] == [(1, 100), (2, 100), (3, 100)]


def test_the_result_is_json_and_epochs_round_trip(
        small_digits: DataBundle, mlp, settings: Callable[..., TrainSettings]) -> None:
    result: RunResult = Trainer(mlp(), small_digits, settings()).run()
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert [e["epoch"] for e in data["epochs"]] == [1, 2]
    assert data["final"] == result.final and data["device"].startswith("cpu")
    assert data["checkpoint"] is None and data["stopped"] is False
    assert EpochStats.from_dict(data["epochs"][1]) == result.history[1]
