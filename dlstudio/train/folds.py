"""k-fold cross-validation: the data split into K parts, each held out once.

One number from one validation split depends on which samples landed there; K runs,
each validating on a different K-th of the data, give a mean and a spread instead. The
parts are drawn by a seeded shuffle, so the same seed gives the same folds; for a
classifier whose samples fit in memory each class is dealt out evenly over the parts
(stratified), so every fold sees the classes in the proportions of the whole.

Windows cut from one long series (sequences, text) are split by position instead, in
consecutive stretches, as their train / val / test split is. A test split, when the
data has one, stays out of every fold. Each fold's training part
gets its own normalisation, measured on it alone, as a plain split does. No Qt.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import torch
from torch.utils.data import Subset

from dlstudio.data import DataBundle, DataError, DataSplit, Split, StreamingSplit
from dlstudio.data.info import Normalisation
from dlstudio.data.pipeline import measure_normalisation

MIN_FOLDS, MAX_FOLDS = 2, 20
SEQUENCE_KINDS = ("sequence", "tokens")  # windows of one long series: folds by position
NORMALISATION_SAMPLES = 10_000  # a fold's normalisation is measured on at most these


@dataclass(frozen=True)
class Fold:
    """The 1-based `number` of `count`, and the pool's indices it trains and validates on."""

    number: int
    count: int
    train: torch.Tensor
    val: torch.Tensor


def check_folds(k: int, samples: int) -> None:
    """DataError (one line) unless K parts of `samples` can each train and validate."""
    if not MIN_FOLDS <= k <= MAX_FOLDS:
        raise DataError(f"folds must be between {MIN_FOLDS} and {MAX_FOLDS}, got {k}")
    if k > samples:
        raise DataError(f"{k} folds need at least {k} samples; the data has {samples} "
                        "to split (the test split stays out of the folds)")


def fold_parts(count: int, k: int, seed: int, labels: torch.Tensor | None = None,
               contiguous: bool = False) -> list[torch.Tensor]:
    """`count` indices dealt into `k` disjoint parts that together hold them all, sizes
    within one of each other. With `labels` (class ids) each class is spread evenly;
    `contiguous`: consecutive stretches in stored order instead (windows cut from one
    sequence overlap their neighbours, so a shuffle would validate on training data)."""
    check_folds(k, count)
    if contiguous:
        return list(torch.arange(count).tensor_split(k))
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(count, generator=generator)
    if labels is not None:  # a stable sort by class keeps the shuffle within each class
        order = order[torch.sort(labels[order], stable=True).indices]
    slot = torch.arange(count) % k
    return [torch.sort(order[slot == part]).values for part in range(k)]


def make_folds(bundle: DataBundle, k: int, seed: int) -> list[Fold]:
    """The K folds of `bundle`'s training pool (its train and val splits together)."""
    pool = pool_of(bundle)
    parts = fold_parts(len(pool), k, seed, _labels(pool, bundle),
                       contiguous=bundle.info.kind in SEQUENCE_KINDS)
    folds = []
    for number, val in enumerate(parts, 1):
        train = torch.cat([part for index, part in enumerate(parts, 1) if index != number])
        folds.append(Fold(number, k, torch.sort(train).values, val))
    return folds


def pool_of(bundle: DataBundle) -> Split:
    """Every sample the folds share out: train and val as one split (load the data with
    val_fraction 0 and this is the train split itself)."""
    if bundle.val is None or len(bundle.val) == 0:
        return bundle.train
    train, val = bundle.train, bundle.val
    if isinstance(train, DataSplit) and isinstance(val, DataSplit):
        return DataSplit(torch.cat([train.x, val.x.to(train.device)]),
                         torch.cat([train.y, val.y.to(train.device)]), train.pipeline)
    raise DataError("cross-validation needs the data loaded without a validation split")


def fold_bundle(bundle: DataBundle, fold: Fold) -> DataBundle:
    """The data one fold trains on: the pool's other parts, its own part as validation,
    the bundle's test split as it is, all with the fold's own normalisation."""
    pool = pool_of(bundle)
    train, val = _subset(pool, fold.train), _subset(pool, fold.val)
    norm = _fold_normalisation(train, fold)
    if norm is None:
        return DataBundle(bundle.info, train, val, bundle.test)
    test = bundle.test

    def renormed(split: Split | None) -> Split | None:
        if split is None:
            return None
        return replace(split, pipeline=replace(split.pipeline, normalisation=norm))

    return DataBundle(replace(bundle.info, normalisation=norm), renormed(train),
                      renormed(val), renormed(test))


def _subset(split: Split, index: torch.Tensor) -> Split:
    if isinstance(split, DataSplit):
        at = index.to(split.x.device)
        return DataSplit(split.x[at], split.y[at], split.pipeline)
    assert isinstance(split, StreamingSplit)
    return replace(split, dataset=Subset(split.dataset, index.tolist()))


def _fold_normalisation(train: Split, fold: Fold) -> Normalisation | None:
    """Measured on the fold's training part (shuffled by the fold's number, as
    `measure_normalisation` reads the first samples); None to keep the pool's (streamed
    images, or data that is not normalised)."""
    if not isinstance(train, DataSplit) or train.pipeline.normalisation is None:
        return None
    order = torch.randperm(len(train), generator=torch.Generator().manual_seed(fold.number))
    order = order[:NORMALISATION_SAMPLES]  # gather what is read, not a copy of the fold
    return measure_normalisation(train.x[order.to(train.x.device)], train.pipeline,
                                 max_samples=NORMALISATION_SAMPLES)


def _labels(pool: Split, bundle: DataBundle) -> torch.Tensor | None:
    """Class ids to stratify by: in-memory classification data with one label per
    sample; None otherwise (a plain shuffle)."""
    if bundle.info.task != "classification" or not isinstance(pool, DataSplit):
        return None
    y = pool.y
    if y.dim() != 1 or y.is_floating_point():
        return None
    return y.cpu()


# ----- the summary over the folds -------------------------------------------------------
def mean_and_std(values: Sequence[dict[str, float]]) -> tuple[dict[str, float],
                                                              dict[str, float]]:
    """Per metric (those every fold has): the mean, and the population standard
    deviation (numpy's default, what scikit-learn's cross-validation examples print)."""
    if not values:
        return {}, {}
    names = [name for name in values[0] if all(name in v for v in values)]
    mean = {name: math.fsum(v[name] for v in values) / len(values) for name in names}
    std = {name: math.sqrt(math.fsum((v[name] - mean[name]) ** 2 for v in values)
                           / len(values)) for name in names}
    return mean, std
