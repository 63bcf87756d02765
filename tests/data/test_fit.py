"""Data that does not fit the graph is refused before training, naming both shapes."""

from __future__ import annotations

import pytest

from dlstudio.data import DataError, check_fits, check_graph, check_targets, load_data
from dlstudio.graph.templates import build_template


@pytest.mark.parametrize(("template", "spec"), [
    ("mlp", "builtin:digits28"), ("cnn-small", "builtin:digits28"), ("lenet5", "builtin:digits28"),
    ("xor", "builtin:xor"), ("logistic-regression", "builtin:blobs"),
    ("linear-regression", "builtin:linear"), ("lstm-text", "builtin:text"),
])
def test_each_small_template_fits_its_builtin_set(template: str, spec: str) -> None:
    check_graph(load_data(spec).info, build_template(template))


def test_digits_8x8_into_a_28x28_input_names_both_shapes() -> None:
    info = load_data("builtin:digits").info
    with pytest.raises(DataError) as caught:
        check_fits(info, (1, 28, 28), input_name="input_1")
    assert str(caught.value).startswith(
        'Input "input_1" expects 1×28×28 but digits gives 1×8×8 images')
    assert "builtin:digits28" in str(caught.value)


def test_graph_checks_name_the_input_and_the_kind() -> None:
    with pytest.raises(DataError, match='Input "features" expects 1 but xor gives vectors of 2 '
                                        "features: set its shape to 2"):
        check_graph(load_data("builtin:xor").info, build_template("linear-regression"))
    with pytest.raises(DataError, match='Input "features" expects 2 but digits28 gives 1×28×28 '
                                        "images: set its kind to image"):
        check_graph(load_data("builtin:digits28").info, build_template("xor"))
    with pytest.raises(DataError, match=r'Input "x" takes feature vectors of 40 but text '
                                        r"gives characters \(a vocabulary of 128\): set its "
                                        "kind to tokens and its shape to 40"):
        check_fits(load_data("builtin:text").info, (40,), input_name="x", input_kind="vector")
    with pytest.raises(DataError, match=r"3×224×224 but digits28 gives 1×28×28 images: set its "
                                        "shape to 1×28×28, or load the images at 224×224 with 3 "
                                        "channels"):
        check_graph(load_data("builtin:digits28").info, build_template("vgg16"))


def test_targets_must_suit_the_output_loss_and_width() -> None:
    digits = load_data("builtin:digits").info
    linear = load_data("builtin:linear").info
    blobs = load_data("builtin:blobs").info
    check_targets(digits, (10,), "cross_entropy")
    check_targets(blobs, (1,), "binary_cross_entropy")
    check_targets(blobs, (2,), "cross_entropy")
    check_targets(linear, (1,), "huber")
    with pytest.raises(DataError, match='Output "out" gets 5 values per sample but digits has '
                                        "10 classes: end with a Dense of 10 units"):
        check_targets(digits, (5,), "cross_entropy", output_name="out")
    with pytest.raises(DataError, match="binary_cross_entropy but digits has 10 classes"):
        check_targets(digits, (1,), "binary_cross_entropy")
    with pytest.raises(DataError, match="gets 2 values per sample; binary_cross_entropy takes one"):
        check_targets(blobs, (2,), "binary_cross_entropy")
    check_targets(digits, (10,), "mse")  # against the one-hot of the class
    check_targets(blobs, (1,), "l1")  # two classes: the class id itself
    with pytest.raises(DataError, match="gets 5 values per sample; mse compares them with the "
                                        "one-hot of digits's 10 classes"):
        check_targets(digits, (5,), "mse")
    with pytest.raises(DataError, match="cross_entropy, which needs classes, but linear has "
                                        "numeric targets"):
        check_targets(linear, (1,), "cross_entropy")
    with pytest.raises(DataError, match="gets 3 values per sample but linear has targets of 1"):
        check_targets(linear, (3,), "mse")


def test_graph_with_a_too_narrow_output_is_refused() -> None:
    graph = build_template("mlp")
    last_dense = [n for n in graph.nodes.values() if n.type == "Dense"][-1]
    graph.set_param(last_dense.id, "units", 3)
    with pytest.raises(DataError, match="gets 3 values per sample but digits28 has 10 classes"):
        check_graph(load_data("builtin:digits28").info, graph)
