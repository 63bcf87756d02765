"""The two ways data reaches the loop: device tensors by index, and folders streamed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from PIL import Image

from dlstudio.data import DataBundle, StreamingSplit, load_data
from dlstudio.graph import Graph
from dlstudio.train import Trainer, TrainSettings
from dlstudio.train.feed import make_feed


@pytest.fixture
def colour_folder(tmp_path: Path) -> Path:
    """Red and blue 12×10 PNGs, 20 of each, a little noise so no two are the same."""
    rng = torch.Generator().manual_seed(0)
    for name, channel in (("red", 0), ("blue", 2)):
        for i in range(20):
            pixels = torch.randint(0, 60, (10, 12, 3), generator=rng, dtype=torch.uint8)
            pixels[..., channel] = 200
            (tmp_path / name).mkdir(exist_ok=True)
            Image.fromarray(pixels.numpy()).save(tmp_path / name / f"{i:02d}.png")
    return tmp_path


def _image_mlp(shape: tuple[int, int, int]) -> Graph:
    g = Graph()
    nodes = [g.add_node("Input", name="image", params={"kind": "image", "shape": shape}),
             g.add_node("Flatten", name="flatten"),
             g.add_node("Dense", name="fc", params={"units": 2}),
             g.add_node("Softmax", name="softmax"),
             g.add_node("Output", name="output")]
    for src, dst in zip(nodes, nodes[1:], strict=False):
        g.connect(src.id, dst.id)
    return g


def test_a_folder_dataset_streams_and_learns(
        colour_folder: Path, settings: Callable[..., TrainSettings]) -> None:
    data = load_data(f"folder:{colour_folder}", val_fraction=0.25)
    assert isinstance(data.train, StreamingSplit)
    chosen = settings(epochs=4, batch_size=8, lr=0.05, augment={"flip_horizontal": True})
    first = Trainer(_image_mlp((3, 10, 12)), data, chosen).run()
    assert first.final["accuracy"] == 1.0
    again = Trainer(_image_mlp((3, 10, 12)), data, chosen).run()
    assert [s.train["loss"] for s in again.history] == [s.train["loss"] for s in first.history]


def test_in_memory_data_is_prepared_once(small_digits: DataBundle) -> None:
    feed = make_feed(small_digits.train, torch.device("cpu"))
    assert feed.ready
    assert torch.equal(feed.split.x, small_digits.train.inputs())
    (x, y), *_ = feed.batches(400, torch.arange(400).flip(0))
    assert torch.equal(x, small_digits.train.inputs().flip(0)) and len(y) == 400


def test_augmented_data_goes_through_its_pipeline_each_batch(small_digits: DataBundle) -> None:
    settings = TrainSettings(augment={"noise": 0.5})
    augmenter = settings.augmentation.for_data(small_digits.info)
    feed = make_feed(small_digits.train, torch.device("cpu"), augmenter)
    assert not feed.ready
    generator = torch.Generator().manual_seed(0)
    (x, _), *_ = feed.batches(400, torch.arange(400), generator)
    assert not torch.allclose(x, small_digits.train.inputs())


def test_a_lone_last_sample_is_left_out_of_training(small_digits: DataBundle) -> None:
    feed = make_feed(small_digits.train, torch.device("cpu"))
    sizes = [len(y) for _, y in feed.batches(3, torch.arange(7))]
    assert sizes == [3, 3] and feed.num_batches(3, 7) == 2
    assert [len(y) for _, y in feed.batches(3, torch.arange(8))] == [3, 3, 2]
