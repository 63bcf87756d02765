"""Reconstruction (training setting target="input"): the autoencoder template learns to
give back digits; its checkpoint says so, and evaluate and predict treat it as such."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from dlstudio.data import DataError, DataInfo, load_data
from dlstudio.data.fit import facts_of
from dlstudio.data.reconstruction import ReconstructionSplit, with_target
from dlstudio.graph.data_checks import check_against_data
from dlstudio.graph.templates import build_template
from dlstudio.infer import Predictor
from dlstudio.infer.evaluate import evaluate_checkpoint
from dlstudio.infer.reconstruct import reconstruct
from dlstudio.train import Trainer, TrainingError, TrainSettings
from dlstudio.train.checkpoint import load_checkpoint
from dlstudio.train.feed import make_feed
from dlstudio.train.settings import defaults_for_template


@pytest.fixture(scope="module")
def digits28():
    return load_data("builtin:digits28", seed=0)


def test_the_target_is_the_clean_input_in_pixels(digits28) -> None:
    bundle = with_target(digits28, "input")
    info = bundle.info
    assert info.reconstruction and info.task == "regression"
    assert info.target_shape == info.input_shape == (1, 28, 28) and info.class_names == ()
    assert info.normalisation == digits28.info.normalisation
    assert isinstance(bundle.train, ReconstructionSplit)
    x, y = next(bundle.train.batches(16))
    raw = digits28.train.pipeline.without_normalisation()(digits28.train.x[:16])
    assert torch.equal(y, raw) and y.min() >= 0 and y.max() <= 1
    assert not torch.allclose(x, y)  # the input is normalised, the target is not
    norm = info.normalisation
    assert torch.allclose(x, (y - norm.mean[0]) / norm.std[0], atol=1e-5)
    assert DataInfo.from_dict(info.to_dict()) == info
    assert with_target(digits28, "labels") is digits28


def test_a_feed_prepares_inputs_and_targets_once(digits28) -> None:
    split = with_target(digits28, "input").val
    feed = make_feed(split, torch.device("cpu"))
    assert feed.ready
    (x, y), = [next(feed.batches(8))]
    x0, y0 = next(split.batches(8))
    assert torch.equal(x, x0) and torch.equal(y, y0)
    noisy = make_feed(split, torch.device("cpu"), augment=lambda b, g: b + 0.5)
    xn, yn = next(noisy.batches(8))
    assert torch.equal(yn, y0) and not torch.allclose(xn, x0)  # noise reaches the input only


def test_vectors_target_their_standardised_values_and_tokens_are_refused() -> None:
    blobs = with_target(load_data("builtin:blobs"), "input")
    x, y = next(blobs.train.batches(10))
    assert torch.equal(x, y) and blobs.info.target_shape == (2,)
    with pytest.raises(DataError, match="token ids; reconstruction .* needs images"):
        with_target(load_data("builtin:text"), "input")


def test_design_checks_ask_for_an_output_shaped_like_the_input(digits28) -> None:
    facts = facts_of(with_target(digits28, "input").info)
    graph = build_template("autoencoder")
    assert check_against_data(graph, facts) == []
    mlp = build_template("mlp")
    mlp.set_param(mlp.nodes_of_type("Output")[0].id, "loss", "mse")
    problems = check_against_data(mlp, facts)
    assert [p.message for p in problems] == [
        'Output "output" gets 10 values per sample, but the target is the input itself: it '
        "must give 1×28×28"]
    assert problems[0].node_id == mlp.nodes_of_type("Output")[0].id
    mlp.set_param(mlp.nodes_of_type("Dense")[-1].id, "units", 784)
    assert check_against_data(mlp, facts)[0].message.endswith(
        "it must give 1×28×28 (end with a Reshape)")
    out = graph.nodes_of_type("Output")[0]
    graph.set_param(out.id, "loss", "cross_entropy")
    assert "cross_entropy, which needs classes, but the target is the input" in \
        check_against_data(graph, facts)[0].message
    graph.set_param(out.id, "loss", "binary_cross_entropy")
    assert check_against_data(graph, facts) == []  # pixels in 0..1: allowed


def test_autoencoder_learns_and_its_checkpoint_predicts_and_evaluates(
        digits28, tmp_path: Path) -> None:
    settings = replace(defaults_for_template("autoencoder"), epochs=4, device="cpu",
                       mixed_precision=False)
    assert settings.target == "input"
    result = Trainer(build_template("autoencoder"), digits28, settings, tmp_path).run()
    losses = [epoch.val["loss"] for epoch in result.history]
    assert losses[-1] < 0.6 * losses[0]
    assert set(result.final) == {"loss", "mae", "r2"} and result.final["r2"] > 0.3
    checkpoint = load_checkpoint(result.checkpoint)
    assert checkpoint.data_info.reconstruction
    assert checkpoint.data_info.target_shape == (1, 28, 28)

    evaluation = evaluate_checkpoint(result.checkpoint)
    assert evaluation.task == "regression" and evaluation.samples == 270
    assert evaluation.metrics["mse"] == pytest.approx(result.final["loss"], rel=1e-4)

    predictor = Predictor.from_checkpoint(result.checkpoint)
    pixels = digits28.val.pipeline.without_normalisation()(digits28.val.x[:1])[0]
    shown = reconstruct(predictor, pixels.permute(1, 2, 0).numpy())
    assert shown.input.shape == shown.output.shape == (28, 28, 1)
    assert np.allclose(shown.input, pixels.permute(1, 2, 0).numpy(), atol=1e-6)
    assert shown.output.min() >= 0 and shown.output.max() <= 1
    assert shown.mse < 0.05


def test_binary_cross_entropy_per_pixel_trains_and_reports_errors_in_pixels(
        digits28) -> None:
    graph = build_template("autoencoder")
    settings = TrainSettings(epochs=2, target="input", loss="binary_cross_entropy",
                             lr=2e-3, device="cpu", mixed_precision=False)
    result = Trainer(graph, digits28, settings).run()
    assert 0 < result.final["mae"] < 0.3  # measured after the Sigmoid the loss absorbed


def test_a_reconstruction_of_tokens_is_refused_by_the_trainer() -> None:
    with pytest.raises(TrainingError, match="training setting 'target': text holds token"):
        Trainer(build_template("lstm-text"), load_data("builtin:text"),
                TrainSettings(target="input"))


def test_streamed_folder_images_are_their_own_targets(tmp_path: Path) -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    for name in ("cats", "dogs"):
        (tmp_path / name).mkdir()
        for i in range(4):
            pixels = rng.integers(0, 256, (8, 8), dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / name / f"{i}.png")
    bundle = with_target(load_data(f"folder:{tmp_path}", val_fraction=0.25), "input")
    assert bundle.info.reconstruction and bundle.info.target_shape == bundle.info.input_shape
    feed = make_feed(bundle.train, torch.device("cpu"))
    x, y = next(feed.batches(4, order=torch.arange(4)))
    norm = bundle.info.normalisation
    assert y.shape == x.shape and float(y.min()) >= 0 and float(y.max()) <= 1
    assert torch.allclose(x, (y - norm.mean[0]) / norm.std[0], atol=1e-5)


def test_a_reconstruction_of_one_hot_text_is_refused_by_the_trainer() -> None:
    """The char-rnn takes text as one-hot sequences; as its own target it has no
    vocabulary left, so it is refused by name, not as a graph of 0 characters."""
    with pytest.raises(TrainingError, match="training setting 'target': text holds "
                                            r"characters \(one-hot\); reconstruction"):
        Trainer(build_template("char-rnn"), load_data("builtin:text"),
                TrainSettings(target="input"))
