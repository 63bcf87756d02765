"""k-fold splits (dlstudio/train/folds.py): every sample validated exactly once, parts of
even size and class mix, the same folds for the same seed, a test split kept out."""

from __future__ import annotations

import math

import pytest
import torch

from dlstudio.data import DataError, load_data
from dlstudio.train.folds import fold_bundle, fold_parts, make_folds, mean_and_std


@pytest.mark.parametrize(("count", "k"), [(10, 2), (97, 5), (20, 20), (33, 7)])
def test_parts_cover_every_index_once_with_even_sizes(count: int, k: int) -> None:
    parts = fold_parts(count, k, seed=4)
    assert len(parts) == k
    joined = torch.cat(parts)
    assert sorted(joined.tolist()) == list(range(count))
    sizes = [len(part) for part in parts]
    assert max(sizes) - min(sizes) <= 1


def test_parts_are_seeded() -> None:
    first = fold_parts(50, 5, seed=1)
    assert all(torch.equal(a, b) for a, b in zip(first, fold_parts(50, 5, seed=1),
                                                  strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(first, fold_parts(50, 5, seed=2),
                                                      strict=True))


def test_sequence_parts_are_consecutive_stretches() -> None:
    parts = fold_parts(11, 3, seed=0, contiguous=True)
    assert [part.tolist() for part in parts] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10]]


def test_parts_are_stratified_by_class() -> None:
    labels = torch.tensor([0] * 30 + [1] * 12 + [2] * 6)[torch.randperm(48)]
    for part in fold_parts(48, 6, seed=0, labels=labels):
        assert torch.bincount(labels[part], minlength=3).tolist() == [5, 2, 1]


@pytest.mark.parametrize(("k", "count", "words"), [
    (1, 10, "between 2 and 20"), (21, 100, "between 2 and 20"), (8, 5, "5")])
def test_bad_k_is_refused(k: int, count: int, words: str) -> None:
    with pytest.raises(DataError, match=words):
        fold_parts(count, k, seed=0)


def test_folds_of_a_bundle_keep_the_test_split_out() -> None:
    data = load_data("builtin:blobs", seed=0, val_fraction=0.0, test_fraction=0.2)
    assert data.test is not None and data.val is None
    folds = make_folds(data, 4, seed=0)
    test_rows = {tuple(row) for row in data.test.x.tolist()}
    seen: list[tuple[float, ...]] = []
    for fold in folds:
        bundle = fold_bundle(data, fold)
        assert bundle.test is data.test
        assert len(bundle.train) + len(bundle.val) == len(data.train)
        train_rows = {tuple(row) for row in bundle.train.x.tolist()}
        val_rows = [tuple(row) for row in bundle.val.x.tolist()]
        assert not train_rows & set(val_rows) and not test_rows & set(val_rows)
        seen += val_rows
    assert sorted(seen) == sorted(tuple(row) for row in data.train.x.tolist())


def test_each_fold_measures_its_own_normalisation() -> None:
    data = load_data("builtin:digits", seed=0, val_fraction=0.0)
    assert data.info.normalisation is not None
    folds = make_folds(data, 3, seed=0)
    norms = {fold_bundle(data, fold).info.normalisation for fold in folds}
    assert len(norms) == 3  # measured on each fold's training part, not the whole pool
    bundle = fold_bundle(data, folds[0])
    assert bundle.train.pipeline.normalisation == bundle.info.normalisation
    assert bundle.val.pipeline.normalisation == bundle.info.normalisation


def test_mean_and_population_std() -> None:
    mean, std = mean_and_std([{"loss": 1.0, "acc": 0.5}, {"loss": 3.0, "acc": 0.7},
                              {"loss": 2.0}])
    assert mean == {"loss": 2.0} and std == {"loss": pytest.approx(math.sqrt(2 / 3))}
    assert mean_and_std([]) == ({}, {})
