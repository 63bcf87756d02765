"""Shape rules of the layer types added for real models: the shapes they give, and each
refusal as one line on the node at fault that says what to change (no torch here)."""

from __future__ import annotations

from typing import Any

import pytest

from dlstudio.graph import Graph, all_layer_specs, infer_shapes, layer_spec
from dlstudio.graph.catalogue import CATEGORIES
from dlstudio.graph.shape_text import Shape


def run_layer(type_name: str, kind: str, shape: Shape,
              **params: Any) -> tuple[Shape | None, list[str]]:
    """One layer between an Input and an Output: its output shape and its problems."""
    graph = Graph()
    source = graph.add_node("Input", name="source", params={"kind": kind, "shape": shape})
    layer = graph.add_node(type_name, name="layer", params=params)
    graph.connect(source.id, layer.id)
    graph.connect(layer.id, graph.add_node("Output", params={"loss": "mse"}).id)
    report = infer_shapes(graph)
    return report.shapes.get(layer.id), [p.message for p in report.problems_of(layer.id)]


def shape_after(type_name: str, kind: str, shape: Shape, **params: Any) -> Shape | None:
    found, problems = run_layer(type_name, kind, shape, **params)
    assert problems == []
    return found


def refusal(type_name: str, kind: str, shape: Shape, **params: Any) -> str:
    """The one problem the layer reports: a single line that names it."""
    _, problems = run_layer(type_name, kind, shape, **params)
    (message,) = problems
    assert "\n" not in message and '"layer"' in message
    return message


