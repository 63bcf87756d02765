"""Attention modules in an ONNX file -> MultiheadAttention / TransformerEncoderLayer layers.

torch's exporter writes nn.MultiheadAttention as MatMul, Reshape, Transpose and Softmax
pieces, none of which is a layer alone; it also records which module each node came
from (onnx_modules). One module's nodes are read together: the weights are the constants
its MatMul/Gemm/Add/LayerNormalization nodes read (by value: the exporter shares one
initializer among equal tensors, so names cannot be trusted), the hyperparameters come
from the weights' shapes, the Reshape targets and the attributes, and the one input and
the one output from the wires. Anything outside torch's own pattern (a mask, a second
input, a time-major layout) raises Unsupported with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dlstudio.importers.errors import Unsupported
from dlstudio.importers.onnx_modules import ModuleGroup, node_scope
from dlstudio.importers.onnx_ops import OnnxNode, float_attr

if TYPE_CHECKING:
    from dlstudio.importers.onnx_import import _Reader as Reader

# What torch writes for self-attention: projections, head reshapes, scaled dot products.
ATTENTION_OPS = {"MatMul", "Gemm", "Add", "Mul", "Div", "Sqrt", "Reshape", "Transpose",
                 "Unsqueeze", "Squeeze", "Gather", "Slice", "Concat", "Shape", "Softmax",
                 "Split", "Cast", "Identity"}
# What an encoder layer adds around its parts: residual sums and the activation.
ENCODER_OPS = {"Add", "Relu", "Gelu", "Div", "Erf", "Mul"}
ENCODER_PARTS = ("self_attn", "linear1", "linear2", "norm1", "norm2")
TIME_MAJOR = [1, 0, 2]


@dataclass
class Linear:
    """One linear projection found in the nodes: torch's (out, in) weight and its bias."""

    weight: np.ndarray
    bias: np.ndarray | None
    input: str
    output: str


def rebuild_module(reader: Reader, group: ModuleGroup) -> None:
    """Add the group's layer to the graph and make its output value stand for it."""
    nodes = [OnnxNode(reader.model.graph.node[i]) for i in group.indices]
    compute = [node for node in nodes if not reader.fold_constant(node)]
    source, output = _ends(reader, compute, group)
    input_node = reader.values[source]
    shape = reader.shape(input_node)
    if len(shape) != 2:
        raise Unsupported(group.kind, f"its input has shape {shape}, not a sequence")
    width = shape[-1]
    if group.kind == "MultiheadAttention":
        params, weights = _attention(reader, compute, source, output, width)
    else:
        params, weights = _encoder(reader, group, compute, source, output, width)
    reader.values[output] = reader.add(group.kind, compute[0], params, [input_node],
                                       weights, name=group.path)


def _ends(reader: Reader, nodes: list[OnnxNode], group: ModuleGroup) -> tuple[str, str]:
    """The group's one input (a graph node's value) and its one output."""
    produced = {name for node in nodes for name in node.outputs if name}
    inside: dict[str, int] = {}
    for node in nodes:
        for name in node.inputs:
            inside[name] = inside.get(name, 0) + 1
    sources = {name for name in inside if name and name not in produced
               and name not in reader.constants}
    graph_outputs = {value.name for value in reader.model.graph.output}
    outputs = [name for name in produced
               if reader.readers.get(name, 0) > inside.get(name, 0) or name in graph_outputs]
    if len(sources) != 1 or len(outputs) != 1:
        raise Unsupported(group.kind, f"{len(sources)} inputs and {len(outputs)} outputs: "
                          "a layer is self-attention on one sequence, called once")
    (source,) = sources
    if not isinstance(reader.values.get(source), str):
        raise Unsupported(group.kind, "its input is not the output of a layer")
    return source, outputs[0]


def _linears(reader: Reader, nodes: list[OnnxNode]) -> tuple[list[Linear], set[int]]:
    """The projections among `nodes` (MatMul by a constant, + Add of a constant bias, or
    Gemm), in order, and the ids of the nodes they use."""
    found: dict[str, Linear] = {}
    used: set[int] = set()
    for node in nodes:
        if node.op_type == "MatMul" and reader.has_constant(node.inputs[1]):
            weight = reader.constants[node.inputs[1]]
            if weight.ndim == 2:
                found[node.outputs[0]] = Linear(weight.T, None, node.inputs[0], node.outputs[0])
                used.add(id(node))
        elif node.op_type == "Gemm" and reader.has_constant(node.inputs[1]) and \
                not node.attrs.get("transA", 0):
            weight = reader.constants[node.inputs[1]] * node.attrs.get("alpha", 1.0)
            weight = weight if node.attrs.get("transB", 0) else weight.T
            bias = reader.constants[node.inputs[2]] * node.attrs.get("beta", 1.0) \
                if reader.has_constant(node.input(2)) else None
            found[node.outputs[0]] = Linear(weight, bias, node.inputs[0], node.outputs[0])
            used.add(id(node))
        elif node.op_type == "Add" and len(node.inputs) == 2:
            first, second = node.inputs
            value, bias = (first, second) if reader.has_constant(second) else (second, first)
            linear = found.get(value)
            if linear is not None and linear.bias is None and reader.has_constant(bias):
                linear.bias = reader.constants[bias].reshape(-1)
                linear.output = node.outputs[0]
                found[node.outputs[0]] = found.pop(value)
                used.add(id(node))
    linears = list({id(linear): linear for linear in found.values()}.values())
    return linears, used


