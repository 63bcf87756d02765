"""torch functions and tensor methods (as fx records them) -> catalogue layers.

`map_function` gets the fx node and the sample shapes of its tensor inputs and output;
it answers the layer, or raises Unsupported naming the function. Arguments that are not
tensors (sizes read with `x.size(0)`, constants) are read from the node itself.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx

from dlstudio.importers.errors import Unsupported
from dlstudio.importers.modules_map import Layer, sample_axis

Shape = tuple[int, ...]

ACTIVATIONS: dict[Any, str] = {
    F.relu: "ReLU", torch.relu: "ReLU", "relu": "ReLU", "relu_": "ReLU", F.relu_: "ReLU",
    torch.sigmoid: "Sigmoid", F.sigmoid: "Sigmoid", "sigmoid": "Sigmoid",
    torch.tanh: "Tanh", F.tanh: "Tanh", "tanh": "Tanh", F.silu: "SiLU",
    F.relu6: "ReLU6", F.hardswish: "Hardswish", F.hardsigmoid: "Hardsigmoid", F.mish: "Mish",
}
ADDS = (operator.add, operator.iadd, torch.add, "add", "add_")
MULTIPLIES = (operator.mul, operator.imul, torch.mul, "mul", "mul_")
RESHAPES = (torch.reshape, "reshape", "view")
FLATTENS = (torch.flatten, "flatten")
CATS = (torch.cat, torch.concat)
# Calls that change nothing a graph holds: the value passes through.
PASS_THROUGH = ("contiguous", "clone", "detach")


def label(node: fx.Node) -> str:
    """How a function reads in messages: `torch.fft.fft`, `F.pad`, `Tensor.unfold`."""
    target = node.target
    if isinstance(target, str):
        return f"Tensor.{target}"
    if target is getattr and len(node.args) == 2:
        return f"Tensor.{node.args[1]}"
    for prefix, namespace in (("torch", torch), ("F", F), ("torch.fft", torch.fft),
                              ("torch.linalg", torch.linalg), ("torch.special", torch.special),
                              ("operator", operator)):
        for name in dir(namespace):
            if not name.startswith("_") and getattr(namespace, name, None) is target:
                return f"{prefix}.{name}"
    return getattr(target, "__qualname__", str(target))


def argument(node: fx.Node, index: int, keyword: str, default: Any) -> Any:
    """A call's argument given by position or keyword (without the tensor it is called
    on for methods, which fx counts as position 0)."""
    if keyword in node.kwargs:
        return node.kwargs[keyword]
    return node.args[index] if len(node.args) > index else default


def map_function(node: fx.Node, in_shapes: list[Shape], out_shape: Shape) -> Layer:
    """The layer for a function call; `in_shapes` are its tensor arguments' shapes."""
    target = node.target
    for targets, mapper in _MAPPERS:
        if target in targets:
            return mapper(node, in_shapes, out_shape)
    raise Unsupported(label(node))


def _activation(node: fx.Node, shapes: list[Shape], out: Shape) -> Layer:
    return Layer(ACTIVATIONS[node.target], {})


def _merge(kind: str) -> Callable[[fx.Node, list[Shape], Shape], Layer]:
    symbol, verb = ("+", "adding") if kind == "Add" else ("*", "multiplying")

    def mapper(node: fx.Node, shapes: list[Shape], out: Shape) -> Layer:
        if any(k in node.kwargs for k in ("alpha", "out")):
            raise Unsupported(label(node), "alpha= or out=")
        operands = [a.name if isinstance(a, fx.Node) else repr(a) for a in node.args[:2]]
        expression = f" {symbol} ".join(operands)
        if len(shapes) == 1:
            raise Unsupported(f"{expression}: {verb} by a constant has no layer")
        if len(shapes) != 2 or shapes[0] != shapes[1]:
            shown = " and ".join(str(s) for s in shapes)
            raise Unsupported(f"{expression}: {verb} tensors of shapes {shown} (a broadcast) "
                              "has no layer")
        return Layer(kind, {"inputs": 2})
    return mapper