@pytest.mark.parametrize(("params", "expected"), [
    ({"kernel_size": 3, "stride": 2, "padding": 1}, (4, 56, 56)),  # ResNet's stem pool
    ({"kernel_size": 3, "stride": 2, "ceil_mode": True}, (4, 56, 56)),  # SqueezeNet's
    ({"kernel_size": 3, "stride": 2}, (4, 55, 55)),
    ({"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True}, (4, 57, 57)),
])
def test_pooling_sizes_follow_pytorch_with_ceil_mode(params, expected) -> None:
    assert shape_after("MaxPool2d", "image", (4, 112, 112), **params) == expected


def test_sequence_pooling_adaptive_pooling_and_upsample_shapes() -> None:
    assert shape_after("MaxPool1d", "sequence", (3, 9), kernel_size=2, ceil_mode=True) == (3, 5)
    assert shape_after("AvgPool1d", "sequence", (3, 9), kernel_size=3, stride=1,
                       padding=1) == (3, 9)
    assert shape_after("AdaptiveAvgPool2d", "image", (512, 14, 14), output_size=(7, 7)) \
        == (512, 7, 7)
    assert shape_after("AdaptiveMaxPool2d", "image", (8, 5, 3), output_size=(2,)) == (8, 2, 2)
    assert shape_after("Upsample", "image", (3, 5, 4)) == (3, 10, 8)
    assert shape_after("Upsample", "image", (3, 5, 4), scale_factor=1.5) == (3, 7, 6)
    assert shape_after("Upsample", "image", (3, 5, 4), size=(9, 2), mode="bilinear") \
        == (3, 9, 2)


def test_sequence_layers_permute_select_and_attention_shapes() -> None:
    assert shape_after("Permute", "image", (3, 8, 6), dims=(1, 2, 0)) == (8, 6, 3)
    assert shape_after("Select", "sequence", (40, 64)) == (64,)
    assert shape_after("Select", "image", (3, 8, 6), axis=-1, index=2) == (3, 8)
    assert shape_after("MultiheadAttention", "sequence", (10, 12), num_heads=4) == (10, 12)
    assert shape_after("TransformerEncoderLayer", "sequence", (10, 12), nhead=3) == (10, 12)
    assert shape_after("PositionEmbedding", "sequence", (10, 12)) == (10, 12)


def test_refusals_name_the_node_and_say_what_to_change() -> None:
    assert "e.g. 2, 1, 0" in refusal("Permute", "image", (3, 8, 6), dims=(0, 0, 1))
    assert "dims 1, 0 must list each axis" in refusal("Permute", "image", (3, 8, 6), dims=(1, 0))
    assert "index 7 is outside" in refusal("Select", "sequence", (5, 4), index=7)
    assert "at least 2 axes" in refusal("Select", "vector", (5,))
    assert "3 heads must divide the 8 features" in refusal(
        "MultiheadAttention", "sequence", (5, 8), num_heads=3)
    assert "sequence" in refusal("TransformerEncoderLayer", "image", (3, 8, 8))
    assert "num_groups=3 must divide the 4 channels" in refusal(
        "GroupNorm", "image", (4, 2, 2), num_groups=3)
    assert "fewer groups" in refusal("GroupNorm", "vector", (4,), num_groups=4)
    assert "more than one pixel" in refusal("InstanceNorm2d", "image", (4, 1, 1))
    assert "two numbers" in refusal("Upsample", "image", (3, 4, 4), size=(5,))
    assert "larger factor" in refusal("Upsample", "image", (3, 4, 4), scale_factor=0.1)
    assert "align_corners" in refusal("Upsample", "image", (3, 4, 4), align_corners=True)
    assert "one number" in refusal("AdaptiveAvgPool2d", "image", (3, 4, 4),
                                   output_size=(1, 2, 3))
    assert "padding (2)" in refusal("MaxPool1d", "sequence", (3, 9), kernel_size=3,
                                    padding=2)


def test_new_types_sit_in_their_palette_groups_with_pytorch_names_to_search() -> None:
    groups = {spec.type: spec.category for spec in all_layer_specs()}
    assert CATEGORIES.index("attention") == CATEGORIES.index("recurrent") + 1
    assert {t for t, c in groups.items() if c == "attention"} == {
        "MultiheadAttention", "TransformerEncoderLayer", "PositionEmbedding"}
    assert groups["AdaptiveAvgPool2d"] == groups["Upsample"] == "pooling"
    assert groups["GroupNorm"] == groups["InstanceNorm2d"] == "normalisation"
    assert groups["PReLU"] == groups["Mish"] == groups["LogSoftmax"] == "activations"
    for name in ("MultiheadAttention", "TransformerEncoderLayer", "Upsample", "PReLU"):
        assert f"nn.{name}" in layer_spec(name).search_words


def test_parameters_added_to_old_types_default_to_what_they_did_before() -> None:
    """Old project files name no ceil_mode or approximate: the defaults keep their
    meaning, and the recipes ask torch for its own defaults."""
    pool = layer_spec("AvgPool2d")
    assert pool.defaults() == {"kernel_size": 2, "stride": 0, "padding": 0,
                               "ceil_mode": False, "count_include_pad": True}
    recipe = pool.recipe(pool.defaults(), [(1, 4, 4)])
    assert recipe.kwargs == {"kernel_size": 2, "stride": 2, "padding": 0,
                             "ceil_mode": False, "count_include_pad": True}
    gelu = layer_spec("GELU")
    assert gelu.recipe(gelu.defaults(), [(3,)]).kwargs == {"approximate": "none"}
    assert gelu.key_params == ()


def test_pooling_asks_for_ceil_mode_only_where_it_adds_a_window() -> None:
    pool = layer_spec("MaxPool2d")
    params = dict(pool.defaults(), kernel_size=3, stride=3, padding=1, ceil_mode=True)
    assert pool.recipe(params, [(2, 9, 9)]).kwargs["ceil_mode"] is True  # 4 windows, not 3
    assert pool.recipe(params, [(2, 8, 8)]).kwargs["ceil_mode"] is False  # 3 either way
    assert shape_after("MaxPool2d", "image", (2, 9, 8), **params) == (2, 4, 3)
