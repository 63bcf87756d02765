"""The MAC rules of `dlstudio.graph.cost` against a real measurement: torch's
FlopCounterMode on the compiled module (2 FLOPs per multiply-add of a matrix product or
convolution)."""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from dlstudio.compile.compiler import compile_graph
from dlstudio.graph import Graph
from dlstudio.graph.cost import graph_costs
from dlstudio.graph.templates import build_template


def _measured_macs(module: torch.nn.Module, shape: tuple[int, ...]) -> int:
    with FlopCounterMode(display=False) as counter:
        module(torch.randn(1, *shape))
    return counter.get_total_flops() // 2


def _single(kind: str, shape: tuple[int, ...], layer: str, params: dict) -> Graph:
    graph = Graph()
    source = graph.add_node("Input", params={"kind": kind, "shape": shape})
    node = graph.add_node(layer, params=params)
    graph.connect(source.id, node.id)
    graph.connect(node.id, graph.add_node("Output", params={"loss": "mse"}).id)
    return graph


CASES = [
    ("vector", (37,), "Dense", {"units": 11}),
    ("sequence", (9, 13), "Dense", {"units": 5, "bias": False}),
    ("image", (4, 17, 15), "Conv2d", {"filters": 6, "kernel_size": 3, "stride": 2,
                                      "padding": 1, "dilation": 2, "groups": 2}),
    ("sequence", (6, 40), "Conv1d", {"filters": 9, "kernel_size": 5, "padding": "same"}),
    ("image", (3, 9, 9), "ConvTranspose2d", {"filters": 4, "kernel_size": 3, "stride": 2,
                                             "padding": 1, "output_padding": 1}),
    ("sequence", (20, 16), "RNN", {"units": 8}),
    ("sequence", (20, 16), "GRU", {"units": 8, "num_layers": 2, "bidirectional": True}),
]


@pytest.mark.parametrize(("kind", "shape", "layer", "params"), CASES)
def test_macs_match_the_flop_counter(kind, shape, layer, params) -> None:
    graph = _single(kind, shape, layer, params)
    node = next(n for n in graph.nodes.values() if n.type == layer)
    predicted = graph_costs(graph)[node.id].macs
    assert predicted > 0
    assert _measured_macs(compile_graph(graph).eval(), shape) == predicted


def test_attention_projections_match_and_scores_are_added() -> None:
    """CPU attention runs the scores in one fused kernel the counter does not see; the
    four projections it does see are ours exactly, and we add the two T·T·E products."""
    steps, width = 20, 16
    graph = _single("sequence", (steps, width), "MultiheadAttention", {"num_heads": 4})
    node = next(n for n in graph.nodes.values() if n.type == "MultiheadAttention")
    module = compile_graph(graph).train()
    measured = _measured_macs(module, (steps, width))
    assert measured == 4 * steps * width * width
    assert graph_costs(graph)[node.id].macs == measured + 2 * steps * steps * width


def test_cnn_small_whole_model() -> None:
    graph = build_template("cnn-small")
    with torch.no_grad():
        measured = _measured_macs(compile_graph(graph).eval(), (1, 28, 28))
    assert measured == sum(cost.macs for cost in graph_costs(graph).values()) == 888_192
