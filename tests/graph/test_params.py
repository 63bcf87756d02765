"""Parameter validation: canonical values in, readable "Received: name=value" refusals."""

from __future__ import annotations

from typing import Any

import pytest

from dlstudio.graph import all_layer_specs
from dlstudio.graph.errors import ParamError
from dlstudio.graph.params import (
    PARAM_KINDS,
    ParamSpec,
    bool_param,
    choice_param,
    float_param,
    int_param,
)

KERNEL = int_param("kernel_size", 3, "window", 1, 1024)
RATE = float_param("rate", 0.5, "fraction", 0.0, 0.99)
BIAS = bool_param("bias", True, "add a bias")
LOSS = choice_param("loss", "mse", ("mse", "l1"), "loss")
SHAPE = ParamSpec("shape", "ints", (1, 28, 28), "sample shape", minimum=1, maximum=1_000_000)
PADDING = ParamSpec("padding", "padding", 0, "borders", minimum=0)


@pytest.mark.parametrize(("spec", "given", "expected"), [
    (KERNEL, 5, 5), (KERNEL, "5", 5), (KERNEL, 5.0, 5), (KERNEL, " 7 ", 7),
    (RATE, 0, 0.0), (RATE, "0.25", 0.25), (RATE, 0.99, 0.99),
    (BIAS, False, False), (BIAS, 1, True), (BIAS, 0, False), (BIAS, "TRUE", True),
    (BIAS, "false", False),
    (LOSS, "l1", "l1"),
    (SHAPE, [1, 28, 28], (1, 28, 28)), (SHAPE, (3, 4), (3, 4)), (SHAPE, "1, 28, 28", (1, 28, 28)),
    (SHAPE, "3x32x32", (3, 32, 32)), (SHAPE, "3×32×32", (3, 32, 32)), (SHAPE, [2.0], (2,)),
    (PADDING, "same", "same"), (PADDING, " Valid ", "valid"), (PADDING, 2, 2), (PADDING, "1", 1),
])
def test_accepted_values_come_back_canonical(spec: ParamSpec, given: Any,
                                             expected: Any) -> None:
    value = spec.validate(given)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(("spec", "given", "expected"), [
    (KERNEL, 0, "kernel_size must be ≥ 1. Received: kernel_size=0"),
    (KERNEL, 2000, "kernel_size must be ≤ 1024. Received: kernel_size=2000"),
    (KERNEL, 2.5, "kernel_size must be a whole number. Received: kernel_size=2.5"),
    (KERNEL, True, "kernel_size must be a whole number. Received: kernel_size=true"),
    (KERNEL, "three", 'kernel_size must be a whole number. Received: kernel_size="three"'),
    (KERNEL, None, "kernel_size must be a whole number. Received: kernel_size=nothing"),
    (KERNEL, [3], "kernel_size must be a whole number. Received: kernel_size=3"),
    (KERNEL, float("nan"), "kernel_size must be a whole number"),
    (KERNEL, "inf", "kernel_size must be a whole number"),
    (KERNEL, 10**400, "kernel_size must be a whole number"),
    (RATE, 1.0, "rate must be ≤ 0.99. Received: rate=1.0"),
    (RATE, -0.1, "rate must be ≥ 0. Received: rate=-0.1"),
    (RATE, float("inf"), "rate must be a finite number. Received: rate=inf"),
    (RATE, 10**400, "rate must be a number"),
    (RATE, "half", 'rate must be a number. Received: rate="half"'),
    (BIAS, "yes", 'bias must be true or false. Received: bias="yes"'),
    (BIAS, 2, "bias must be true or false. Received: bias=2"),
    (LOSS, "hinge", 'loss must be one of mse, l1. Received: loss="hinge"'),
    (LOSS, 1, "loss must be one of mse, l1"),
    (SHAPE, [], "shape must be a list of whole numbers such as 1, 28, 28"),
    (SHAPE, [1, 0], "shape must be ≥ 1. Received: shape=0"),
    (SHAPE, [1, 2_000_000], "shape must be ≤ 1000000. Received: shape=2000000"),
    (SHAPE, [1, 10**400], "shape must be a list of whole numbers"),
    (SHAPE, [1, 2.5], "shape must be a list of whole numbers. Received: shape=1, 2.5"),
    (SHAPE, [True], "shape must be a list of whole numbers"),
    (SHAPE, [[1]], "shape must be a list of whole numbers"),
    (SHAPE, [1] * 9, "shape must be at most 8 numbers long"),
    (SHAPE, {"a": 1}, "shape must be a list of whole numbers such as 1, 28, 28"),
    (PADDING, -1, "padding must be a whole number ≥ 0, 'same' or 'valid'. Received: padding=-1"),
    (PADDING, "full", "padding must be a whole number ≥ 0, 'same' or 'valid'"),
    (SHAPE, "1, 28, abc", 'shape must be a list of whole numbers. Received: shape="1, 28, abc"'),
    (SHAPE, "28x28x", "shape has a separator with no number beside it"),
    (SHAPE, "x28", "shape has a separator with no number beside it"),
    (SHAPE, "28xx28", "shape has a separator with no number beside it"),
    (SHAPE, "1,,28", 'shape has a separator with no number beside it: write whole numbers '
                     'between commas or ×, such as 1, 28, 28. Received: shape="1,,28"'),
])
def test_refusals_say_what_was_expected_and_what_was_received(spec: ParamSpec, given: Any,
                                                              expected: str) -> None:
    with pytest.raises(ParamError) as caught:
        spec.validate(given)
    assert str(caught.value).startswith(expected)


def test_ranges_read_as_plain_numbers() -> None:
    assert KERNEL.describe_range() == "≥ 1 and ≤ 1024"
    assert RATE.describe_range() == "≥ 0 and ≤ 0.99"
    assert SHAPE.describe_range() == "≥ 1 and ≤ 1000000"
    assert LOSS.describe_range() == "one of mse, l1"
    assert BIAS.describe_range() == "any"


def test_every_catalogue_parameter_is_well_formed() -> None:
    specs = all_layer_specs()
    assert len(specs) >= 25
    for layer in specs:
        names = [p.name for p in layer.params]
        assert len(names) == len(set(names)), layer.type
        assert set(layer.key_params) <= set(names), layer.type
        for param in layer.params:
            assert param.kind in PARAM_KINDS, (layer.type, param.name)
            assert param.help, (layer.type, param.name)
            assert param.validate(param.default) == param.default, (layer.type, param.name)
            if param.kind == "choice":
                assert param.default in param.choices
