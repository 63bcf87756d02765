"""Small graphs the compiler tests share: a residual block, a two-input DAG, a text model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dlstudio.graph import Graph, Node

Wire = Callable[..., None]


def wire(graph: Graph, *nodes: Node) -> None:
    """Connect nodes one after another through their default ports."""
    for src, dst in zip(nodes, nodes[1:], strict=False):
        graph.connect(src.id, dst.id)


def add(graph: Graph, type_name: str, name: str, **params: Any) -> Node:
    return graph.add_node(type_name, name=name, params=params)


def make_resnet() -> Graph:
    """conv -> bn -> relu -> [conv -> bn] + skip -> relu -> pool -> dense -> softmax."""
    g = Graph()
    image = add(g, "Input", "image", kind="image", shape=(3, 8, 8))
    stem = add(g, "Conv2d", "stem", filters=4, padding="same", trainable=False)
    bn0 = add(g, "BatchNorm2d", "bn0")
    relu0 = add(g, "ReLU", "relu0")
    conv1 = add(g, "Conv2d", "conv1", filters=4, padding=1, bias=False)
    bn1 = add(g, "BatchNorm2d", "bn1")
    skip = add(g, "Add", "skip")
    relu1 = add(g, "ReLU", "relu1")
    pool = add(g, "MaxPool2d", "pool")
    gap = add(g, "GlobalAvgPool", "gap")
    head = add(g, "Dense", "head", units=5)
    probs = add(g, "Softmax", "probs")
    out = add(g, "Output", "out", loss="cross_entropy")
    wire(g, image, stem, bn0, relu0, conv1, bn1)
    g.connect(relu0.id, skip.id, dst_port="in1")
    g.connect(bn1.id, skip.id, dst_port="in2")
    wire(g, skip, relu1, pool, gap, head, probs, out)
    return g


def make_concat_dag() -> Graph:
    """Two Inputs; two convolution branches joined by Concat, then the vector input."""
    g = Graph()
    meta = add(g, "Input", "meta", kind="vector", shape=(3,))
    image = add(g, "Input", "image", kind="image", shape=(2, 6, 6))
    branch_a = add(g, "Conv2d", "branch_a", filters=3, kernel_size=1)
    branch_b = add(g, "Conv2d", "branch_b", filters=5, kernel_size=3, padding=1)
    joined = add(g, "Concat", "joined", axis=0)
    flat = add(g, "Flatten", "flat")
    both = add(g, "Concat", "both", axis=-1)
    gate = add(g, "Dense", "gate", units=4)
    head = add(g, "Dense", "head", units=4)
    out = add(g, "Output", "out", loss="mse")
    wire(g, image, branch_a)
    wire(g, image, branch_b)
    g.connect(branch_a.id, joined.id, dst_port="in1")
    g.connect(branch_b.id, joined.id, dst_port="in2")
    wire(g, joined, flat)
    g.connect(flat.id, both.id, dst_port="in1")
    g.connect(meta.id, both.id, dst_port="in2")
    wire(g, both, gate, head, out)
    return g


def make_text_model(per_step: bool = False) -> Graph:
    """tokens -> Embedding -> bidirectional 2-layer LSTM -> GRU -> Dense -> Softmax."""
    g = Graph()
    tokens = add(g, "Input", "tokens", kind="tokens", shape=(7,))
    embed = add(g, "Embedding", "embed", vocab_size=11, dim=6)
    lstm = add(g, "LSTM", "lstm", units=5, num_layers=2, bidirectional=True,
               return_sequences=True)
    gru = add(g, "GRU", "gru", units=4, return_sequences=per_step)
    head = add(g, "Dense", "head", units=11)
    probs = add(g, "Softmax", "probs")
    out = add(g, "Output", "out", loss="cross_entropy")
    wire(g, tokens, embed, lstm, gru, head, probs, out)
    return g


@pytest.fixture
def resnet_graph() -> Graph:
    return make_resnet()


@pytest.fixture
def concat_graph() -> Graph:
    return make_concat_dag()


@pytest.fixture
def text_graph() -> Graph:
    return make_text_model()


@pytest.fixture
def per_step_text_graph() -> Graph:
    return make_text_model(per_step=True)


@pytest.fixture
def build() -> Callable[..., Node]:
    """`build(graph, type, name, **params)`: add a node (tests wire it with `chain`)."""
    return add


@pytest.fixture
def chain() -> Wire:
    return wire
