"""What each node costs: parameters, multiply-adds (MACs) and activation memory, for one
sample, from the inferred shapes alone (no torch), so the canvas, the summary and
`dlstudio summary` show the same numbers and a huge graph costs milliseconds to count.

Conventions (docs/insight.md, "What each layer costs"):
- params: the catalogue's count, as `summary` shows.
- MACs: one multiply-add is one MAC. Matrix products and convolutions count what
  `torch.utils.flop_counter.FlopCounterMode` counts, halved (it counts 2 FLOPs per MAC),
  as fvcore does; biases are not counted. Normalisation layers count one per output value,
  two with a learned scale and shift (ptflops' and mmcv's rule). Element-wise
  activations, pooling (its comparisons and sums are not multiply-adds), merges,
  dropout, upsampling and lookups (Embedding) count 0.
- activation memory: the node's output as float32 (4 bytes a value); views (Flatten,
  Reshape, Identity, Output) share their input's memory and count 0. A recurrent layer
  also counts what it keeps at every time step for the backward pass (RECURRENT_KEPT):
  its output alone is ~1/70 of that for an LSTM over 40 steps. The training memory
  estimate (`dlstudio.train.memory`) uses this same rule.
Every number is a Python int, so nothing overflows however large the graph.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dlstudio.graph.catalogue import all_layer_specs
from dlstudio.graph.inference import ShapeReport, infer_shapes
from dlstudio.graph.model import Graph
from dlstudio.graph.shape_text import Shape

FLOAT_BYTES = 4
VIEWS = ("Flatten", "Reshape", "Identity", "Output")  # share their input's memory

# Values a recurrent layer keeps per time step, layer and direction for the backward pass,
# in units of its hidden size. Measured with torch's saved-tensor hooks (torch 2.x, CPU,
# inputs no wider than the units): an LSTM keeps 7-8 with ATen's kernel (four gates, the
# cell state, its tanh, the hidden state) and 16-22 with oneDNN (the CPU default for
# float32: its workspace of gates and states, more with layers and directions); a GRU
# 7-8 with either (three gates, the new gate's hidden product, the states); a plain RNN
# 1-1.7 (its hidden state). The training estimate doubles every activation
# (memory.BACKWARD_FACTOR), so these are half the largest figure, rounded up: not below
# what autograd keeps. oneDNN pads its states to the wider of input and units, so a
# layer much wider in than out keeps more. tests/train/test_memory.py measures it.
RECURRENT_KEPT = {"LSTM": 11, "GRU": 4, "RNN": 1}

Params = Mapping[str, Any]
MacRule = Callable[[Params, Sequence[Shape], Shape], int]


@dataclass(frozen=True)
class NodeCost:
    """One node's cost for one sample."""

    params: int
    macs: int
    activation_bytes: int


def product(shape: Sequence[int]) -> int:
    size = 1
    for dim in shape:
        size *= max(1, int(dim))
    return size


def activation_elements(type_name: str, shape: Shape | None, params: Params | None = None,
                        inputs: Sequence[Shape] | None = None) -> int:
    """Values a node holds in memory for one sample: its output (0 for a view), and for a
    recurrent layer (given its params and input shapes) what it keeps per time step."""
    if shape is None or type_name in VIEWS:
        return 0
    return product(shape) + recurrent_kept(type_name, params, inputs)


def recurrent_kept(type_name: str, params: Params | None,
                   inputs: Sequence[Shape] | None) -> int:
    """steps x layers x directions x RECURRENT_KEPT x units; 0 for any other layer."""
    per_unit = RECURRENT_KEPT.get(type_name)
    if per_unit is None or params is None or not inputs or len(inputs[0]) != 2:
        return 0
    directions = 2 if params.get("bidirectional") else 1
    return (int(inputs[0][0]) * int(params.get("num_layers", 1)) * directions * per_unit
            * int(params["units"]))


def activation_bytes(type_name: str, shape: Shape | None, params: Params | None = None,
                     inputs: Sequence[Shape] | None = None) -> int:
    return activation_elements(type_name, shape, params, inputs) * FLOAT_BYTES


# ----- multiply-adds per layer type ---------------------------------------------------
def _dense(p: Params, inputs: Sequence[Shape], out: Shape) -> int:
    return product(inputs[0]) * p["units"]  # every input value meets every unit


