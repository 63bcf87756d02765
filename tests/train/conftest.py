"""Small real data and graphs for the trainer tests: the built-in 8×8 digits (cut down so
an epoch takes a fraction of a second) and a small MLP for them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import torch

from dlstudio.data import DataBundle, DataSplit, load_data
from dlstudio.graph import Graph
from dlstudio.train import TrainSettings

MakeGraph = Callable[..., Graph]


def digits_mlp(dropout: float = 0.0, hidden: int = 32, batchnorm: bool = False,
               frozen_bn: bool = False) -> Graph:
    """1×8×8 digits -> Flatten -> Dense -> ReLU [-> BatchNorm1d] [-> Dropout] -> Dense 10
    -> Softmax -> Output (cross-entropy)."""
    g = Graph()
    names = [g.add_node("Input", name="image", params={"kind": "image", "shape": (1, 8, 8)}),
             g.add_node("Flatten", name="flatten"),
             g.add_node("Dense", name="fc1", params={"units": hidden}),
             g.add_node("ReLU", name="relu")]
    if batchnorm:
        names.append(g.add_node("BatchNorm1d", name="bn",
                                params={"trainable": not frozen_bn}))
    if dropout:
        names.append(g.add_node("Dropout", name="dropout", params={"rate": dropout}))
    names += [g.add_node("Dense", name="fc2", params={"units": 10}),
              g.add_node("Softmax", name="softmax"),
              g.add_node("Output", name="output", params={"loss": "cross_entropy"})]
    for src, dst in zip(names, names[1:], strict=False):
        g.connect(src.id, dst.id)
    return g


def cut(bundle: DataBundle, train: int, val: int | None = None) -> DataBundle:
    """The first `train` (and `val`) samples of an in-memory bundle."""
    def part(split: Any, count: int | None) -> Any:
        if split is None or count is None:
            return split
        assert isinstance(split, DataSplit)
        return DataSplit(split.x[:count], split.y[:count], split.pipeline)

    return DataBundle(bundle.info, part(bundle.train, train), part(bundle.val, val), None)


@pytest.fixture(scope="session")
def digits() -> DataBundle:
    """The 8×8 digits: 1,527 train / 270 val, normalised."""
    return load_data("builtin:digits", seed=0)


@pytest.fixture
def small_digits(digits: DataBundle) -> DataBundle:
    """400 train / 100 val samples: an epoch in a few hundredths of a second."""
    return cut(digits, 400, 100)


@pytest.fixture
def shrink() -> Callable[..., DataBundle]:
    """shrink(bundle, train, val=None): the first samples of each split."""
    return cut


@pytest.fixture
def mlp() -> MakeGraph:
    return digits_mlp


@pytest.fixture
def settings() -> Callable[..., TrainSettings]:
    """TrainSettings for quick CPU runs, with overrides."""
    def make(**changes: Any) -> TrainSettings:
        base: dict[str, Any] = {"epochs": 2, "batch_size": 32, "lr": 0.01, "device": "cpu"}
        return TrainSettings(**{**base, **changes})

    return make



@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """These models are tiny: one CPU thread runs them as fast as two, and does not stall
    when the machine is busy (OpenMP waits for a second core). Restored afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