def _cat(node: fx.Node, shapes: list[Shape], out: Shape) -> Layer:
    dim = argument(node, 1, "dim", 0)
    if not 2 <= len(shapes) <= 8 or dim == 0:
        raise Unsupported(label(node), "2 to 8 tensors, joined along a sample axis")
    return Layer("Concat", {"inputs": len(shapes), "axis": sample_axis(dim)})


def _reshape(node: fx.Node, shapes: list[Shape], out: Shape) -> Layer:
    return Layer("Flatten", {}) if len(out) == 1 else Layer("Reshape", {"shape": out})


def _flatten(node: fx.Node, shapes: list[Shape], out: Shape) -> Layer:
    start, end = argument(node, 1, "start_dim", 0), argument(node, 2, "end_dim", -1)
    if start == 0:
        raise Unsupported(label(node), "flattens the batch axis")
    return Layer("Flatten", {}) if end == -1 and start == 1 else Layer("Reshape", {"shape": out})


def _softmax(kind: str) -> Callable[[fx.Node, list[Shape], Shape], Layer]:
    def mapper(node: fx.Node, shapes: list[Shape], out: Shape) -> Layer:
        dim = argument(node, 1, "dim", None)
        if not isinstance(dim, int) or dim == 0:
            raise Unsupported(label(node), "needs dim, a sample axis")
        return Layer(kind, {"axis": sample_axis(dim)})
    return mapper


def _scaled(kind: str, keyword: str, default: float) -> Callable[..., Layer]:
    def mapper(node: fx.Node, shapes: list[Shape], out: Shape) -> Layer:
        return Layer(kind, {keyword: float(argument(node, 1, keyword, default))})
    return mapper


def _gelu(node: fx.Node, shapes: list[Shape], out: Shape) -> Layer:
    return Layer("GELU", {"approximate": node.kwargs.get("approximate", "none")})


def _dropout(node: fx.Node, shapes: list[Shape], out: Shape) -> Layer:
    return Layer("Dropout", {"rate": float(argument(node, 1, "p", 0.5))})


def _pool(kind: str) -> Callable[[fx.Node, list[Shape], Shape], Layer]:
    """F.max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode) and
    F.avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad)."""
    average = kind.startswith("Avg")

    def mapper(node: fx.Node, shapes: list[Shape], out: Shape) -> Layer:
        kernel = argument(node, 1, "kernel_size", None)
        values = [kernel, argument(node, 2, "stride", None) or kernel,
                  argument(node, 3, "padding", 0)]
        dilation = 1 if average else argument(node, 4, "dilation", 1)
        if any(isinstance(v, (tuple, list)) and len(set(v)) != 1 for v in (*values, dilation)):
            raise Unsupported(label(node), "sizes that differ per axis")
        kernel, stride, padding, dilation = (v[0] if isinstance(v, (tuple, list)) else v
                                             for v in (*values, dilation))
        if dilation != 1 or average and argument(node, 6, "divisor_override", None):
            raise Unsupported(label(node), "dilation or divisor_override")
        params = {"kernel_size": kernel, "stride": 0 if stride == kernel else stride,
                  "padding": padding,
                  "ceil_mode": bool(argument(node, 4 if average else 5, "ceil_mode", False))}
        if average:
            params["count_include_pad"] = bool(argument(node, 5, "count_include_pad", True))
        return Layer(kind, params)
    return mapper


def _adaptive(kind: str) -> Callable[[fx.Node, list[Shape], Shape], Layer]:
    def mapper(node: fx.Node, shapes: list[Shape], out: Shape) -> Layer:
        return Layer(kind, {"output_size": tuple(out[1:])})
    return mapper


