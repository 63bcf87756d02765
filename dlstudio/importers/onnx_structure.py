"""ONNX operators that join, reshape and pool tensors, and the recurrent operators with
the time-major views around them; `MAPPERS` lists every supported operator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from dlstudio.importers.errors import Unsupported
from dlstudio.importers.modules_map import sample_axis
from dlstudio.importers.onnx_layers import (
    LAYER_MAPPERS,
    Grouped,
    affine_into_norm,
    gelu_step,
    group_view,
    ungroup,
)
from dlstudio.importers.onnx_ops import (
    GATE_ORDER,
    Lazy,
    Mapper,
    Missing,
    OnnxNode,
    _batch_norm,
    _check_auto_pad,
    _clip,
    _conv,
    _dropout,
    _gather,
    _gemm,
    _layer_norm,
    _matmul,
    _prelu,
    _simple,
    _softmax,
    _uniform,
    float_attr,
)

if TYPE_CHECKING:
    from dlstudio.importers.onnx_import import _Reader as Reader


def _add(reader: Reader, node: OnnxNode) -> list[Any]:
    """Two tensors: Add. A tensor plus a constant vector right after a Dense without a
    bias (MatMul + Add): that Dense's bias."""
    first, second = node.inputs
    step = gelu_step(reader, node)
    if step is not None:
        return step
    if reader.has_constant(second) or reader.has_constant(first):
        value, bias = (first, second) if reader.has_constant(second) else (second, first)
        return [affine_into_norm(reader, node, value, reader.constants[bias]) or
                _bias_into_dense(reader, node, value, reader.constants[bias])]
    return _merge("Add")(reader, node)


def _mul(reader: Reader, node: OnnxNode) -> list[Any]:
    """Two tensors: Multiply. A normalisation's scale (Mul by a constant per channel)."""
    first, second = node.inputs
    step = gelu_step(reader, node)
    if step is not None:
        return step
    if reader.has_constant(second) or reader.has_constant(first):
        value, scale = (first, second) if reader.has_constant(second) else (second, first)
        source = affine_into_norm(reader, node, value, reader.constants[scale])
        if source is None:
            raise Unsupported("ONNX Mul", "multiplies by a constant, which is no layer")
        return [source]
    return _merge("Multiply")(reader, node)


def _bias_into_dense(reader: Reader, node: OnnxNode, value: str, bias: np.ndarray) -> str:
    """MatMul + Add is a Dense with a bias; a constant (steps × features) added to a
    sequence is a PositionEmbedding."""
    source = reader.node_input(value, node)
    if bias.shape[-2:] == reader.shape(source) and bias.size == np.prod(bias.shape[-2:]):
        return reader.add("PositionEmbedding", node, {}, [source],
                          {"weight": bias.reshape(reader.shape(source))})
    graph = reader.builder.graph
    dense = graph.nodes[source]
    units = dense.params.get("units") if dense.type == "Dense" else None
    if units is None or dense.params["bias"] or bias.reshape(-1).shape != (units,) or \
            reader.readers[value] != 1:
        raise Unsupported("ONNX Add", "adds a constant, which is no layer")
    reader.builder.set_param(source, "bias", True)
    reader.builder.state[f"{dense.name}.bias"] = _tensor(bias.reshape(-1))
    return source


def _tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(array, dtype=np.float32, copy=True))


def _merge(type_name: str) -> Mapper:
    def mapper(reader: Reader, node: OnnxNode) -> list[Any]:
        sources = [reader.node_input(name, node) for name in node.inputs]
        shapes = {reader.shape(s) for s in sources}
        if not 2 <= len(sources) <= 8 or len(shapes) != 1:
            raise Unsupported(f"ONNX {node.op_type}", "only 2 to 8 tensors of one shape")
        return [reader.add(type_name, node, {"inputs": len(sources)}, sources)]
    return mapper


