"""cnn-small with its Input at 3×32×32 learns from a small CIFAR-10 folder made here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dlstudio.data import check_graph, load_data
from dlstudio.graph.templates import build_template
from dlstudio.train import Trainer, TrainSettings

from ..data.cifar_files import write_cifar_folder  # noqa: TID252 (tests is no package)


def test_cnn_small_trains_on_colour_cifar(tmp_path: Path,
                                          settings: Callable[..., TrainSettings]) -> None:
    graph = build_template("cnn-small")
    (image,) = [node for node in graph.nodes.values() if node.type == "Input"]
    graph.set_param(image.id, "shape", (3, 32, 32))
    data = load_data(f"cifar10:{write_cifar_folder(tmp_path, per_batch=40, test=40)}",
                     val_fraction=0.2, seed=0)
    check_graph(data.info, graph)
    result = Trainer(graph, data, settings(epochs=3, batch_size=32, lr=0.005,
                                           optimizer="adam")).run()
    losses = [epoch.train["loss"] for epoch in result.history]
    assert len(losses) == 3 and losses[-1] < losses[0]
    assert result.final["accuracy"] > 0.3  # ten classes: chance is 0.1
