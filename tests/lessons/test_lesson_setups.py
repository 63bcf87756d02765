"""Every shipped lesson sets up headless and trains: its graph compiles and one epoch runs
on its own data (its first few hundred samples, to keep the suite fast). The full runs, and the
minutes written into each lesson, were measured once by hand."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from dlstudio.data import DataBundle, DataSplit, load_data
from dlstudio.lessons import lesson_project, load_lessons
from dlstudio.train import Trainer, TrainSettings

LESSONS = load_lessons().lessons
TRAIN_SAMPLES, VAL_SAMPLES = 256, 64


def _small(bundle: DataBundle) -> DataBundle:
    """The first samples of each split: one epoch in seconds, even through VGG16."""
    def cut(split, count):
        if not isinstance(split, DataSplit):
            return split
        return replace(split, x=split.x[:count], y=split.y[:count])

    return replace(bundle, train=cut(bundle.train, TRAIN_SAMPLES),
                   val=cut(bundle.val, VAL_SAMPLES))


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_each_lesson_sets_up_and_trains_one_epoch(lesson):
    project = lesson_project(lesson)
    spec = project.dataset["spec"]
    settings = TrainSettings.from_dict({**project.training, "data": spec, "epochs": 1,
                                        "device": "cpu"})
    assert not settings.weights, "a lesson must start without a download"
    inputs = project.graph.nodes_of_type("Input")
    image = inputs[0].params["kind"] == "image"
    shape = inputs[0].params["shape"]
    data = load_data(spec, seed=settings.seed, val_fraction=settings.val_fraction,
                     image_size=tuple(shape[1:]) if image else None,
                     channels=shape[0] if image else None)
    result = Trainer(project.graph, _small(data), settings).run()
    assert len(result.history) == 1
    assert math.isfinite(result.history[0].train["loss"])
    assert not result.stopped