def _concat(reader: Reader, node: OnnxNode) -> list[Any]:
    sources = [reader.node_input(name, node) for name in node.inputs]
    axis = int(node.attrs["axis"])
    if not 2 <= len(sources) <= 8 or axis == 0:
        raise Unsupported("ONNX Concat", "of 2 to 8 tensors along a sample axis")
    return [reader.add("Concat", node, {"inputs": len(sources), "axis": sample_axis(axis)},
                       sources)]


def _reshaped(reader: Reader, node: OnnxNode, source: str, full: tuple[int, ...]) -> str:
    if len(full) < 2 or full[0] != reader.full_shape(node.inputs[0])[0]:
        raise Unsupported(f"ONNX {node.op_type}", "changes the batch axis")
    sample = full[1:]
    if len(sample) == 1:
        return reader.add("Flatten", node, {}, [source])
    return reader.add("Reshape", node, {"shape": sample}, [source])


def _reshape(reader: Reader, node: OnnxNode) -> list[Any]:
    value = reader.value(node.inputs[0])
    if isinstance(value, Grouped):
        return [ungroup(reader, node, value)]
    target = reader.constant(node.inputs[1], "ONNX Reshape")
    full = reader.reshape_target(target, reader.full_shape(node.inputs[0]),
                                 bool(node.attrs.get("allowzero", 0)))
    if isinstance(value, Lazy):  # (T, N, D, H) -> (T, N, D*H): time-major again
        if value.layout in ("TNDH", "TDNH") and len(full) == 3 and \
                (value.layout == "TNDH" or value.directions == 1):
            return [Lazy(value.node_id, "TN")]
        raise Unsupported("ONNX Reshape", "of a recurrent output other than joining its "
                          "directions")
    grouped = group_view(reader, node, value, full)
    return [grouped] if grouped else [_reshaped(reader, node, value, full)]


def _flatten(reader: Reader, node: OnnxNode) -> list[Any]:
    source = reader.node_input(node.inputs[0], node)
    if int(node.attrs.get("axis", 1)) != 1:
        raise Unsupported("ONNX Flatten", "not from axis 1")
    return [reader.add("Flatten", node, {}, [source])]


def _squeeze(reader: Reader, node: OnnxNode) -> list[Any]:
    value = reader.value(node.inputs[0])
    axes = reader.constant(node.input(1), "ONNX Squeeze").reshape(-1).tolist() \
        if node.input(1) else node.attrs.get("axes")
    full = list(reader.full_shape(node.inputs[0]))
    if isinstance(value, Lazy):
        if value.layout == "TDNH" and value.directions == 1 and axes == [1]:
            return [Lazy(value.node_id, "TN")]
        raise Unsupported("ONNX Squeeze", "of a recurrent output")
    if axes is None:
        raise Unsupported("ONNX Squeeze", "without axes")
    kept = [d for i, d in enumerate(full) if i not in {a % len(full) for a in axes}]
    return [_reshaped(reader, node, value, tuple(kept))]


def _unsqueeze(reader: Reader, node: OnnxNode) -> list[Any]:
    source = reader.node_input(node.inputs[0], node)
    axes = reader.constant(node.input(1), "ONNX Unsqueeze").reshape(-1).tolist()
    full = list(reader.full_shape(node.inputs[0]))
    rank = len(full) + len(axes)
    for axis in sorted(a % rank for a in axes):
        full.insert(axis, 1)
    return [_reshaped(reader, node, source, tuple(full))]


def _transpose(reader: Reader, node: OnnxNode) -> list[Any]:
    value = reader.value(node.inputs[0])
    perm = [int(p) for p in node.attrs.get("perm", [])]
    if isinstance(value, Lazy):
        if value.layout == "TN" and perm == [1, 0, 2]:
            return [value.node_id]
        if value.layout == "TDNH" and perm == [0, 2, 1, 3]:
            return [Lazy(value.node_id, "TNDH", value.directions)]
        raise Unsupported("ONNX Transpose", f"perm {perm} of a recurrent output")
    if perm == [1, 0, 2]:
        return [Lazy(value, "TN")]  # read by a recurrent operator, time first
    if not perm or perm[0] != 0:
        raise Unsupported("ONNX Transpose", f"perm {perm} moves the batch axis")
    return [reader.add("Permute", node, {"dims": tuple(p - 1 for p in perm[1:])}, [value])]