def _conv(p: Params, inputs: Sequence[Shape], out: Shape) -> int:
    """Each output value: a window of kernel^d taps over in_channels / groups channels."""
    taps = p["kernel_size"] ** (len(out) - 1) * (inputs[0][0] // p["groups"])
    return product(out) * taps


def _conv_transpose(p: Params, inputs: Sequence[Shape], out: Shape) -> int:
    """Each input value is spread over kernel^2 taps of filters / groups channels."""
    return product(inputs[0]) * p["kernel_size"] ** 2 * (p["filters"] // p["groups"])


def _recurrent(gates: int) -> MacRule:
    def rule(p: Params, inputs: Sequence[Shape], out: Shape) -> int:
        """Per step, layer and direction: the gates' input and state products."""
        steps, width = inputs[0]
        hidden, directions = p["units"], 2 if p["bidirectional"] else 1
        total = 0
        for _ in range(p["num_layers"]):
            total += steps * gates * hidden * (width + hidden) * directions
            width = hidden * directions
        return total
    return rule


def attention_macs(steps: int, width: int) -> int:
    """Query, key, value and output projections (4·T·E²) plus the scores Q·Kᵀ and their
    weighted sum of V (2·T²·E, whatever the number of heads)."""
    return 4 * steps * width * width + 2 * steps * steps * width


def _attention(p: Params, inputs: Sequence[Shape], out: Shape) -> int:
    return attention_macs(*inputs[0])


def _norm_macs(values: int, affine: bool) -> int:
    return values * (2 if affine else 1)


def _encoder(p: Params, inputs: Sequence[Shape], out: Shape) -> int:
    steps, width = inputs[0]
    feed_forward = 2 * steps * width * p["dim_feedforward"]
    norms = 2 * _norm_macs(steps * width, True)
    return attention_macs(steps, width) + feed_forward + norms


def _normalise(affine: Callable[[Params], bool]) -> MacRule:
    return lambda p, inputs, out: _norm_macs(product(out), affine(p))


MAC_RULES: dict[str, MacRule] = {
    "Dense": _dense,
    "Conv1d": _conv,
    "Conv2d": _conv,
    "ConvTranspose2d": _conv_transpose,
    "RNN": _recurrent(1),
    "GRU": _recurrent(3),
    "LSTM": _recurrent(4),
    "MultiheadAttention": _attention,
    "TransformerEncoderLayer": _encoder,
    "BatchNorm1d": _normalise(lambda p: True),
    "BatchNorm2d": _normalise(lambda p: True),
    "LayerNorm": _normalise(lambda p: True),
    "GroupNorm": _normalise(lambda p: bool(p["affine"])),
    "InstanceNorm2d": _normalise(lambda p: bool(p["affine"])),
}

# Layer types that do no multiply-adds by the conventions above; every catalogue type is
# in one of the two tables (tests/graph/test_cost.py checks), so a new type is decided on.
NO_MACS = frozenset({
    "Input", "Output", "Dropout", "Dropout2d", "Identity", "Flatten", "Reshape", "Permute",
    "Select", "Embedding", "PositionEmbedding", "Add", "Multiply", "Concat",
    "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool2d",
    "AdaptiveMaxPool2d", "GlobalAvgPool", "Upsample", "ReLU", "LeakyReLU", "ELU", "GELU",
    "SiLU", "Sigmoid", "Tanh", "ReLU6", "Hardswish", "Hardsigmoid", "Mish", "Softplus",
    "PReLU", "Softmax", "LogSoftmax",
})


def macs(type_name: str, params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    """Multiply-adds of one node for one sample."""
    rule = MAC_RULES.get(type_name)
    return 0 if rule is None else int(rule(params, inputs, output))


def uncounted_types() -> list[str]:
    """Catalogue types in neither table (a test keeps this empty)."""
    return [spec.type for spec in all_layer_specs()
            if spec.type not in MAC_RULES and spec.type not in NO_MACS]


# ----- a whole graph -------------------------------------------------------------------
def graph_costs(graph: Graph, report: ShapeReport | None = None) -> dict[str, NodeCost]:
    """Each node's cost by node id, in data-flow order; a node whose input shapes are
    unknown (a problem upstream) is left out. `report`: the shapes, when already made."""
    report = report if report is not None else infer_shapes(graph)
    costs: dict[str, NodeCost] = {}
    for node_id in report.order:
        cost = node_cost(graph, report, node_id)
        if cost is not None:
            costs[node_id] = cost
    return costs


def node_cost(graph: Graph, report: ShapeReport, node_id: str) -> NodeCost | None:
    """One node's cost, or None while its shapes are unknown."""
    node = graph.nodes[node_id]
    inputs = report.input_shapes.get(node_id)
    output = report.shapes.get(node_id)
    if inputs is None or output is None:
        return None
    return NodeCost(int(node.spec.count_params(node.params, inputs)),
                    macs(node.type, node.params, inputs, output),
                    activation_bytes(node.type, output, node.params, inputs))


# ----- words ---------------------------------------------------------------------------
UNITS = ("", " k", " M", " G", " T", " P", " E")


def format_quantity(count: int) -> str:
    """320 -> '320', 230_400 -> '230 k', 15_470_264_320 -> '15.5 G' (three figures)."""
    if count < 1000:
        return str(count)
    exponent = min((len(str(count)) - 1) // 3, len(UNITS) - 1)
    value = count / 1000 ** exponent
    text = f"{value:.3g}" if value < 1000 else f"{value:,.0f}"
    if "e" in text:  # 999.95 rounds to 1e+03: say it in the next unit
        return format_quantity(10 ** (3 * exponent + 3))
    return f"{text}{UNITS[exponent]}"


def format_size(count: int) -> str:
    """Bytes in decimal units as the memory check writes them: '512 B', '86.5 kB', '2.3 MB'."""
    return f"{format_quantity(count)} B" if count < 1000 else f"{format_quantity(count)}B"


def cost_line(cost: NodeCost) -> str:
    """'320 params · 230 k MACs · 86.5 kB': what the canvas shows beside a card (only
    the parts that are not zero)."""
    return " · ".join(cost_parts(cost))


def cost_parts(cost: NodeCost) -> list[str]:
    parts = []
    if cost.params:
        parts.append(f"{format_quantity(cost.params)} params")
    if cost.macs:
        parts.append(f"{format_quantity(cost.macs)} MACs")
    if cost.activation_bytes:
        parts.append(format_size(cost.activation_bytes))
    return parts