def _attention(reader: Reader, nodes: list[OnnxNode], source: str, output: str,
               width: int) -> tuple[dict, dict[str, np.ndarray]]:
    """nn.MultiheadAttention(width, heads, batch_first=True)(x, x, x)'s parameters and
    weights from its nodes."""
    what = "nn.MultiheadAttention"
    for node in nodes:
        if node.op_type not in ATTENTION_OPS:
            raise Unsupported(what, f"ONNX {node.op_type} at node {node.label!r} is no part "
                              "of plain self-attention (a mask?)")
    if sum(node.op_type == "Softmax" for node in nodes) != 1:
        raise Unsupported(what, "not one Softmax")
    linears, used = _linears(reader, nodes)
    for node in nodes:
        if node.op_type == "Add" and id(node) not in used and \
                any(reader.has_constant(name) for name in node.inputs):
            raise Unsupported(what, f"adds a constant at node {node.label!r} (a mask?)")
    if len(linears) != 2 or linears[0].weight.shape != (3 * width, width) or \
            linears[1].weight.shape != (width, width):
        raise Unsupported(what, f"not one packed query/key/value projection and one output "
                          f"projection of width {width}")
    producers = {name: node for node in nodes for name in node.outputs}
    readers_of_source = [node for node in nodes if source in node.inputs]
    for node in (readers_of_source[0], producers[output]):
        if node.op_type != "Transpose" or list(node.attrs.get("perm", [])) != TIME_MAJOR:
            raise Unsupported(what, "not batch first (batch_first=False reads time-major "
                              "sequences, which DL Studio's layer does not)")
    heads = width // _head_width(reader, nodes, width)
    project, out = linears
    bias = project.bias is not None or out.bias is not None
    weights = {"in_proj_weight": project.weight, "out_proj.weight": out.weight}
    if bias:
        weights["in_proj_bias"] = _bias_or_zeros(project, 3 * width)
        weights["out_proj.bias"] = _bias_or_zeros(out, width)
    return {"num_heads": heads, "bias": bias}, weights


def _head_width(reader: Reader, nodes: list[OnnxNode], width: int) -> int:
    """One head's width: the smallest last axis that the Reshapes split `width` into
    (width itself, with one head)."""
    lasts = [int(reader.constants[node.inputs[1]].reshape(-1)[-1]) for node in nodes
             if node.op_type == "Reshape" and reader.has_constant(node.inputs[1])]
    widths = [last for last in lasts if last > 0 and width % last == 0]
    if not widths:
        raise Unsupported("nn.MultiheadAttention", "the heads cannot be told from its "
                          "Reshape targets")
    return min(widths)


def _bias_or_zeros(linear: Linear, size: int) -> np.ndarray:
    """torch's exporter leaves out a bias of zeros; the layer still has one."""
    bias = np.zeros(size, np.float32) if linear.bias is None else linear.bias
    return np.broadcast_to(bias, (size,)).astype(np.float32)


