"""ONNX operators -> catalogue layers, one small mapper each.

A mapper gets the reader (constants, values, shapes, `add`) and the node, and returns
one value per output: a graph node id, or a `Lazy` view for the time-major tensors that
exporters put around recurrent operators (ONNX's LSTM reads and writes time first).
Anything a layer cannot rebuild exactly raises Unsupported with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import onnx

from dlstudio.importers.errors import Unsupported
from dlstudio.importers.modules_map import sample_axis

if TYPE_CHECKING:
    from dlstudio.importers.onnx_import import _Reader as Reader

# ONNX gate order -> torch's, per recurrent kind (ONNX LSTM: i o f c; torch: i f g o).
GATE_ORDER = {"LSTM": (0, 2, 3, 1), "GRU": (1, 0, 2), "RNN": (0,)}


class OnnxNode:
    """A NodeProto with its attributes as plain Python values."""

    def __init__(self, proto: onnx.NodeProto) -> None:
        self.proto = proto
        self.op_type, self.domain = proto.op_type, proto.domain
        self.inputs, self.outputs = list(proto.input), list(proto.output)
        self.attrs: dict[str, Any] = {}
        for attribute in proto.attribute:
            value = onnx.helper.get_attribute_value(attribute)
            self.attrs[attribute.name] = value.decode() if isinstance(value, bytes) else value
        self.label = proto.name or (self.outputs[0] if self.outputs else op_type_label(proto))

    def input(self, index: int) -> str:
        return self.inputs[index] if index < len(self.inputs) else ""


def float_attr(node: OnnxNode, name: str, default: float) -> float:
    """A float attribute as the user wrote it: ONNX keeps float32, so 1e-5 reads back as
    9.99999974e-06; the shortest decimal that is the same float32 is the value meant."""
    return float(str(np.float32(node.attrs.get(name, default))))


def op_type_label(proto: onnx.NodeProto) -> str:
    return f"ONNX {proto.op_type}"


@dataclass(frozen=True)
class Lazy:
    """A view of graph node `node_id`'s output that only recurrent operators read:
    "TN" time-major (T, N, F) of a batch-first (N, T, F); "TDNH" an ONNX recurrent
    output Y (T, directions, N, H); "TNDH" the same with N second."""

    node_id: str
    layout: str
    directions: int = 1

    def full_shape(self, sample: tuple[int, ...], batch: int) -> tuple[int, ...]:
        steps, width = sample
        hidden = width // self.directions
        return {"TN": (steps, batch, width), "TDNH": (steps, self.directions, batch, hidden),
                "TNDH": (steps, batch, self.directions, hidden)}[self.layout]


@dataclass(frozen=True)
class Missing:
    """An output no layer stands for (a recurrent layer's final state): reading it is
    unsupported."""

    what: str


Mapper = Callable[["Reader", OnnxNode], list[Any]]


def _uniform(node: OnnxNode, values: Any, what: str) -> int:
    items = [int(v) for v in values]
    if len(set(items)) != 1:
        raise Unsupported(f"ONNX {node.op_type}", f"{what} {items} differs per axis")
    return items[0]


def _check_auto_pad(node: OnnxNode) -> None:
    if node.attrs.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
        raise Unsupported(f"ONNX {node.op_type}", f"auto_pad={node.attrs['auto_pad']}")


def _simple(type_name: str, **fixed: Callable[[OnnxNode], Any]) -> Mapper:
    def mapper(reader: Reader, node: OnnxNode) -> list[Any]:
        params = {key: read(node) for key, read in fixed.items()}
        return [reader.add(type_name, node, params, [reader.node_input(node.inputs[0], node)])]
    return mapper


def _softmax(type_name: str) -> Mapper:
    def mapper(reader: Reader, node: OnnxNode) -> list[Any]:
        axis = int(node.attrs.get("axis", -1))
        if axis == 0:
            raise Unsupported(f"ONNX {node.op_type}", "over the batch axis")
        return [reader.add(type_name, node, {"axis": sample_axis(axis)},
                           [reader.node_input(node.inputs[0], node)])]
    return mapper


def _clip(reader: Reader, node: OnnxNode) -> list[Any]:
    low = float(reader.constant(node.input(1), "ONNX Clip")) if node.input(1) else None
    high = float(reader.constant(node.input(2), "ONNX Clip")) if node.input(2) else None
    if (low, high) == (0.0, 6.0):
        return [reader.add("ReLU6", node, {}, [reader.node_input(node.inputs[0], node)])]
    if (low, high) == (0.0, None):
        return [reader.add("ReLU", node, {}, [reader.node_input(node.inputs[0], node)])]
    raise Unsupported("ONNX Clip", f"to [{low}, {high}]; only ReLU6 (0, 6) is a layer")


def _prelu(reader: Reader, node: OnnxNode) -> list[Any]:
    source = reader.node_input(node.inputs[0], node)
    slope = reader.constant(node.inputs[1], "ONNX PRelu").astype(np.float32).reshape(-1)
    return [reader.add("PReLU", node, {"per_channel": slope.size > 1}, [source],
                       {"weight": slope})]


def _dropout(reader: Reader, node: OnnxNode) -> list[Any]:
    ratio = float(reader.constant(node.input(1), "ONNX Dropout")) if node.input(1) else 0.5
    return [reader.add("Dropout", node, {"rate": ratio},
                       [reader.node_input(node.inputs[0], node)])]


# ----- weighted layers -------------------------------------------------------------------
def _conv(reader: Reader, node: OnnxNode) -> list[Any]:
    source = reader.node_input(node.inputs[0], node)
    weight = reader.constant(node.inputs[1], "ONNX Conv")
    _check_auto_pad(node)
    spatial = weight.ndim - 2
    transpose = node.op_type == "ConvTranspose"
    groups = int(node.attrs.get("group", 1))
    params: dict[str, Any] = {
        "filters": weight.shape[1] * groups if transpose else weight.shape[0],
        "kernel_size": _uniform(node, weight.shape[2:], "kernel"),
        "stride": _uniform(node, node.attrs.get("strides", [1] * spatial), "stride"),
        "padding": _uniform(node, node.attrs.get("pads", [0] * 2 * spatial), "padding"),
        "groups": groups, "bias": bool(node.input(2))}
    dilation = _uniform(node, node.attrs.get("dilations", [1] * spatial), "dilation")
    if transpose:
        if spatial != 2 or dilation != 1 or node.attrs.get("output_shape"):
            raise Unsupported("ONNX ConvTranspose", "only 2d, dilation 1, no output_shape")
        params["output_padding"] = _uniform(node, node.attrs.get("output_padding", [0, 0]),
                                            "output_padding")
        type_name = "ConvTranspose2d"
    elif spatial in (1, 2):
        params["dilation"] = dilation
        type_name = f"Conv{spatial}d"
    else:
        raise Unsupported("ONNX Conv", f"{spatial}d")
    weights = {"weight": weight}
    if node.input(2):
        weights["bias"] = reader.constant(node.inputs[2], "ONNX Conv")
    return [reader.add(type_name, node, params, [source], weights)]


def _gemm(reader: Reader, node: OnnxNode) -> list[Any]:
    source = reader.node_input(node.inputs[0], node)
    if node.attrs.get("transA", 0):
        raise Unsupported("ONNX Gemm", "transA=1")
    weight = reader.constant(node.inputs[1], "ONNX Gemm") * node.attrs.get("alpha", 1.0)
    if not node.attrs.get("transB", 0):
        weight = weight.T
    weights = {"weight": weight.astype(np.float32)}
    if node.input(2):
        bias = reader.constant(node.inputs[2], "ONNX Gemm") * node.attrs.get("beta", 1.0)
        weights["bias"] = np.broadcast_to(bias, (weight.shape[0],)).astype(np.float32)
    return [reader.add("Dense", node, {"units": weight.shape[0], "bias": "bias" in weights},
                       [source], weights)]


def _matmul(reader: Reader, node: OnnxNode) -> list[Any]:
    source = reader.node_input(node.inputs[0], node)
    weight = reader.constant(node.inputs[1], "ONNX MatMul")
    if weight.ndim != 2:
        raise Unsupported("ONNX MatMul", "by a tensor that is not a 2d weight matrix")
    return [reader.add("Dense", node, {"units": weight.shape[1], "bias": False}, [source],
                       {"weight": weight.T})]


def _batch_norm(reader: Reader, node: OnnxNode) -> list[Any]:
    source = reader.node_input(node.inputs[0], node)
    rank = len(reader.shape(source))
    if len(node.outputs) > 1 and any(node.outputs[1:]) or node.attrs.get("training_mode"):
        raise Unsupported("ONNX BatchNormalization", "in training mode")
    scale, bias, mean, var = (reader.constant(n, "ONNX BatchNormalization")
                              for n in node.inputs[1:5])
    weights = {"weight": scale, "bias": bias, "running_mean": mean, "running_var": var,
               "num_batches_tracked": np.array(0, dtype=np.int64)}
    params = {"eps": float_attr(node, "epsilon", 1e-5),
              "momentum": round(1.0 - float(node.attrs.get("momentum", 0.9)), 6)}
    return [reader.add("BatchNorm2d" if rank == 3 else "BatchNorm1d", node, params, [source],
                       weights)]


def _layer_norm(reader: Reader, node: OnnxNode) -> list[Any]:
    source = reader.node_input(node.inputs[0], node)
    rank = len(reader.shape(source)) + 1
    if int(node.attrs.get("axis", -1)) % rank != rank - 1 or not node.input(2):
        raise Unsupported("ONNX LayerNormalization", "over more than the last axis, or "
                          "without a bias")
    weights = {"weight": reader.constant(node.inputs[1], "ONNX LayerNormalization"),
               "bias": reader.constant(node.inputs[2], "ONNX LayerNormalization")}
    return [reader.add("LayerNorm", node, {"eps": float_attr(node, "epsilon", 1e-5)},
                       [source], weights)]


def _gather(reader: Reader, node: OnnxNode) -> list[Any]:
    data, indices = node.inputs[0], node.inputs[1]
    axis = int(node.attrs.get("axis", 0))
    if reader.has_constant(data) and axis == 0:  # a lookup table: an embedding
        table = reader.constant(data, "ONNX Gather")
        source = reader.node_input(indices, node)
        return [reader.add("Embedding", node, {"vocab_size": table.shape[0],
                                               "dim": table.shape[1]}, [source],
                           {"weight": table})]
    index = reader.constant(indices, "ONNX Gather")
    if index.ndim != 0:
        raise Unsupported("ONNX Gather", "of several positions")
    value = reader.value(data)
    if isinstance(value, Lazy) and value.layout == "TN" and axis == 0:
        return [reader.add("Select", node, {"axis": 0, "index": int(index)}, [value.node_id])]
    source = reader.node_input(data, node)
    if axis % (len(reader.shape(source)) + 1) == 0:
        raise Unsupported("ONNX Gather", "from the batch axis")
    return [reader.add("Select", node, {"axis": sample_axis(axis), "index": int(index)},
                       [source])]
