"""Mean squared error against one-hot targets on a classification set, as older
textbooks train: allowed, trained on the probabilities, scored as a classifier."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from dlstudio.compile import compile_graph, training_loss
from dlstudio.compile.loss import as_numbers
from dlstudio.data import load_data
from dlstudio.graph.templates import build_template
from dlstudio.infer import Predictor
from dlstudio.infer.evaluate import evaluate_checkpoint
from dlstudio.infer.onehot import one_hot_probabilities
from dlstudio.train import Trainer
from dlstudio.train.settings import defaults_for_template


def test_class_ids_become_one_hot_for_mse_and_compare_the_probabilities() -> None:
    output = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    ids = torch.tensor([0, 1])
    assert torch.equal(as_numbers(ids, output), torch.tensor([[1.0, 0, 0], [0, 1.0, 0]]))
    assert torch.equal(as_numbers(torch.tensor([1, 0]), torch.zeros(2, 1)),
                       torch.tensor([[1.0], [0.0]]))  # two classes, one output: the id
    torch.manual_seed(0)
    graph = build_template("mlp")
    graph.set_param(graph.nodes_of_type("Output")[0].id, "loss", "mse")
    model = compile_graph(graph)
    assert model.final_activation is None  # the Softmax stays in: mse sees probabilities
    x = torch.randn(4, 1, 28, 28)
    probabilities = model.logits(x)
    assert torch.allclose(probabilities.sum(1), torch.ones(4))
    target = torch.tensor([3, 1, 4, 1])
    expected = ((probabilities - torch.eye(10)[target]) ** 2).mean()
    assert torch.allclose(training_loss(model)(probabilities, target), expected)


def test_one_hot_probabilities_keep_a_softmax_and_read_one_output_as_a_chance() -> None:
    assert torch.allclose(one_hot_probabilities(torch.tensor([0.2, 0.8])),
                           torch.tensor([0.2, 0.8]))
    assert torch.allclose(one_hot_probabilities(torch.tensor([-0.5, 1.5, 0.5])),
                           torch.tensor([0.0, 0.75, 0.25]))
    assert torch.allclose(one_hot_probabilities(torch.tensor([0.9])), torch.tensor([0.1, 0.9]))
    assert torch.allclose(one_hot_probabilities(torch.tensor([-1.0, -2.0])),
                          torch.tensor([0.5, 0.5]))


def test_mse_on_blobs_with_one_sigmoid_output_trains_and_predicts_both_classes(
        tmp_path: Path) -> None:
    settings = replace(defaults_for_template("logistic-regression"), loss="mse", epochs=10,
                       device="cpu", mixed_precision=False)
    result = Trainer(build_template("logistic-regression"), load_data("builtin:blobs"),
                     settings, tmp_path).run()
    assert result.final["accuracy"] > 0.95
    predictor = Predictor.from_checkpoint(result.checkpoint)
    labels = {predictor.predict_vector(v).label for v in ("3, 3", "-3, -3", "3, -3", "-3, 3")}
    assert len(labels) == 2


def test_mse_on_digits_reports_accuracy_and_evaluates(tmp_path: Path) -> None:
    data = load_data("builtin:digits28", seed=0)
    settings = replace(defaults_for_template("mlp"), loss="mse", epochs=2, lr=3e-3,
                       device="cpu", mixed_precision=False)
    result = Trainer(build_template("mlp"), data, settings, tmp_path).run()
    assert result.history[-1].train["loss"] < result.history[0].train["loss"]
    assert result.final["accuracy"] > 0.8 and "f1" in result.final
    evaluation = evaluate_checkpoint(result.checkpoint)
    assert evaluation.metrics["accuracy"] == pytest.approx(result.final["accuracy"])
    assert len(evaluation.confusion) == 10
    assert all(0.1 < m.confidence <= 1 for m in evaluation.mistakes)
    first = Predictor.from_checkpoint(result.checkpoint).probabilities(
        data.val.inputs()[0])
    assert float(first.sum()) == pytest.approx(1.0) and float(first.max()) > 0.3