def _pool(reader: Reader, node: OnnxNode) -> list[Any]:
    source = reader.node_input(node.inputs[0], node)
    _check_auto_pad(node)
    kernel_shape = node.attrs["kernel_shape"]
    spatial = len(kernel_shape)
    kernel = _uniform(node, kernel_shape, "kernel")
    stride = _uniform(node, node.attrs.get("strides", [1] * spatial), "stride")
    if _uniform(node, node.attrs.get("dilations", [1] * spatial), "dilation") != 1 or \
            spatial not in (1, 2) or len(node.outputs) > 1 and node.outputs[1]:
        raise Unsupported(f"ONNX {node.op_type}", "dilation, indices, or not 1d or 2d")
    params: dict[str, Any] = {
        "kernel_size": kernel, "stride": 0 if stride == kernel else stride,
        "padding": _uniform(node, node.attrs.get("pads", [0] * 2 * spatial), "padding"),
        "ceil_mode": bool(node.attrs.get("ceil_mode", 0))}
    kind = "Max" if node.op_type == "MaxPool" else "Avg"
    if kind == "Avg":
        params["count_include_pad"] = bool(node.attrs.get("count_include_pad", 0)) \
            or params["padding"] == 0
    return [reader.add(f"{kind}Pool{spatial}d", node, params, [source])]


def _global_pool(kind: str) -> Mapper:
    def mapper(reader: Reader, node: OnnxNode) -> list[Any]:
        source = reader.node_input(node.inputs[0], node)
        if len(reader.shape(source)) != 3:
            raise Unsupported(f"ONNX {node.op_type}", "only of images")
        return [reader.add(f"Adaptive{kind}Pool2d", node, {"output_size": (1, 1)}, [source])]
    return mapper


def _reduce_mean(reader: Reader, node: OnnxNode) -> list[Any]:
    source = reader.node_input(node.inputs[0], node)
    axes = reader.constant(node.input(1), "ONNX ReduceMean").reshape(-1).tolist() \
        if node.input(1) else node.attrs.get("axes", [])
    if len(reader.shape(source)) != 3 or sorted(a % 4 for a in axes) != [2, 3]:
        raise Unsupported("ONNX ReduceMean", "only over an image's height and width")
    if node.attrs.get("keepdims", 1):
        return [reader.add("AdaptiveAvgPool2d", node, {"output_size": (1, 1)}, [source])]
    return [reader.add("GlobalAvgPool", node, {}, [source])]


def _recurrent(reader: Reader, node: OnnxNode) -> list[Any]:
    """ONNX LSTM/GRU/RNN reading a time-major view of a batch-first sequence, with zero
    initial states: one catalogue layer returning every step (batch first)."""
    kind = node.op_type
    value = reader.value(node.inputs[0])
    if not isinstance(value, Lazy) or value.layout != "TN" or node.attrs.get("layout", 0):
        raise Unsupported(f"ONNX {kind}", "its input is not a batch-first sequence")
    direction = node.attrs.get("direction", "forward")
    hidden = int(node.attrs["hidden_size"])
    if direction == "reverse" or node.attrs.get("clip") or node.input(4) or node.input(7) \
            or node.attrs.get("input_forget", 0):
        raise Unsupported(f"ONNX {kind}", "reverse, clip, sequence_lens or peepholes")
    for state in (node.input(5), node.input(6)):
        if state and np.any(reader.constant(state, f"ONNX {kind}")):
            raise Unsupported(f"ONNX {kind}", "an initial state other than zeros")
    params: dict[str, Any] = {"units": hidden, "num_layers": 1,
                              "bidirectional": direction == "bidirectional",
                              "return_sequences": True}
    activations = [a.lower() for a in node.attrs.get("activations", [])]
    if kind == "RNN":
        params["nonlinearity"] = activations[0] if activations else "tanh"
    elif kind == "GRU" and not node.attrs.get("linear_before_reset", 0):
        raise Unsupported("ONNX GRU", "linear_before_reset=0 (torch's GRU resets after)")
    if activations and kind != "RNN" or params.get("nonlinearity") not in (None, "tanh", "relu"):
        raise Unsupported(f"ONNX {kind}", f"activations {activations}")
    weights = _recurrent_weights(reader, node, kind, hidden)
    node_id = reader.add(kind, node, params, [value.node_id], weights)
    directions = 2 if params["bidirectional"] else 1
    state = Missing(f"the final state of ONNX {kind}")
    return [Lazy(node_id, "TDNH", directions), state, state]


