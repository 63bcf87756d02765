"""ONNX operators for the newer catalogue layers: instance and group normalisation,
resizing, Softplus (with torch's threshold), HardSigmoid and max reduction.

torch writes GroupNorm as Reshape (N, G, -1) -> InstanceNormalization with unit scale ->
Reshape back -> Mul by the weight -> Add the bias; each step here leaves a value the
next step recognises, and anything else reading the middle of the pattern is refused.
Softplus(threshold) is Softplus, Greater(x, threshold) and Where; the Where sets the
threshold on the Softplus layer made for the Softplus operator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from dlstudio.importers.errors import Unsupported
from dlstudio.importers.onnx_ops import Mapper, OnnxNode, float_attr

if TYPE_CHECKING:
    from dlstudio.importers.onnx_import import _Reader as Reader

NORMS = ("GroupNorm", "InstanceNorm2d")


@dataclass(frozen=True)
class Grouped:
    """A GroupNorm in the making: the image `source` viewed as (N, G, -1), normalised
    (`eps` set) or not yet."""

    source: str
    groups: int
    eps: float | None = None


@dataclass(frozen=True)
class Above:
    """Greater(x, threshold): only a Where that finishes a Softplus reads it."""

    source: str
    threshold: float


def group_view(reader: Reader, node: OnnxNode, source: str,
               full: tuple[int, ...]) -> Grouped | None:
    """A Reshape of an image to (N, G, -1) read only by an InstanceNormalization: the
    first step of a GroupNorm."""
    shape = reader.shape(source)
    readers = [n for n in reader.model.graph.node if node.outputs[0] in n.input]
    if len(shape) != 3 or len(full) != 3 or len(readers) != 1 or \
            readers[0].op_type != "InstanceNormalization" or shape[0] % full[1]:
        return None
    return Grouped(source, int(full[1]))


def _instance_norm(reader: Reader, node: OnnxNode) -> list[Any]:
    value = reader.value(node.inputs[0])
    scale, bias = (reader.constant(n, "ONNX InstanceNormalization") for n in node.inputs[1:3])
    eps = float_attr(node, "epsilon", 1e-5)
    if isinstance(value, Grouped):
        if value.eps is not None or not (np.all(scale == 1) and np.all(bias == 0)):
            raise Unsupported("ONNX InstanceNormalization", "of groups, with a scale")
        return [Grouped(value.source, value.groups, eps)]
    source = reader.node_input(node.inputs[0], node)
    if len(reader.shape(source)) != 3:
        raise Unsupported("ONNX InstanceNormalization", "only of images")
    affine = not (np.all(scale == 1) and np.all(bias == 0))
    params = {"eps": eps, "affine": bool(affine), "track_running_stats": False}
    weights = {"weight": scale, "bias": bias} if affine else None
    return [reader.add("InstanceNorm2d", node, params, [source], weights)]


def ungroup(reader: Reader, node: OnnxNode, value: Grouped) -> str:
    """Reshape back to the image: the GroupNorm layer, without a scale yet."""
    if value.eps is None:
        raise Unsupported("ONNX Reshape", "of an image viewed as groups")
    return reader.add("GroupNorm", node, {"num_groups": value.groups, "eps": value.eps,
                                          "affine": False}, [value.source])


def affine_into_norm(reader: Reader, node: OnnxNode, value: str,
                     constant: np.ndarray) -> str | None:
    """Mul by a per-channel constant right after a GroupNorm/InstanceNorm2d without a
    scale: its weight; Add after one with a weight and a zero bias: its bias. None when
    the pattern does not fit."""
    source = reader.values.get(value)
    if not isinstance(source, str) or reader.readers.get(value) != 1:
        return None
    norm = reader.builder.graph.nodes[source]
    if norm.type not in NORMS or constant.size != reader.shape(source)[0]:
        return None
    vector = np.array(constant, dtype=np.float32).reshape(-1)
    weight, bias = f"{norm.name}.weight", f"{norm.name}.bias"
    if node.op_type == "Mul" and not norm.params["affine"]:
        reader.builder.set_param(source, "affine", True)
        reader.builder.state[weight] = _tensor(vector)
        reader.builder.state[bias] = _tensor(np.zeros_like(vector))
        return source
    if node.op_type == "Add" and norm.params["affine"] and \
            not reader.builder.state[bias].any():
        reader.builder.state[bias] = _tensor(vector)
        return source
    return None


def _tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(array, dtype=np.float32, copy=True))


def _resize(reader: Reader, node: OnnxNode) -> list[Any]:
    """torch's nn.Upsample: nearest (asymmetric, floor) or bilinear, by a scale or to a
    size."""
    source = reader.node_input(node.inputs[0], node)
    mode = node.attrs.get("mode", "nearest")
    transform = node.attrs.get("coordinate_transformation_mode", "half_pixel")
    if mode == "nearest" and transform == "asymmetric" and \
            node.attrs.get("nearest_mode", "round_prefer_floor") == "floor":
        params: dict[str, Any] = {"mode": "nearest", "align_corners": False}
    elif mode == "linear" and transform in ("pytorch_half_pixel", "half_pixel",
                                            "align_corners"):
        params = {"mode": "bilinear", "align_corners": transform == "align_corners"}
    else:
        raise Unsupported("ONNX Resize", f"mode {mode} with {transform} coordinates")
    if node.input(3):
        size = reader.constant(node.inputs[3], "ONNX Resize").reshape(-1)[2:]
        params["size"] = tuple(int(s) for s in size)
    else:
        scales = reader.constant(node.input(2), "ONNX Resize").reshape(-1)[2:]
        if len(set(scales.tolist())) != 1:
            raise Unsupported("ONNX Resize", f"scales {scales.tolist()} differ per axis")
        params["scale_factor"] = float(scales[0])
    if len(reader.shape(source)) != 3:
        raise Unsupported("ONNX Resize", "only of images")
    return [reader.add("Upsample", node, params, [source])]


def _softplus(reader: Reader, node: OnnxNode) -> list[Any]:
    """Plain softplus; torch's threshold (20) changes nothing a float32 can hold."""
    source = reader.node_input(node.inputs[0], node)
    return [reader.add("Softplus", node, {"beta": 1.0, "threshold": 20.0}, [source])]