def _encoder(reader: Reader, group: ModuleGroup, nodes: list[OnnxNode], source: str,
             output: str, width: int) -> tuple[dict, dict[str, np.ndarray]]:
    """nn.TransformerEncoderLayer(batch_first=True)'s parameters and weights from its
    nodes, grouped by the part (self_attn, linear1, ...) that each came from."""
    what = "nn.TransformerEncoderLayer"
    parts: dict[str, list[OnnxNode]] = {part: [] for part in ENCODER_PARTS}
    own: list[OnnxNode] = []
    for node in nodes:
        paths = node_scope(node.proto).paths  # type: ignore[union-attr]  # grouped by it
        if len(paths) == group.depth + 2:
            own.append(node)
            continue
        part = paths[group.depth + 1].removeprefix(f"{group.path}.")
        if part not in parts:
            raise Unsupported(what, f"it has a part {part!r} that torch's layer has not")
        parts[part].append(node)
    for node in own:
        if node.op_type not in ENCODER_OPS:
            raise Unsupported(what, f"ONNX {node.op_type} at node {node.label!r}")
    outside = _outside(parts["self_attn"], reader)
    if len(outside) != 1:
        raise Unsupported(what, "its attention does not read one sequence")
    attention_input = outside.pop()
    attention_output = _only_output(parts["self_attn"], nodes, output)
    params, attention = _attention(reader, parts["self_attn"], attention_input,
                                   attention_output, width)
    weights = {f"self_attn.{key}": value for key, value in attention.items()}
    feed = {}
    for name in ("linear1", "linear2"):
        linears, used = _linears(reader, parts[name])
        if len(linears) != 1 or used != {id(node) for node in parts[name]}:
            raise Unsupported(what, f"its {name} is not one linear projection")
        feed[name] = linears[0]
    hidden = feed["linear1"].weight.shape[0]
    if feed["linear1"].weight.shape != (hidden, width) or \
            feed["linear2"].weight.shape != (width, hidden):
        raise Unsupported(what, "its feed-forward weights do not fit its width")
    norms = {name: _norm(reader, parts[name], width) for name in ("norm1", "norm2")}
    eps = {float(norm[0]) for norm in norms.values()}
    if len(eps) != 1:
        raise Unsupported(what, "its two LayerNorms have different eps")
    bias = params["bias"] or any(f.bias is not None for f in feed.values()) or \
        any(norm[2] is not None for norm in norms.values())
    for name, linear in feed.items():
        weights[f"{name}.weight"] = linear.weight
        if bias:
            weights[f"{name}.bias"] = _bias_or_zeros(linear, linear.weight.shape[0])
    for name, (_, scale, shift, _) in norms.items():
        weights[f"{name}.weight"] = scale
        if bias:
            weights[f"{name}.bias"] = np.zeros(width, np.float32) if shift is None else shift
    if bias and not params["bias"]:
        weights["self_attn.in_proj_bias"] = np.zeros(3 * width, np.float32)
        weights["self_attn.out_proj.bias"] = np.zeros(width, np.float32)
    norm_first = norms["norm1"][3] == source
    if not norm_first and attention_input != source:
        raise Unsupported(what, "its attention reads neither its input nor its first norm")
    return {"nhead": params["num_heads"], "dim_feedforward": hidden,
            "activation": _activation(own), "layer_norm_eps": eps.pop(),
            "norm_first": norm_first, "bias": bias}, weights


def _outside(nodes: list[OnnxNode], reader: Reader) -> set[str]:
    """The non-constant values `nodes` read that none of them produces."""
    produced = {name for node in nodes for name in node.outputs}
    return {name for node in nodes for name in node.inputs
            if name and name not in produced and name not in reader.constants}


def _only_output(part: list[OnnxNode], nodes: list[OnnxNode], output: str) -> str:
    """The one value of `part` read by the rest of the module (or the module's output)."""
    produced = {name for node in part for name in node.outputs}
    others = [node for node in nodes if node not in part]
    read = {name for node in others for name in node.inputs} | {output}
    outputs = produced & read
    if len(outputs) != 1:
        raise Unsupported("nn.TransformerEncoderLayer", "its attention has not one output")
    return outputs.pop()


def _norm(reader: Reader, nodes: list[OnnxNode], width: int
          ) -> tuple[float, np.ndarray, np.ndarray | None, str]:
    """One LayerNorm over the last axis: eps, weight, bias (None if left out), input."""
    if len(nodes) != 1 or nodes[0].op_type != "LayerNormalization" or \
            int(nodes[0].attrs.get("axis", -1)) != -1 or \
            not reader.has_constant(nodes[0].inputs[1]):
        raise Unsupported("nn.TransformerEncoderLayer", "a norm that is not one "
                          "LayerNormalization over the features")
    node = nodes[0]
    scale = np.broadcast_to(reader.constants[node.inputs[1]], (width,)).astype(np.float32)
    shift = np.broadcast_to(reader.constants[node.input(2)], (width,)).astype(np.float32) \
        if reader.has_constant(node.input(2)) else None
    return float_attr(node, "epsilon", 1e-5), scale, shift, node.inputs[0]


def _activation(own: list[OnnxNode]) -> str:
    """relu or gelu, from the operators the layer itself runs (exact GELU is Erf, or
    Gelu without the tanh approximation)."""
    kinds = {node.op_type for node in own}
    tanh = any(node.op_type == "Gelu" and node.attrs.get("approximate", "none") != "none"
               for node in own)
    if "Relu" in kinds and not kinds & {"Erf", "Gelu"}:
        return "relu"
    if kinds & {"Erf", "Gelu"} and "Relu" not in kinds and not tanh:
        return "gelu"
    raise Unsupported("nn.TransformerEncoderLayer", "an activation other than relu or gelu")
