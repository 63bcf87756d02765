"""Checks against the chosen data: on the node, in plain words, as Train would refuse."""

from __future__ import annotations

from dlstudio.graph import Graph
from dlstudio.graph.data_checks import DataFacts, check_against_data, last_dense
from dlstudio.graph.templates import build_template

DIGITS28 = DataFacts("digits28", "image", (1, 28, 28), classes=10)
DIGITS8 = DataFacts("digits", "image", (1, 8, 8), classes=10)
LINEAR = DataFacts("linear", "vector", (1,), target_shape=(1,))
TEXT = DataFacts("text", "tokens", (40,), classes=128, target_shape=())


def _node(graph: Graph, type_name: str, index: int = -1):
    return graph.nodes_of_type(type_name)[index]


def test_a_matching_template_has_no_data_problems() -> None:
    assert check_against_data(build_template("mlp"), DIGITS28) == []
    assert check_against_data(build_template("cnn-small"), DIGITS28) == []
    assert check_against_data(build_template("lstm-text"), TEXT) == []
    assert check_against_data(build_template("linear-regression"), LINEAR) == []


def test_an_output_too_wide_for_the_classes_names_the_dense_to_fix() -> None:
    graph = build_template("mlp")
    dense = _node(graph, "Dense")
    graph.set_param(dense.id, "units", 64)
    (problem,) = check_against_data(graph, DIGITS28)
    output = _node(graph, "Output")
    assert problem.node_id == output.id
    assert problem.message == (
        f'Output "{output.name}" gets 64 values per sample but digits28 has 10 classes: '
        f'set the units of Dense "{dense.name}" to 10')
    assert problem.severity == "error"


def test_the_dense_is_found_through_activations_only() -> None:
    graph = build_template("cnn-small")  # ... Dense 10, Softmax, Output
    output = _node(graph, "Output")
    assert last_dense(graph, output) == _node(graph, "Dense")
    flat = Graph()
    image = flat.add_node("Input", name="image", params={"shape": (1, 28, 28)})
    flatten = flat.add_node("Flatten", name="flat")
    out = flat.add_node("Output", name="out")
    flat.connect(image.id, flatten.id)
    flat.connect(flatten.id, out.id)
    assert last_dense(flat, out) is None
    (problem,) = check_against_data(flat, DIGITS28)
    assert problem.message.endswith("has 10 classes: end with a Dense of 10 units")


def test_an_input_the_data_cannot_feed_is_a_problem_on_the_input() -> None:
    graph = build_template("mlp")
    (problem,) = check_against_data(graph, DIGITS8)
    node = _node(graph, "Input")
    assert problem.node_id == node.id
    assert problem.message == (f'Input "{node.name}" expects 1×28×28 but digits gives 1×8×8 '
                               "images: use builtin:digits28, the same digits at 28×28")
    # Loaded at the Input's size and channels, any gray or colour image Input is fed.
    resized = DataFacts("digits", "image", (1, 8, 8), classes=10, any_image_size=True)
    assert check_against_data(graph, resized) == []


def test_token_data_needs_a_tokens_input() -> None:
    graph = build_template("mlp")
    problems = check_against_data(graph, TEXT)
    assert problems[0].message.startswith(f'Input "{_node(graph, "Input").name}" takes images '
                                          "but text gives sequences of 40 token ids")


def test_a_regression_set_refuses_a_classifier_loss() -> None:
    graph = build_template("mlp")
    messages = [p.message for p in check_against_data(graph, LINEAR)]
    assert any("uses cross_entropy, which needs classes, but linear has numeric targets "
               "of 1: use mse, l1 or huber" in m for m in messages)


def test_an_output_without_a_shape_is_left_to_the_shape_checks() -> None:
    graph = build_template("mlp")
    graph.disconnect(graph.edge_into(_node(graph, "Output").id, "in").id)
    assert check_against_data(graph, DIGITS28) == []
    assert check_against_data(Graph(), DIGITS28) == []