def _greater(reader: Reader, node: OnnxNode) -> list[Any]:
    source = reader.node_input(node.inputs[0], node)
    limit = reader.constant(node.inputs[1], "ONNX Greater")
    if limit.size != 1:
        raise Unsupported("ONNX Greater", "than a tensor")
    return [Above(source, float(str(np.float32(limit.reshape(-1)[0]))))]


def _where(reader: Reader, node: OnnxNode) -> list[Any]:
    """Where(x > threshold, x, softplus(x)): torch's Softplus with its threshold."""
    test = reader.value(node.inputs[0])
    chosen, otherwise = reader.value(node.inputs[1]), reader.value(node.inputs[2])
    graph = reader.builder.graph
    if not isinstance(test, Above) or chosen != test.source or \
            not isinstance(otherwise, str) or graph.nodes[otherwise].type != "Softplus" or \
            [e.src for e in graph.edges_into(otherwise)] != [chosen]:
        raise Unsupported("ONNX Where", "other than torch's Softplus threshold")
    reader.builder.set_param(otherwise, "threshold", test.threshold)
    return [otherwise]


def _hard_sigmoid(reader: Reader, node: OnnxNode) -> list[Any]:
    alpha, beta = float_attr(node, "alpha", 0.2), float_attr(node, "beta", 0.5)
    if not (np.isclose(alpha, 1 / 6) and beta == 0.5):
        raise Unsupported("ONNX HardSigmoid", f"alpha {alpha}, beta {beta}; torch's is "
                          "x / 6 + 0.5")
    return [reader.add("Hardsigmoid", node, {}, [reader.node_input(node.inputs[0], node)])]


@dataclass(frozen=True)
class GeluPart:
    """A step of exact GELU as torch writes it, x * (erf(x / √2) + 1) * 0.5: which steps
    `source` has been through."""

    source: str
    step: str  # "div", "erf", "plus_one", "half"


NEXT_STEP = {("Erf", "div"): "erf", ("Add", "erf"): "plus_one", ("Mul", "plus_one"): "half"}
STEP_CONSTANT = {"Add": 1.0, "Mul": 0.5}


def _div(reader: Reader, node: OnnxNode) -> list[Any]:
    source = reader.node_input(node.inputs[0], node)
    divisor = reader.constant(node.inputs[1], "ONNX Div")
    if divisor.size != 1 or not np.isclose(float(divisor.reshape(-1)[0]), np.sqrt(2)):
        raise Unsupported("ONNX Div", "other than GELU's x / √2")
    return [GeluPart(source, "div")]


def _erf(reader: Reader, node: OnnxNode) -> list[Any]:
    return gelu_step(reader, node) or _refuse(node)


def _refuse(node: OnnxNode) -> list[Any]:
    raise Unsupported(f"ONNX {node.op_type}", "other than inside GELU")


def gelu_step(reader: Reader, node: OnnxNode) -> list[Any] | None:
    """The next GELU step for Erf, Add or Mul reading a GeluPart; the GELU layer at the
    last Mul (x times the rest). None when no input is a GeluPart."""
    parts = [(i, reader.values.get(n)) for i, n in enumerate(node.inputs)
             if isinstance(reader.values.get(n), GeluPart)]
    if not parts:
        return None
    (index, part), = parts
    other = node.input(1 - index) if len(node.inputs) == 2 else ""
    if (node.op_type, part.step) == ("Mul", "half") and reader.values.get(other) == part.source:
        return [reader.add("GELU", node, {"approximate": "none"}, [part.source])]
    step = NEXT_STEP.get((node.op_type, part.step))
    if step is None or node.op_type in STEP_CONSTANT and not (
            reader.has_constant(other) and
            np.isclose(float(reader.constants[other].reshape(-1)[0]),
                       STEP_CONSTANT[node.op_type])):
        raise Unsupported(f"ONNX {node.op_type}", "inside GELU, but not as torch writes it")
    return [GeluPart(part.source, step)]


def _reduce_max(reader: Reader, node: OnnxNode) -> list[Any]:
    source = reader.node_input(node.inputs[0], node)
    axes = reader.constant(node.input(1), "ONNX ReduceMax").reshape(-1).tolist() \
        if node.input(1) else node.attrs.get("axes", [])
    if len(reader.shape(source)) != 3 or sorted(a % 4 for a in axes) != [2, 3] or \
            not node.attrs.get("keepdims", 1):
        raise Unsupported("ONNX ReduceMax", "only over an image's height and width, kept")
    return [reader.add("AdaptiveMaxPool2d", node, {"output_size": (1, 1)}, [source])]


LAYER_MAPPERS: dict[str, Mapper] = {
    "InstanceNormalization": _instance_norm, "Resize": _resize, "Softplus": _softplus,
    "Greater": _greater, "Where": _where, "HardSigmoid": _hard_sigmoid,
    "ReduceMax": _reduce_max, "Div": _div, "Erf": _erf,
}
