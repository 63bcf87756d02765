"""The Trainer starts from the `weights` setting (a path read from the project's folder)
and applies the `normalisation` setting; both refuse what cannot work before anything
runs, in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dlstudio.data import load_data
from dlstudio.data.normalisations import IMAGENET
from dlstudio.graph.templates import build_template
from dlstudio.train import Trainer, TrainingError, TrainSettings, load_checkpoint

from .conftest import TvVGG, small_vgg_graph


def test_weights_from_the_project_folder_then_imagenet_normalisation(
        tmp_path: Path, small_tv_vgg: TvVGG) -> None:
    torch.save(small_tv_vgg.state_dict(), tmp_path / "start.pth")
    data = load_data("builtin:digits", image_size=(32, 32), channels=3)
    graph = small_vgg_graph(size=32, head=(16, 10))
    settings = TrainSettings(epochs=1, batch_size=64, weights="start.pth",
                             normalisation="imagenet")
    trainer = Trainer(graph, data, settings, out_dir=tmp_path / "run", base_dir=tmp_path)
    assert trainer.weights_match is not None and trainer.weights_match.new_layers == ["fc1", "fc2"]
    assert torch.equal(trainer.model.state_dict()["block2_conv1.weight"],
                       small_tv_vgg.state_dict()["features.5.weight"])
    assert trainer.data.val is not None and trainer.data.val.pipeline.normalisation == IMAGENET
    logs: list[str] = []
    trainer.events.log.connect(logs.append)
    trainer.run()
    assert any(line.startswith("starting from loaded 26 tensors") for line in logs)
    checkpoint = load_checkpoint(tmp_path / "run" / "last.pt")
    assert checkpoint.data_info.normalisation == IMAGENET
    assert checkpoint.settings.weights == "start.pth"


def test_imagenet_normalisation_needs_rgb_images() -> None:
    with pytest.raises(TrainingError, match="normalisation 'imagenet' is for RGB images; "
                                            "xor holds vectors of 2 features"):
        Trainer(build_template("xor"), load_data("builtin:xor"),
                TrainSettings(normalisation="imagenet"))


def test_weights_that_do_not_fit_stop_before_training(tmp_path: Path) -> None:
    torch.save(TvVGG(((4, 2), (8, 2), (16, 3), (8, 3), (8, 3)), hidden=16, classes=5,
                     pooled=2).state_dict(), tmp_path / "other.pth")
    data = load_data("builtin:digits", image_size=(32, 32), channels=3)
    with pytest.raises(TrainingError) as caught:
        Trainer(small_vgg_graph(size=32, head=(16, 10)), data,
                TrainSettings(weights=str(tmp_path / "other.pth")))
    assert str(caught.value).startswith("training setting 'weights': other.pth: "
                                        "block3_conv1.weight has shape 16×8×3×3 in the file")
