"""Seeded splits are reproducible and disjoint; index batching covers every sample."""

from __future__ import annotations

import pytest
import torch

from dlstudio.data import DataError, DataSplit, load_data
from dlstudio.data.pipeline import BatchPipeline
from dlstudio.data.splits import split_indices


def _as_set(index: torch.Tensor) -> set[int]:
    return set(index.tolist())


def test_split_indices_are_disjoint_complete_and_seeded() -> None:
    train, val, test = split_indices(100, seed=3, val_fraction=0.2, test_fraction=0.1)
    assert (len(train), len(val), len(test)) == (70, 20, 10)
    assert _as_set(train) | _as_set(val) | _as_set(test) == set(range(100))
    assert not (_as_set(train) & _as_set(val) or _as_set(train) & _as_set(test)
                or _as_set(val) & _as_set(test))
    again = split_indices(100, seed=3, val_fraction=0.2, test_fraction=0.1)
    assert all(torch.equal(a, b) for a, b in zip((train, val, test), again, strict=True))
    other = split_indices(100, seed=4, val_fraction=0.2, test_fraction=0.1)
    assert not torch.equal(val, other[1])


def test_a_tiny_fraction_still_gets_a_sample_and_training_keeps_one() -> None:
    _, val, _ = split_indices(5, seed=0, val_fraction=0.01, test_fraction=0.0)
    assert len(val) == 1
    with pytest.raises(DataError, match="too few"):
        split_indices(2, seed=0, val_fraction=0.4, test_fraction=0.4)


@pytest.mark.parametrize(("val", "test"), [(-0.1, 0.0), (1.0, 0.0), (0.6, 0.5)])
def test_bad_fractions_are_refused_by_name(val: float, test: float) -> None:
    with pytest.raises(DataError, match="fraction"):
        load_data("builtin:xor", val_fraction=val, test_fraction=test)


def test_loaded_splits_repeat_with_the_seed() -> None:
    first = load_data("builtin:blobs", seed=7, test_fraction=0.2)
    second = load_data("builtin:blobs", seed=7, test_fraction=0.2)
    third = load_data("builtin:blobs", seed=8, test_fraction=0.2)
    assert torch.equal(first.val.x, second.val.x) and torch.equal(first.test.y, second.test.y)
    assert not torch.equal(first.val.x, third.val.x)
    assert first.val is not None and load_data("builtin:blobs", val_fraction=0.0).val is None


def _split(count: int) -> DataSplit:
    x = torch.arange(count, dtype=torch.float32).unsqueeze(1)
    return DataSplit(x, torch.arange(count), BatchPipeline("vector"))


def test_shuffled_batches_visit_every_sample_once_and_repeat_with_a_generator() -> None:
    split = _split(10)
    batches = list(split.batches(4, shuffle=True, generator=torch.Generator().manual_seed(1)))
    assert [len(y) for _, y in batches] == [4, 4, 2]
    seen = torch.cat([y for _, y in batches])
    assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(range(10))
    for x, y in batches:
        assert torch.equal(x.squeeze(1).long(), y)  # inputs and targets stay paired
    again = list(split.batches(4, shuffle=True, generator=torch.Generator().manual_seed(1)))
    assert torch.equal(torch.cat([y for _, y in again]), seen)


def test_drop_last_and_batch_counts() -> None:
    split = _split(10)
    assert split.num_batches(4) == 3 and split.num_batches(4, drop_last=True) == 2
    assert [len(y) for _, y in split.batches(4, drop_last=True)] == [4, 4]
    with pytest.raises(ValueError, match="batch_size"):
        split.num_batches(0)


def test_bundle_moves_to_a_device_and_summarises() -> None:
    bundle = load_data("builtin:digits", test_fraction=0.1).to("cpu")
    assert bundle.train.device.type == "cpu"
    assert bundle.summary().startswith("digits: 1×8×8 images, 10 classes; ")
    assert "train" in bundle.summary() and "test" in bundle.summary()
