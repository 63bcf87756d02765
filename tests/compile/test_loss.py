"""logits() and training_loss(): the final Softmax/Sigmoid is handed to a fused, stable loss
(no softmax twice, no log of a softmax), and the regression losses take shaped targets."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from dlstudio.compile import compile_graph, training_loss
from dlstudio.graph import Graph


def classifier(build, chain, loss: str = "cross_entropy", final: str = "Softmax",
               units: int = 3, **final_params) -> Graph:
    graph = Graph()
    chain(graph, build(graph, "Input", "x_in", kind="vector", shape=(4,)),
          build(graph, "Dense", "hidden", units=8), build(graph, "Tanh", "act"),
          build(graph, "Dense", "head", units=units),
          build(graph, final, "final", **final_params),
          build(graph, "Output", "out", loss=loss))
    return graph


def test_softmax_of_logits_is_the_forward_output(resnet_graph: Graph) -> None:
    model = compile_graph(resnet_graph)
    x = torch.randn(2, 3, 8, 8)
    torch.testing.assert_close(model.logits(x).softmax(dim=-1), model(x))


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_is_taken_on_the_logits(build, chain, smoothing: float) -> None:
    model = compile_graph(classifier(build, chain))
    x, y = torch.randn(6, 4), torch.randint(0, 3, (6,))
    logits = model.logits(x)
    expected = F.cross_entropy(logits, y, label_smoothing=smoothing)
    torch.testing.assert_close(training_loss(model, smoothing)(logits, y), expected)


def test_cross_entropy_stays_finite_for_huge_logits(build, chain) -> None:
    model = compile_graph(classifier(build, chain))
    with torch.no_grad():
        model.head.weight.mul_(1e4)
    x, y = torch.randn(6, 4), torch.randint(0, 3, (6,))
    probabilities = model(x)
    assert (probabilities == 0).any()  # so log(softmax) would be -inf here
    assert torch.isinf(F.nll_loss(probabilities.log(), y))
    loss = training_loss(model)(model.logits(x), y)
    assert torch.isfinite(loss)
    loss.backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


def test_per_step_outputs_move_the_class_axis(per_step_text_graph: Graph) -> None:
    model = compile_graph(per_step_text_graph)
    ids, targets = torch.randint(0, 11, (2, 7)), torch.randint(0, 11, (2, 7))
    logits = model.logits(ids)
    assert logits.shape == (2, 7, 11)
    loss = training_loss(model)
    expected = F.cross_entropy(logits.reshape(-1, 11), targets.reshape(-1))
    torch.testing.assert_close(loss(logits, targets), expected)
    soft_targets = torch.rand(2, 7, 11).softmax(dim=-1)
    expected = F.cross_entropy(logits.reshape(-1, 11), soft_targets.reshape(-1, 11))
    torch.testing.assert_close(loss(logits, soft_targets), expected)


def test_softmax_over_another_axis_is_not_taken_away(build, chain) -> None:
    graph = Graph()
    chain(graph, build(graph, "Input", "seq", kind="sequence", shape=(5, 3)),
          build(graph, "Softmax", "over_time", axis=0),
          build(graph, "Output", "out", loss="cross_entropy"))
    model = compile_graph(graph)
    x = torch.randn(2, 5, 3)
    assert model.final_activation is None
    torch.testing.assert_close(model.logits(x), model(x))


def test_binary_cross_entropy_with_a_final_sigmoid_uses_logits(build, chain) -> None:
    model = compile_graph(classifier(build, chain, "binary_cross_entropy", "Sigmoid", 1))
    assert model.final_activation == "sigmoid"
    with torch.no_grad():
        model.head.weight.mul_(1e4)
    x, y = torch.randn(6, 4), torch.randint(0, 2, (6,)).float()
    logits = model.logits(x)
    torch.testing.assert_close(model(x), logits.sigmoid())
    loss = training_loss(model)(logits, y)
    torch.testing.assert_close(loss, F.binary_cross_entropy_with_logits(logits, y[:, None]))
    assert torch.isfinite(loss)
    smoothed = training_loss(model, 0.2)(logits, y)
    expected = F.binary_cross_entropy_with_logits(logits, y[:, None] * 0.8 + 0.1)
    torch.testing.assert_close(smoothed, expected)


def test_binary_cross_entropy_without_a_final_sigmoid_takes_probabilities(build, chain) -> None:
    graph = Graph()
    chain(graph, build(graph, "Input", "x_in", kind="vector", shape=(4,)),
          build(graph, "Dense", "head", units=1), build(graph, "Sigmoid", "prob"),
          build(graph, "Dropout", "drop", rate=0.0),
          build(graph, "Output", "out", loss="binary_cross_entropy"))
    model = compile_graph(graph)
    assert model.final_activation is None
    x, y = torch.randn(6, 4), torch.randint(0, 2, (6, 1)).float()
    output = model.logits(x)
    torch.testing.assert_close(training_loss(model)(output, y),
                               F.binary_cross_entropy(output, y))


@pytest.mark.parametrize(("loss", "reference"), [("mse", F.mse_loss), ("l1", F.l1_loss),
                                                 ("huber", F.huber_loss)])
def test_regression_losses_shape_the_target_like_the_output(build, chain, loss,
                                                            reference) -> None:
    graph = Graph()
    chain(graph, build(graph, "Input", "x_in", kind="vector", shape=(4,)),
          build(graph, "Dense", "head", units=1), build(graph, "Output", "out", loss=loss))
    model = compile_graph(graph)
    x, y = torch.randn(6, 4), torch.randn(6)
    output = model.logits(x)
    torch.testing.assert_close(training_loss(model)(output, y), reference(output, y[:, None]))


def test_label_smoothing_out_of_range_is_refused(build, chain) -> None:
    with pytest.raises(ValueError, match="label_smoothing"):
        training_loss(compile_graph(classifier(build, chain)), 1.0)


def test_a_softmax_classifier_learns_xor(build, chain) -> None:
    torch.manual_seed(0)
    graph = Graph()
    chain(graph, build(graph, "Input", "pair", kind="vector", shape=(2,)),
          build(graph, "Dense", "hidden", units=8), build(graph, "Tanh", "act"),
          build(graph, "Dense", "head", units=2), build(graph, "Softmax", "probs"),
          build(graph, "Output", "out"))
    model = compile_graph(graph)
    x = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = torch.tensor([0, 1, 1, 0])
    loss_fn, optimizer = training_loss(model), torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(300):
        optimizer.zero_grad()
        loss = loss_fn(model.logits(x), y)
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.05
    assert model(x).argmax(dim=1).tolist() == y.tolist()
