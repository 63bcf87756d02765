"""The result of an import and the small builder both importers fill it with.

`GraphBuilder` turns foreign names (fx's `layer1.0.conv1`, ONNX's `/layer1/conv1`) into
readable unique node names, keeps each node's weights under the keys that
`compile_graph(graph).state_dict()` uses (`<node>.<param>`), and lays the graph out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import torch

from dlstudio.graph import Graph, GraphError
from dlstudio.graph.layers.inputs_outputs import LOSSES
from dlstudio.graph.layout import apply_layout
from dlstudio.graph.names import check_name
from dlstudio.importers.errors import Unsupported


@dataclass
class ImportedModel:
    """An imported network: the laid-out graph, its weights (keyed for
    `compile_graph(graph).state_dict()`; empty when it has none), where it came from and
    what the user should know (a guessed loss, a folded layer)."""

    graph: Graph
    state: dict[str, torch.Tensor]
    source: str
    notes: list[str] = field(default_factory=list)


def readable_name(raw: str, taken: set[str]) -> str:
    """`layer1.0.conv1` -> `layer1_0_conv1`: a valid node name, not in `taken`."""
    text = re.sub(r"[^A-Za-z0-9_]+", "_", raw).strip("_")[:56] or "node"
    if text[0].isdigit():
        text = f"n{text}"
    try:
        check_name(text)
    except GraphError:  # a keyword or a reserved attribute such as `x` or `forward`
        text = f"{text}_1"
    name, index = text, 2
    while name in taken:
        name = f"{text}_{index}"
        index += 1
    return name


def input_name(raw: str, kind: str) -> str:
    """An input's name, or its kind (`image`, `tokens`) when the name is reserved for
    something else in a graph (`x`, `input`), so the canvas does not read `x_1`."""
    try:
        check_name(raw)
    except GraphError:
        return kind
    return raw


def legacy_name(raw: str, op_type: str) -> str:
    """`/layer1/conv1/Relu_output_0` -> `layer1/conv1`, `/Relu_1_output_0` -> `Relu_1`: the
    readable part of the value names torch's older exporter writes."""
    parts = re.sub(r"_output_\d+$", "", raw).strip("/").split("/")
    if len(parts) > 1 and re.fullmatch(rf"{re.escape(op_type)}(_\d+)?", parts[-1]):
        parts.pop()
    return "/".join(parts)


class GraphBuilder:
    """Adds imported layers to a new graph, with their weights."""

    def __init__(self) -> None:
        self.graph = Graph()
        self.state: dict[str, torch.Tensor] = {}
        self.taken: set[str] = set()

    def add(self, type_name: str, raw_name: str, params: dict[str, Any],
            inputs: list[str], weights: dict[str, torch.Tensor] | None = None) -> str:
        """Add a node fed by the nodes `inputs` (in port order); its id."""
        name = readable_name(raw_name, self.taken)
        try:
            node = self.graph.add_node(type_name, name=name, params=params)
        except GraphError as error:
            raise Unsupported(type_name, str(error)) from None
        self.taken.add(name)
        for source, port in zip(inputs, node.input_ports, strict=True):
            self.graph.connect(source, node.id, dst_port=port)
        for key, value in (weights or {}).items():
            self.state[f"{name}.{key}"] = value.detach().clone()
        return node.id

    def set_param(self, node_id: str, key: str, value: Any) -> None:
        self.graph.set_param(node_id, key, value)

    def finish(self, result: str, loss: str, source: str, notes: list[str]) -> ImportedModel:
        """Add the Output after `result` and lay the graph out."""
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}")
        self.add("Output", "output", {"loss": loss}, [result])
        apply_layout(self.graph)
        return ImportedModel(self.graph, self.state, source, notes)


def guess_loss(graph: Graph, result: str, output_shape: tuple[int, ...],
               notes: list[str]) -> str:
    """The loss for a model that does not say: what its last layer and width suggest."""
    last = graph.nodes[result].type
    if last == "Softmax":
        return "cross_entropy"
    if last == "Sigmoid":
        loss = "binary_cross_entropy"
    elif len(output_shape) >= 1 and output_shape[-1] >= 2:
        loss = "cross_entropy"
    else:
        loss = "mse"
    notes.append(f"the loss is a guess from the last layer ({last}, output "
                 f"{'×'.join(map(str, output_shape))}): {loss}; change it on the Output node")
    return loss
