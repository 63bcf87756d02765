"""Image models train channels-last on the CPU: same learning, repeatable, resumable."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

import dlstudio.train.trainer as trainer_module
from dlstudio.compile import compile_graph
from dlstudio.data import DataBundle
from dlstudio.graph import Graph
from dlstudio.graph.templates.builder import Builder
from dlstudio.train import EpochStats, Trainer, TrainSettings
from dlstudio.train.devices import memory_format_for


def digits_cnn() -> Graph:
    """1×8×8 digits -> Conv 8 3×3 -> ReLU -> Conv 8 3×3 -> ReLU -> MaxPool 2 -> Flatten ->
    Dense 10 -> Softmax."""
    b = Builder()
    b.add("Input", "image", kind="image", shape=(1, 8, 8))
    b.add("Conv2d", "conv", filters=8, kernel_size=3)
    b.add("ReLU", "relu")
    b.add("Conv2d", "conv2", filters=8, kernel_size=3, padding=1)
    b.add("ReLU", "relu2")
    b.add("MaxPool2d", "pool", kernel_size=2)
    b.add("Flatten", "flatten")
    b.add("Dense", "fc", units=10)
    b.classifier_end()
    return b.graph


def _losses(history: list[EpochStats]) -> list[tuple[float, float, float]]:
    return [(s.train["loss"], s.val["loss"], s.train["accuracy"]) for s in history]


def test_the_layout_is_channels_last_for_image_models_on_the_cpu_only(mlp) -> None:
    cpu = torch.device("cpu")
    assert memory_format_for(compile_graph(digits_cnn()), cpu) == torch.channels_last
    assert memory_format_for(compile_graph(mlp()), cpu) == torch.contiguous_format
    assert memory_format_for(compile_graph(digits_cnn()), torch.device("meta")) \
        == torch.contiguous_format
    volumes = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Conv3d(1, 2, 3))
    assert memory_format_for(volumes, cpu) == torch.contiguous_format  # .to() would refuse


def test_a_cnn_learns_the_same_in_either_layout(
        small_digits: DataBundle, settings: Callable[..., TrainSettings],
        monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = settings(epochs=3, seed=3, lr=0.005)
    trainer = Trainer(digits_cnn(), small_digits, chosen)
    channels_last = _losses(trainer.run().history)
    assert trainer.model.conv2.weight.is_contiguous(memory_format=torch.channels_last)
    assert not trainer.model.conv2.weight.is_contiguous()

    monkeypatch.setattr(trainer_module, "memory_format_for",
                        lambda model, device: torch.contiguous_format)
    default = Trainer(digits_cnn(), small_digits, chosen)
    default_losses = _losses(default.run().history)
    assert default.model.conv2.weight.is_contiguous()
    for ours, theirs in zip(channels_last, default_losses, strict=True):
        assert ours == pytest.approx(theirs, rel=1e-4)
    assert channels_last[-1][0] < channels_last[0][0] * 0.7  # it learns


def test_a_cnn_resumed_channels_last_continues_the_same_history_to_the_bit(
        small_digits: DataBundle, settings: Callable[..., TrainSettings], tmp_path) -> None:
    def run(epochs: int, out: str, **kwargs) -> list[EpochStats]:
        return Trainer(digits_cnn(), small_digits, settings(epochs=epochs),
                       out_dir=tmp_path / out, **kwargs).run().history

    whole = run(4, "whole")
    assert _losses(whole) == _losses(run(4, "again"))
    run(2, "half")
    resumed = run(4, "rest", resume_from=tmp_path / "half" / "last.pt")
    assert _losses(resumed) == _losses(whole)
