"""Lesson tests' fixtures. Real runs: a graph trained by the real Trainer into a real RunStore
folder, recorded as the app's training worker records it (history per epoch, result)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlstudio.data import load_data
from dlstudio.graph import Graph
from dlstudio.runs import Run, RunStore
from dlstudio.train import Trainer, TrainSettings


def image_input(graph: Graph) -> tuple[tuple[int, int] | None, int | None]:
    """Image data is loaded at the Input's size and channels, as the app does."""
    inputs = graph.nodes_of_type("Input")
    if len(inputs) == 1 and inputs[0].params["kind"] == "image":
        channels, height, width = inputs[0].params["shape"]
        return (height, width), channels
    return None, None


def _train_run(store: RunStore, graph: Graph, settings: TrainSettings,
               name: str = "lesson-test") -> Run:
    """Train `graph` with `settings` and keep the run in `store`; returns it as read back."""
    size, channels = image_input(graph)
    data = load_data(settings.data, seed=settings.seed, val_fraction=settings.val_fraction,
                     image_size=size, channels=channels)
    run = store.create(name=name, data=settings.data, settings=settings.to_dict(),
                       graph=graph.to_dict())
    trainer = Trainer(graph, data, settings, out_dir=Path(run.checkpoint_dir))
    trainer.events.epoch_ended.connect(lambda stats: run.history.append(stats.to_dict()))
    result = trainer.run()
    run.status = "stopped" if result.stopped else "finished"
    facts = result.to_dict()
    facts.pop("epochs", None)
    run.result = facts
    store.save(run)
    return RunStore.load(run.folder)


@pytest.fixture(scope="session")
def train_run():
    """train_run(store, graph, settings) -> the Run as the app would have kept it."""
    return _train_run