def _recurrent_weights(reader: Reader, node: OnnxNode, kind: str,
                       hidden: int) -> dict[str, np.ndarray]:
    """ONNX's stacked W, R, B in torch's gate order and names."""
    w = reader.constant(node.inputs[1], f"ONNX {kind}")
    r = reader.constant(node.inputs[2], f"ONNX {kind}")
    gates = GATE_ORDER[kind]
    b = reader.constant(node.input(3), f"ONNX {kind}") if node.input(3) else \
        np.zeros((w.shape[0], 2 * len(gates) * hidden), dtype=np.float32)

    def reorder(matrix: np.ndarray) -> np.ndarray:
        return np.concatenate([matrix[g * hidden:(g + 1) * hidden] for g in gates])

    weights = {}
    for direction in range(w.shape[0]):
        suffix = "_reverse" if direction else ""
        half = len(gates) * hidden
        weights[f"weight_ih_l0{suffix}"] = reorder(w[direction])
        weights[f"weight_hh_l0{suffix}"] = reorder(r[direction])
        weights[f"bias_ih_l0{suffix}"] = reorder(b[direction][:half])
        weights[f"bias_hh_l0{suffix}"] = reorder(b[direction][half:])
    return weights


def _attribute(name: str, default: float) -> Any:
    return lambda node: float_attr(node, name, default)


MAPPERS: dict[str, Mapper] = {
    "Relu": _simple("ReLU"), "Sigmoid": _simple("Sigmoid"), "Tanh": _simple("Tanh"),
    "HardSwish": _simple("Hardswish"), "Mish": _simple("Mish"),
    "LeakyRelu": _simple("LeakyReLU", negative_slope=_attribute("alpha", 0.01)),
    "Elu": _simple("ELU", alpha=_attribute("alpha", 1.0)),
    "Gelu": _simple("GELU", approximate=lambda n: n.attrs.get("approximate", "none")),
    "Softmax": _softmax("Softmax"), "LogSoftmax": _softmax("LogSoftmax"),
    "Identity": _simple("Identity"), "Dropout": _dropout, "Clip": _clip, "PRelu": _prelu,
    "Conv": _conv, "ConvTranspose": _conv, "Gemm": _gemm, "MatMul": _matmul,
    "BatchNormalization": _batch_norm, "LayerNormalization": _layer_norm,
    "Gather": _gather, "Add": _add, "Mul": _mul, "Sum": _merge("Add"),
    "Concat": _concat, "Reshape": _reshape, "Flatten": _flatten, "Squeeze": _squeeze,
    "Unsqueeze": _unsqueeze, "Transpose": _transpose,
    "MaxPool": _pool, "AveragePool": _pool, "GlobalAveragePool": _global_pool("Avg"),
    "GlobalMaxPool": _global_pool("Max"), "ReduceMean": _reduce_mean,
    "LSTM": _recurrent, "GRU": _recurrent, "RNN": _recurrent, **LAYER_MAPPERS,
}
