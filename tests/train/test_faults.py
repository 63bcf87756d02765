"""Faults become messages: NaN loss, out of memory, data or graph that cannot train."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch

from dlstudio.data import DataBundle, DataSplit, load_data
from dlstudio.graph import Graph
from dlstudio.graph.templates import build_template
from dlstudio.train import Trainer, TrainingError, TrainSettings, load_checkpoint


def _failed(trainer: Trainer) -> list[TrainingError]:
    seen: list[TrainingError] = []
    trainer.events.failed.connect(seen.append)
    return seen


def test_a_huge_learning_rate_stops_with_a_message(
        small_digits: DataBundle, mlp, settings: Callable[..., TrainSettings]) -> None:
    trainer = Trainer(mlp(), small_digits, settings(optimizer="sgd", lr=1e6, epochs=3))
    failures = _failed(trainer)
    with pytest.raises(TrainingError, match=r"loss became (NaN|infinite).*learning rate"):
        trainer.run()
    assert trainer.state == "failed" and len(failures) == 1


def test_a_poisoned_sample_stops_the_run(
        small_digits: DataBundle, mlp, settings: Callable[..., TrainSettings]) -> None:
    train = small_digits.train
    x = train.x.clone()
    x[7, 0, 3, 3] = math.nan
    data = DataBundle(small_digits.info, DataSplit(x, train.y, train.pipeline), None)
    with pytest.raises(TrainingError, match="training loss became NaN"):
        Trainer(mlp(), data, settings()).run()


def test_nan_after_a_good_epoch_keeps_its_checkpoint_loadable(
        small_digits: DataBundle, mlp, settings: Callable[..., TrainSettings],
        tmp_path) -> None:
    trainer = Trainer(mlp(), small_digits, settings(epochs=4), out_dir=tmp_path)

    def blow_up(stats) -> None:  # what a diverging run does to the weights
        if stats.epoch == 1:
            with torch.no_grad():
                trainer.model.fc2.weight.fill_(math.inf)

    trainer.events.epoch_ended.connect(blow_up)
    with pytest.raises(TrainingError) as caught:
        trainer.run()
    last = tmp_path / "last.pt"
    assert str(last) in str(caught.value)
    checkpoint = load_checkpoint(last)
    assert checkpoint.epoch == 1
    assert all(torch.isfinite(t).all() for t in checkpoint.model_state.values())
    model = checkpoint.build_model()
    assert torch.isfinite(model(small_digits.val.inputs())).all()


def test_out_of_memory_suggests_a_smaller_batch(
        small_digits: DataBundle, mlp, settings: Callable[..., TrainSettings],
        monkeypatch: pytest.MonkeyPatch) -> None:
    trainer = Trainer(mlp(), small_digits, settings(batch_size=256))

    def no_memory(*inputs: torch.Tensor) -> torch.Tensor:
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(trainer.model, "logits", no_memory)
    failures = _failed(trainer)
    with pytest.raises(TrainingError, match=r"ran out of memory.*batch size 256.*smaller "
                                            r"batch size \(e\.g\. 128\)"):
        trainer.run()
    assert failures and "smaller batch" in str(failures[0])


def test_data_that_does_not_fit_the_input_is_refused_naming_both_shapes(
        small_digits: DataBundle, settings: Callable[..., TrainSettings]) -> None:
    with pytest.raises(TrainingError, match=r"expects 1×28×28 but digits gives 1×8×8 images"):
        Trainer(build_template("cnn-small"), small_digits, settings())


def test_targets_that_do_not_fit_the_output_are_refused(
        settings: Callable[..., TrainSettings]) -> None:
    data = load_data("builtin:linear")
    with pytest.raises(TrainingError, match="cross_entropy"):
        Trainer(build_template("linear-regression"), data, settings(loss="cross_entropy"))


def test_graph_problems_are_refused_with_their_nodes(
        small_digits: DataBundle, settings: Callable[..., TrainSettings]) -> None:
    g = Graph()
    image = g.add_node("Input", name="image", params={"kind": "image", "shape": (1, 8, 8)})
    dense = g.add_node("Dense", name="fc", params={"units": 10})
    g.add_node("Output", name="output")
    g.connect(image.id, dense.id)  # the Output is left unwired
    with pytest.raises(TrainingError) as caught:
        Trainer(g, small_digits, settings())
    assert caught.value.problems


def test_a_fully_frozen_model_has_nothing_to_train(
        small_digits: DataBundle, mlp, settings: Callable[..., TrainSettings]) -> None:
    graph = mlp()
    for node in graph.nodes.values():
        if node.type == "Dense":
            graph.set_param(node.id, "trainable", False)
    with pytest.raises(TrainingError, match="nothing to train"):
        Trainer(graph, small_digits, settings()).run()


def test_a_monitor_the_task_lacks_is_refused(
        small_digits: DataBundle, mlp, settings: Callable[..., TrainSettings]) -> None:
    with pytest.raises(TrainingError, match="val_r2.*classification"):
        Trainer(mlp(), small_digits, settings(monitor="val_r2"))


def test_an_unavailable_device_is_refused(
        small_digits: DataBundle, mlp, settings: Callable[..., TrainSettings]) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(TrainingError, match="CUDA is not available"):
        Trainer(mlp(), small_digits, settings(device="cuda")).run()
