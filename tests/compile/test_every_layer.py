"""Every catalogue layer, with random valid parameters and inputs, compiles and runs, and
its real output shape and parameter count are the ones the catalogue predicts.

Parameters are drawn from each ParamSpec (kind and range), so a new layer type is covered
without editing this file.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dlstudio.compile import compile_graph
from dlstudio.compile.modules import TokenEmbedding
from dlstudio.graph import Graph, LayerSpec, ShapeError, all_layer_specs, infer_shapes
from dlstudio.graph.params import PADDING_WORDS, ParamSpec

LAYERS = [spec for spec in all_layer_specs() if spec.type not in ("Input", "Output")]
# Per-sample size ranges for each Input kind: small, so each example runs in milliseconds.
SIZES = {
    "image": ((1, 4), (1, 8), (1, 8)),
    "vector": ((1, 8),),
    "sequence": ((1, 5), (1, 6)),
    "tokens": ((1, 6),),
}
VOCAB_WITHOUT_EMBEDDING = 8


def small_values(spec: ParamSpec, first_input: tuple[int, ...]) -> st.SearchStrategy[Any]:
    """Values of one parameter, inside its declared range but small. A list of whole
    numbers may also be a shape holding as many values as the first input (a Reshape
    target) or an order of its axes (a Permute)."""
    if spec.kind == "int":
        lo = -3 if spec.minimum is None else max(int(spec.minimum), -3)
        hi = 4 if spec.maximum is None else min(int(spec.maximum), 4)
        return st.integers(lo, max(lo, hi))
    if spec.kind == "float":
        lo = -10.0 if spec.minimum is None else spec.minimum
        hi = 10.0 if spec.maximum is None else spec.maximum
        return st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if spec.kind == "bool":
        return st.booleans()
    if spec.kind == "choice":
        return st.sampled_from(spec.choices)
    if spec.kind == "padding":
        return st.one_of(st.integers(0, 2), st.sampled_from(PADDING_WORDS))
    if spec.kind == "ints":
        lo = -1 if spec.minimum is None else max(int(spec.minimum), -1)
        hi = math.inf if spec.maximum is None else spec.maximum
        return st.one_of(same_size_shape(math.prod(first_input)),
                         st.permutations(range(len(first_input))).map(tuple),
                         st.lists(st.integers(lo, 6), min_size=1, max_size=3).map(tuple),
                         ).filter(lambda shape: all(lo <= n <= hi for n in shape))
    raise AssertionError(f"no strategy for parameter kind {spec.kind!r}")


@st.composite
def same_size_shape(draw: st.DrawFn, size: int) -> tuple[int, ...]:
    """A shape holding `size` values (what a Reshape target needs), maybe with one -1."""
    rank, rest, dims = draw(st.integers(1, 3)), size, []
    for _ in range(rank - 1):
        factor = draw(st.sampled_from([d for d in range(1, rest + 1) if rest % d == 0]))
        dims.append(factor)
        rest //= factor
    dims.append(rest)
    if draw(st.booleans()):
        dims[draw(st.integers(0, rank - 1))] = -1
    return tuple(dims)


def usual_kinds(spec: LayerSpec) -> list[str]:
    """Input kinds the layer accepts with its default parameters (to waste fewer draws)."""
    defaults = spec.defaults()
    count = len(spec.input_ports(defaults))
    kinds = []
    for kind, sizes in SIZES.items():
        try:
            spec.infer(defaults, [tuple(hi for _, hi in sizes)] * count)
        except ShapeError:
            continue
        kinds.append(kind)
    return kinds or sorted(SIZES)


def shape_of(kind: str) -> st.SearchStrategy[tuple[int, ...]]:
    return st.tuples(*(st.integers(lo, hi) for lo, hi in SIZES[kind]))


@st.composite
def input_shapes(draw: st.DrawFn, kinds: list[str],
                 count: int) -> tuple[str, list[tuple[int, ...]]]:
    """One kind for all inputs; several inputs either match or differ along one axis."""
    kind = draw(st.sampled_from(kinds))
    base = draw(shape_of(kind))
    if count == 1 or not draw(st.booleans()):
        return kind, [base] * count
    axis = draw(st.integers(0, len(base) - 1))
    shapes = []
    for _ in range(count):
        shape = list(base)
        shape[axis] = draw(st.integers(1, 4))
        shapes.append(tuple(shape))
    return kind, shapes


def draw_params(data: st.DataObject, spec: LayerSpec,
                first_input: tuple[int, ...] | None) -> dict[str, Any]:
    """Draws every parameter (the `ints` ones only once the input shape is known)."""
    return {p.name: data.draw(small_values(p, first_input or (1,)), label=p.name)
            for p in spec.params if (p.kind == "ints") == (first_input is not None)}


def sample(kind: str, shape: tuple[int, ...], vocab: int) -> torch.Tensor:
    if kind == "tokens":
        return torch.randint(0, vocab, (2, *shape))
    return torch.randn(2, *shape)


@pytest.mark.parametrize("spec", LAYERS, ids=lambda spec: spec.type)
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(data=st.data())
def test_layer_output_shape_and_params_match_the_catalogue(spec: LayerSpec,
                                                           data: st.DataObject) -> None:
    params = draw_params(data, spec, None)
    ports = spec.input_ports(params)
    kind, shapes = data.draw(input_shapes(usual_kinds(spec), len(ports)), label="inputs")
    params |= draw_params(data, spec, shapes[0])

    graph = Graph()
    layer = graph.add_node(spec.type, name="layer", params=params)
    inputs = [graph.add_node("Input", name=f"input_{i}", params={"kind": kind, "shape": shape})
              for i, shape in enumerate(shapes, 1)]
    for node, port in zip(inputs, ports, strict=True):
        graph.connect(node.id, layer.id, dst_port=port)
    graph.connect(layer.id, graph.add_node("Output", params={"loss": "mse"}).id)
    report = infer_shapes(graph)
    assume(report.ok)

    model = compile_graph(graph)
    embeddings = [m for m in model.modules() if isinstance(m, TokenEmbedding)]
    assume((kind == "tokens") == bool(embeddings))  # token ids mean something to Embeddings
    vocab = min((m.num_embeddings for m in embeddings), default=VOCAB_WITHOUT_EMBEDDING)
    output = model(*(sample(kind, shape, vocab) for shape in shapes))

    assert tuple(output.shape) == (2, *report.shapes[layer.id])
    predicted = sum(node.spec.count_params(node.params, report.input_shapes[node.id])
                    for node in graph.nodes.values())
    assert predicted == sum(p.numel() for p in model.parameters())
    assert all(key.startswith("layer.") for key in model.state_dict())
    trainable = params.get("trainable", True)
    assert all(p.requires_grad == trainable for p in model.parameters())
