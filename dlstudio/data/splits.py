"""Train / validation / test splits and the batches the trainer draws from them.

Data that fits in memory stays a pair of tensors (moved to the device once) and is
batched by indexing: no per-sample DataLoader overhead. Folder datasets stream through a
DataLoader instead. Both kinds offer the same `batches()`, so the trainer needs no case.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import torch
from torch.utils.data import DataLoader, Dataset

from dlstudio.data.errors import DataError
from dlstudio.data.info import DataInfo
from dlstudio.data.pipeline import Augment, BatchPipeline, measure_normalisation

Batch = tuple[torch.Tensor, torch.Tensor]


def _batch_count(size: int, batch_size: int, drop_last: bool) -> int:
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    return size // batch_size if drop_last else -(-size // batch_size)


@dataclass(frozen=True, eq=False)
class DataSplit:
    """Samples held as tensors: `x` in stored form (see `pipeline`), `y` the targets."""

    x: torch.Tensor
    y: torch.Tensor
    pipeline: BatchPipeline

    in_memory = True

    def __len__(self) -> int:
        return len(self.y)

    @property
    def device(self) -> torch.device:
        return self.x.device

    def to(self, device: torch.device | str) -> DataSplit:
        return DataSplit(self.x.to(device), self.y.to(device), self.pipeline)

    def num_batches(self, batch_size: int, drop_last: bool = False) -> int:
        return _batch_count(len(self), batch_size, drop_last)

    def batches(self, batch_size: int, *, shuffle: bool = False,
                generator: torch.Generator | None = None, drop_last: bool = False,
                augment: Augment | None = None) -> Iterator[Batch]:
        """(inputs, targets) batches on the split's device, inputs ready for the model.

        `generator` makes the shuffle and the augmentation repeatable.
        """
        count = self.num_batches(batch_size, drop_last)
        order = None
        if shuffle:
            device = generator.device if generator is not None else None
            order = torch.randperm(len(self), generator=generator, device=device)
            order = order.to(self.device)
        for number in range(count):
            start, stop = number * batch_size, min((number + 1) * batch_size, len(self))
            if order is None:
                x, y = self.x[start:stop], self.y[start:stop]
            else:
                index = order[start:stop]
                x, y = self.x[index], self.y[index]
            yield self.pipeline(x, augment=augment, generator=generator), y

    def inputs(self) -> torch.Tensor:
        """Every sample ready for the model at once: for small sets and previews."""
        return self.pipeline(self.x)


@dataclass(frozen=True, eq=False)
class StreamingSplit:
    """Samples read from disk by a DataLoader, batch by batch (image folders).

    `dataset[i]` gives (image tensor in 0..1 at the final size, class id); the pipeline
    then augments and normalises each batch on `device`.
    """

    dataset: Dataset
    pipeline: BatchPipeline
    device: torch.device = torch.device("cpu")
    num_workers: int = 0

    in_memory = False

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def to(self, device: torch.device | str) -> StreamingSplit:
        return replace(self, device=torch.device(device))

    def num_batches(self, batch_size: int, drop_last: bool = False) -> int:
        return _batch_count(len(self), batch_size, drop_last)

    def batches(self, batch_size: int, *, shuffle: bool = False,
                generator: torch.Generator | None = None, drop_last: bool = False,
                augment: Augment | None = None) -> Iterator[Batch]:
        self.num_batches(batch_size, drop_last)  # validates batch_size
        loader = DataLoader(self.dataset, batch_size=batch_size, shuffle=shuffle,
                            generator=generator, drop_last=drop_last,
                            num_workers=self.num_workers,
                            pin_memory=self.device.type == "cuda")
        for x, y in loader:
            x = x.to(self.device, non_blocking=True)
            y = y.to(self.device, non_blocking=True)
            yield self.pipeline(x, augment=augment, generator=generator), y


Split = DataSplit | StreamingSplit


@dataclass(frozen=True, eq=False)
class DataBundle:
    """A loaded dataset: its splits (val and test may be None) and its `DataInfo`."""

    info: DataInfo
    train: Split
    val: Split | None = None
    test: Split | None = None

    def to(self, device: torch.device | str) -> DataBundle:
        return DataBundle(self.info, self.train.to(device),
                          None if self.val is None else self.val.to(device),
                          None if self.test is None else self.test.to(device))

    def summary(self) -> str:
        sizes = [f"{len(self.train)} train"]
        sizes += [f"{len(split)} {name}" for name, split in (("val", self.val),
                                                              ("test", self.test)) if split]
        return f"{self.info.summary()}; {' / '.join(sizes)}"


def split_indices(count: int, *, seed: int, val_fraction: float,
                  test_fraction: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Disjoint train / val / test index sets drawn by a seeded shuffle of `count` items.

    A non-zero fraction always gets at least one sample; training keeps at least one.
    """
    _, n_val, n_test = split_sizes(count, val_fraction, test_fraction)
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed))
    return order[n_val + n_test:], order[:n_val], order[n_val:n_val + n_test]


def split_sizes(count: int, val_fraction: float, test_fraction: float
                ) -> tuple[int, int, int]:
    """How many samples train, val and test get out of `count`."""
    check_fractions(val_fraction, test_fraction)
    n_val = _share(count, val_fraction)
    n_test = _share(count, test_fraction)
    if count - n_val - n_test < 1:
        raise DataError(f"{count} samples are too few for val_fraction {val_fraction} and "
                        f"test_fraction {test_fraction}: no training sample would be left")
    return count - n_val - n_test, n_val, n_test


def check_fractions(val_fraction: float, test_fraction: float) -> None:
    for name, value in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not 0.0 <= value < 1.0:
            raise DataError(f"{name} must be at least 0 and below 1, got {value}")
    if val_fraction + test_fraction >= 1.0:
        raise DataError(f"val_fraction {val_fraction} + test_fraction {test_fraction} "
                        "leave nothing to train on: keep their sum below 1")


def _share(count: int, fraction: float) -> int:
    return 0 if fraction == 0 else max(1, round(count * fraction))


def in_memory_bundle(x: torch.Tensor, y: torch.Tensor, info: DataInfo,
                     pipeline: BatchPipeline, *, seed: int, val_fraction: float,
                     test_fraction: float, normalise: bool,
                     test: tuple[torch.Tensor, torch.Tensor] | None = None,
                     indices: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
                     ) -> DataBundle:
    """Split `x, y` (seeded), measure the normalisation on the training part only (so no
    validation statistics leak into training) and record it in both pipeline and info.

    `test` is an official test set that replaces the `test_fraction` share; `indices`
    replaces the random split (sequence data split by position).
    """
    if indices is None:
        indices = split_indices(len(y), seed=seed, val_fraction=val_fraction,
                                test_fraction=0.0 if test is not None else test_fraction)
    train_idx, val_idx, test_idx = indices
    if normalise:
        norm = measure_normalisation(x[train_idx], pipeline)
        pipeline = replace(pipeline, normalisation=norm)
        info = replace(info, normalisation=norm)

    def make(index: torch.Tensor) -> DataSplit | None:
        return DataSplit(x[index], y[index], pipeline) if len(index) else None

    train = make(train_idx)
    if train is None:
        raise DataError(f"{info.name}: no training samples")
    test_split = make(test_idx) if test is None else DataSplit(test[0], test[1], pipeline)
    return DataBundle(info, train, make(val_idx), test_split)