def _permute(node: fx.Node, shapes: list[Shape], out: Shape) -> Layer:
    dims = node.args[1:] if node.target == "permute" else (argument(node, 1, "dims", ()),)
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    if not dims or dims[0] != 0:
        raise Unsupported(label(node), "moves the batch axis")
    return Layer("Permute", {"dims": tuple(d % len(dims) - 1 for d in dims[1:])})


def _transpose(node: fx.Node, shapes: list[Shape], out: Shape) -> Layer:
    rank = len(shapes[0]) + 1
    first, second = (argument(node, 1, "dim0", 0) % rank, argument(node, 2, "dim1", 0) % rank)
    if 0 in (first, second):
        raise Unsupported(label(node), "moves the batch axis")
    dims = list(range(rank - 1))
    dims[first - 1], dims[second - 1] = dims[second - 1], dims[first - 1]
    return Layer("Permute", {"dims": tuple(dims)})


def _select(node: fx.Node, shapes: list[Shape], out: Shape) -> Layer:
    dim, index = argument(node, 1, "dim", 0), argument(node, 2, "index", 0)
    if dim % (len(shapes[0]) + 1) == 0:
        raise Unsupported(label(node), "picks from the batch axis")
    return Layer("Select", {"axis": sample_axis(dim), "index": index})


def _getitem(node: fx.Node, shapes: list[Shape], out: Shape) -> Layer:
    """`x[:, -1]`, `x[:, :, 0]`: one position along one sample axis."""
    index = node.args[1]
    items = index if isinstance(index, tuple) else (index,)
    whole = slice(None, None, None)
    picks = [i for i, item in enumerate(items) if item != whole]
    if len(picks) == 1 and picks[0] > 0 and isinstance(items[picks[0]], int):
        return Layer("Select", {"axis": picks[0] - 1, "index": items[picks[0]]})
    shown = ", ".join(":" if i == whole else repr(i) for i in items)
    raise Unsupported("indexing a tensor", f"[{shown}]")


def _mean(node: fx.Node, shapes: list[Shape], out: Shape) -> Layer:
    dims = argument(node, 1, "dim", None)
    dims = tuple(sorted(d % 4 for d in dims)) if isinstance(dims, (tuple, list)) else None
    if len(shapes[0]) == 3 and dims == (2, 3) and not argument(node, 2, "keepdim", False):
        return Layer("GlobalAvgPool", {})
    raise Unsupported(label(node), "only the mean over an image's height and width")


_MAPPERS: tuple[tuple[tuple[Any, ...], Callable[[fx.Node, list[Shape], Shape], Layer]], ...] = (
    (tuple(ACTIVATIONS), _activation),
    (ADDS, _merge("Add")),
    (MULTIPLIES, _merge("Multiply")),
    (CATS, _cat),
    (RESHAPES, _reshape),
    (FLATTENS, _flatten),
    ((F.softmax, torch.softmax, "softmax"), _softmax("Softmax")),
    ((F.log_softmax, torch.log_softmax, "log_softmax"), _softmax("LogSoftmax")),
    ((F.leaky_relu,), _scaled("LeakyReLU", "negative_slope", 0.01)),
    ((F.elu,), _scaled("ELU", "alpha", 1.0)),
    ((F.gelu,), _gelu),
    ((F.dropout,), _dropout),
    ((F.max_pool2d, torch.max_pool2d), _pool("MaxPool2d")),
    ((F.avg_pool2d,), _pool("AvgPool2d")),
    ((F.max_pool1d, torch.max_pool1d), _pool("MaxPool1d")),
    ((F.avg_pool1d,), _pool("AvgPool1d")),
    ((F.adaptive_avg_pool2d,), _adaptive("AdaptiveAvgPool2d")),
    ((F.adaptive_max_pool2d,), _adaptive("AdaptiveMaxPool2d")),
    ((torch.mean, "mean"), _mean),
    ((torch.permute, "permute"), _permute),
    ((torch.transpose, "transpose"), _transpose),
    ((torch.select, "select"), _select),
    ((operator.getitem,), _getitem),
)
