"""Fixtures of the export tests: two graphs that cover the layers no template small
enough for the CPU uses (GRU, RNN, merges, ...), and seeded example inputs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from dlstudio.graph import Graph
from dlstudio.graph.templates.builder import Builder


@pytest.fixture
def recurrent_graph() -> Graph:
    """Token ids through Embedding, a bidirectional GRU giving every step and a ReLU RNN
    giving the last one (the lstm-text template covers LSTM)."""
    b = Builder()
    b.add("Input", "tokens", kind="tokens", shape=(5,))
    b.add("Embedding", "embed", vocab_size=20, dim=8)
    b.add("GRU", "gru", units=6, bidirectional=True, return_sequences=True)
    b.add("RNN", "rnn", units=5, nonlinearity="relu")
    b.add("LayerNorm", "norm")
    b.add("Dense", "fc", units=3)
    b.classifier_end()
    return b.graph


@pytest.fixture
def branching_graph() -> Graph:
    """Two convolution branches gated (Multiply) and joined (Concat), then the remaining
    image, sequence and vector layers, ending in a regression Output."""
    b = Builder()
    image = b.add("Input", "image", kind="image", shape=(2, 8, 8))
    b.add("Conv2d", "conv_a", filters=4, kernel_size=3, padding=1)
    b.add("BatchNorm2d", "bn")
    leaky = b.add("LeakyReLU", "leaky")
    conv_b = b.add("Conv2d", "conv_b", filters=4, kernel_size=3, padding=1, after=image)
    silu = b.add("SiLU", "silu")
    gate = b.add("Multiply", "gate", after=leaky)
    b.wire(silu, gate, "in2")
    join = b.add("Concat", "join", after=gate)
    b.wire(conv_b, join, "in2")
    b.add("AvgPool2d", "avg")
    b.add("ConvTranspose2d", "up", filters=3)
    b.add("ELU", "elu")
    b.add("GlobalAvgPool", "gap")
    b.add("Reshape", "reshape", shape=(3, 1))
    b.add("Conv1d", "conv1d", filters=4, kernel_size=1)
    b.add("Flatten", "flat")
    b.add("BatchNorm1d", "bn1")
    b.add("GELU", "gelu")
    b.add("Dropout", "drop", rate=0.2)
    b.add("Dense", "fc", units=2)
    b.add("Output", "output", loss="mse")
    return b.graph


def _example_inputs(graph: Graph, batch: int, seed: int) -> tuple[torch.Tensor, ...]:
    """Random inputs for every Input node; token ids stay below the smallest vocabulary."""
    generator = torch.Generator().manual_seed(seed)
    vocab = min((n.params["vocab_size"] for n in graph.nodes_of_type("Embedding")), default=2)
    return tuple(
        torch.randint(0, vocab, (batch, *node.params["shape"]), generator=generator)
        if node.params["kind"] == "tokens"
        else torch.randn((batch, *node.params["shape"]), generator=generator)
        for node in graph.nodes_of_type("Input"))


@pytest.fixture
def make_inputs() -> Callable[[Graph, int, int], tuple[torch.Tensor, ...]]:
    return _example_inputs
