"""torch modules -> catalogue layers: the inverse of each layer's `ModuleRecipe`.

A module maps only when the layer rebuilds it exactly (same arguments, same state_dict
keys, same outputs); an argument the catalogue cannot hold (a non-square kernel, a
padding mode) makes it unsupported, with the reason, rather than silently changed.
DL Studio's own helper modules (copied into generated source) are recognised by class
name and attributes, so a generated file comes back as the graph it was written from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

from dlstudio.compile.modules import CUSTOM_MODULES
from dlstudio.importers.errors import Unsupported

# DL Studio helper class name -> the attributes its instances must have.
HELPER_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "Add": (), "Multiply": (), "GlobalAvgPool2d": (), "Concat": ("dim",),
    "Reshape": ("shape",), "Permute": ("dims",), "Select": ("dim", "index"),
    "TokenEmbedding": ("num_embeddings", "embedding_dim"),
    "RNNLayer": ("return_sequences",), "LSTMLayer": ("return_sequences",),
    "GRULayer": ("return_sequences",), "SelfAttention": ("num_heads", "embed_dim"),
    "PositionEmbedding": ("weight",),
}
EMBEDDINGS = ("Embedding", "TokenEmbedding")


@dataclass(frozen=True)
class Layer:
    """The catalogue layer for a module. `returns_state`: a plain nn.LSTM/GRU/RNN, whose
    result is (output, state) rather than one tensor; `returns_weights`: a plain
    nn.MultiheadAttention, whose result is (output, attention weights)."""

    type: str
    params: dict[str, Any]
    returns_state: bool = False
    returns_weights: bool = False


def class_label(module: nn.Module) -> str:
    """How a module's class reads in messages: `nn.Bilinear`, or the user's class name."""
    cls = type(module)
    return f"nn.{cls.__name__}" if getattr(nn, cls.__name__, None) is cls else cls.__name__


def is_helper(module: nn.Module) -> bool:
    """A DL Studio module (from the compiler or copied into a generated file)."""
    name = type(module).__name__
    return name in CUSTOM_MODULES and all(_has(module, a) for a in HELPER_ATTRIBUTES[name])


def _has(module: nn.Module, attribute: str) -> bool:
    """hasattr without nn.Module.__getattr__, which fx patches while tracing (reading a
    parameter there would record it in the graph)."""
    return any(attribute in table for table in (
        vars(module), module._parameters, module._buffers, module._modules)) or \
        hasattr(type(module), attribute)


def map_module(module: nn.Module, in_shapes: list[tuple[int, ...]]) -> Layer:
    """The layer that rebuilds `module`; `in_shapes` are its inputs' sample shapes (batch
    left out)."""
    name = type(module).__name__
    mapper = _HELPERS.get(name) if is_helper(module) else None
    if mapper is None and getattr(nn, name, None) is type(module):
        mapper = _TORCH.get(name)
    if mapper is None:
        raise Unsupported(class_label(module))
    layer = mapper(module, in_shapes)
    if _frozen(module):
        layer.params["trainable"] = False
    return layer


def _frozen(module: nn.Module) -> bool:
    weights = list(module.parameters())
    return bool(weights) and not any(w.requires_grad for w in weights)


def _require(module: nn.Module, condition: bool, why: str) -> None:
    if not condition:
        raise Unsupported(class_label(module), why)


def _single(module: nn.Module, value: Any, what: str) -> Any:
    """A size given per axis as one number (the catalogue holds square kernels)."""
    if isinstance(value, (tuple, list)):
        _require(module, len(set(value)) == 1, f"{what} {tuple(value)} differs per axis")
        return value[0]
    return value


# ----- dense, convolution ----------------------------------------------------------------
def _linear(m: nn.Linear, shapes: list) -> Layer:
    return Layer("Dense", {"units": m.out_features, "bias": m.bias is not None})


def _conv(m: nn.Conv1d | nn.Conv2d, shapes: list) -> Layer:
    _require(m, m.padding_mode == "zeros", f"padding_mode={m.padding_mode!r}")
    padding = m.padding if isinstance(m.padding, str) else _single(m, m.padding, "padding")
    return Layer(f"Conv{len(m.kernel_size)}d", {
        "filters": m.out_channels, "kernel_size": _single(m, m.kernel_size, "kernel_size"),
        "stride": _single(m, m.stride, "stride"), "padding": padding,
        "dilation": _single(m, m.dilation, "dilation"), "groups": m.groups,
        "bias": m.bias is not None})


def _conv_transpose(m: nn.ConvTranspose2d, shapes: list) -> Layer:
    _require(m, m.padding_mode == "zeros", f"padding_mode={m.padding_mode!r}")
    _require(m, _single(m, m.dilation, "dilation") == 1, "dilation other than 1")
    return Layer("ConvTranspose2d", {
        "filters": m.out_channels, "kernel_size": _single(m, m.kernel_size, "kernel_size"),
        "stride": _single(m, m.stride, "stride"), "padding": _single(m, m.padding, "padding"),
        "output_padding": _single(m, m.output_padding, "output_padding"),
        "groups": m.groups, "bias": m.bias is not None})


# ----- core ------------------------------------------------------------------------------
def _dropout(m: nn.Dropout | nn.Dropout2d, shapes: list) -> Layer:
    return Layer(type(m).__name__, {"rate": float(m.p)})


def _flatten(m: nn.Flatten, shapes: list) -> Layer:
    if m.start_dim == 1 and m.end_dim == -1:
        return Layer("Flatten", {})
    raise Unsupported("nn.Flatten", f"start_dim={m.start_dim}, end_dim={m.end_dim}")


def _embedding(m: nn.Embedding, shapes: list) -> Layer:
    _require(m, m.max_norm is None, "max_norm")
    _require(m, not m.scale_grad_by_freq and not m.sparse, "scale_grad_by_freq or sparse")
    return Layer("Embedding", {"vocab_size": m.num_embeddings, "dim": m.embedding_dim})


# ----- normalisation ---------------------------------------------------------------------
def _batch_norm(m: nn.BatchNorm1d | nn.BatchNorm2d, shapes: list) -> Layer:
    _require(m, m.affine and m.track_running_stats, "affine=False or no running statistics")
    _require(m, m.momentum is not None, "momentum=None (a cumulative average)")
    return Layer(type(m).__name__, {"eps": float(m.eps), "momentum": float(m.momentum)})


def _layer_norm(m: nn.LayerNorm, shapes: list) -> Layer:
    _require(m, len(m.normalized_shape) == 1, "normalises more than the last axis")
    _require(m, m.elementwise_affine and m.bias is not None, "no learned scale or bias")
    return Layer("LayerNorm", {"eps": float(m.eps)})


# ----- pooling ---------------------------------------------------------------------------
def _pool(m: nn.Module, shapes: list) -> Layer:
    kernel = _single(m, m.kernel_size, "kernel_size")
    stride = _single(m, m.stride, "stride")
    params: dict[str, Any] = {"kernel_size": kernel, "stride": 0 if stride == kernel else stride,
                              "padding": _single(m, m.padding, "padding"),
                              "ceil_mode": bool(m.ceil_mode)}
    if type(m).__name__.startswith("Max"):
        _require(m, _single(m, m.dilation, "dilation") == 1, "dilation other than 1")
        _require(m, not m.return_indices, "return_indices=True")
    else:
        _require(m, getattr(m, "divisor_override", None) is None, "divisor_override")
        params["count_include_pad"] = bool(m.count_include_pad)
    return Layer(type(m).__name__, params)


def _adaptive(m: nn.AdaptiveAvgPool2d | nn.AdaptiveMaxPool2d, shapes: list) -> Layer:
    size = m.output_size if isinstance(m.output_size, (tuple, list)) else \
        (m.output_size, m.output_size)  # stored as generated source writes it: (1, 1)
    _require(m, None not in size, "output_size with None (keep that axis)")
    if isinstance(m, nn.AdaptiveMaxPool2d):
        _require(m, not m.return_indices, "return_indices=True")
    return Layer(type(m).__name__, {"output_size": tuple(size)})


def _upsample(m: nn.Upsample, shapes: list) -> Layer:
    _require(m, m.mode in ("nearest", "bilinear"), f"mode={m.mode!r}")
    params: dict[str, Any] = {"mode": m.mode, "align_corners": bool(m.align_corners)}
    if m.size is not None:
        size = m.size if isinstance(m.size, (tuple, list)) else (m.size, m.size)
        params["size"] = tuple(size)
    else:
        params["scale_factor"] = float(_single(m, m.scale_factor, "scale_factor"))
    return Layer("Upsample", params)


def _group_norm(m: nn.GroupNorm, shapes: list) -> Layer:
    return Layer("GroupNorm", {"num_groups": m.num_groups, "eps": float(m.eps),
                               "affine": bool(m.affine)})


def _instance_norm(m: nn.InstanceNorm2d, shapes: list) -> Layer:
    _require(m, m.momentum is not None, "momentum=None (a cumulative average)")
    return Layer("InstanceNorm2d", {"eps": float(m.eps), "momentum": float(m.momentum),
                                    "affine": bool(m.affine),
                                    "track_running_stats": bool(m.track_running_stats)})


# ----- activations -----------------------------------------------------------------------
def _plain_activation(m: nn.Module, shapes: list) -> Layer:
    return Layer(type(m).__name__, {})


def _softmax(m: nn.Softmax | nn.LogSoftmax, shapes: list) -> Layer:
    _require(m, m.dim is not None and m.dim != 0, "dim None or the batch axis")
    return Layer(type(m).__name__, {"axis": sample_axis(m.dim)})


def _prelu(m: nn.PReLU, shapes: list) -> Layer:
    per_channel = m.num_parameters > 1
    _require(m, not per_channel or shapes[0][:1] == (m.num_parameters,),
             "one slope per value of an axis other than the channels")
    return Layer("PReLU", {"per_channel": per_channel})


def sample_axis(dim: int) -> int:
    """A torch axis (batch first) as a sample axis (batch left out): the inverse of
    `torch_dim` in the catalogue."""
    return dim - 1 if dim > 0 else dim


# ----- recurrent -------------------------------------------------------------------------
def _recurrent(m: nn.RNNBase, shapes: list) -> Layer:
    _require(m, m.batch_first, "batch_first=False: DL Studio sequences are batch first")
    _require(m, m.bias and m.dropout == 0 and getattr(m, "proj_size", 0) == 0,
             "bias=False, dropout between layers or proj_size")
    kind = m.mode if m.mode in ("LSTM", "GRU") else "RNN"
    params: dict[str, Any] = {"units": m.hidden_size, "num_layers": m.num_layers,
                              "bidirectional": m.bidirectional}
    if kind == "RNN":
        params["nonlinearity"] = m.nonlinearity
    helper = type(m).__name__.endswith("Layer")
    params["return_sequences"] = bool(m.return_sequences) if helper else True
    return Layer(kind, params, returns_state=not helper)


# ----- attention -------------------------------------------------------------------------
def _self_attention(m: nn.MultiheadAttention, shapes: list) -> Layer:
    return Layer("MultiheadAttention", {"num_heads": m.num_heads, "dropout": float(m.dropout),
                                        "bias": m.in_proj_bias is not None})


def _attention(m: nn.MultiheadAttention, shapes: list) -> Layer:
    """A plain nn.MultiheadAttention; the call itself (query = key = value, no mask) is
    checked where it is made."""
    _require(m, m.batch_first, "batch_first=False: DL Studio sequences are batch first")
    _require(m, m._qkv_same_embed_dim and m.bias_k is None and not m.add_zero_attn,
             "kdim/vdim, add_bias_kv or add_zero_attn")
    layer = _self_attention(m, shapes)
    return Layer(layer.type, layer.params, returns_weights=True)


def _encoder_layer(m: nn.TransformerEncoderLayer, shapes: list) -> Layer:
    _require(m, m.self_attn.batch_first, "batch_first=False: DL Studio sequences are batch "
             "first")
    activation = {1: "relu", 2: "gelu"}.get(m.activation_relu_or_gelu)
    _require(m, activation is not None, "an activation other than relu or gelu")
    return Layer("TransformerEncoderLayer", {
        "nhead": m.self_attn.num_heads, "dim_feedforward": m.linear1.out_features,
        "dropout": float(m.dropout.p), "activation": activation,
        "layer_norm_eps": float(m.norm1.eps), "norm_first": bool(m.norm_first),
        "bias": m.linear1.bias is not None})


# ----- DL Studio helpers -----------------------------------------------------------------
def _merge(kind: str) -> Callable[[nn.Module, list], Layer]:
    def mapper(m: nn.Module, shapes: list) -> Layer:
        if not 2 <= len(shapes) <= 8:
            raise Unsupported(kind, f"joins {len(shapes)} inputs; 2 to 8 are supported")
        params: dict[str, Any] = {"inputs": len(shapes)}
        if kind == "Concat":
            params["axis"] = sample_axis(m.dim)
        return Layer(kind, params)
    return mapper


_TORCH: dict[str, Callable[[Any, list], Layer]] = {
    "Linear": _linear, "Conv1d": _conv, "Conv2d": _conv, "ConvTranspose2d": _conv_transpose,
    "Dropout": _dropout, "Dropout2d": _dropout, "Flatten": _flatten, "Embedding": _embedding,
    "BatchNorm1d": _batch_norm, "BatchNorm2d": _batch_norm, "LayerNorm": _layer_norm,
    "MaxPool2d": _pool, "AvgPool2d": _pool, "MaxPool1d": _pool, "AvgPool1d": _pool,
    "AdaptiveAvgPool2d": _adaptive, "AdaptiveMaxPool2d": _adaptive, "Upsample": _upsample,
    "GroupNorm": _group_norm, "InstanceNorm2d": _instance_norm,
    "ReLU": _plain_activation, "SiLU": _plain_activation, "Sigmoid": _plain_activation,
    "Tanh": _plain_activation, "ReLU6": _plain_activation, "Hardswish": _plain_activation,
    "Hardsigmoid": _plain_activation, "Mish": _plain_activation,
    "GELU": lambda m, s: Layer("GELU", {"approximate": m.approximate}),
    "Softplus": lambda m, s: Layer("Softplus", {"beta": float(m.beta),
                                                "threshold": float(m.threshold)}),
    "PReLU": _prelu, "Softmax": _softmax, "LogSoftmax": _softmax,
    "TransformerEncoderLayer": _encoder_layer, "MultiheadAttention": _attention,
    "LeakyReLU": lambda m, s: Layer("LeakyReLU", {"negative_slope": float(m.negative_slope)}),
    "ELU": lambda m, s: Layer("ELU", {"alpha": float(m.alpha)}),
    "RNN": _recurrent, "LSTM": _recurrent, "GRU": _recurrent,
    "Identity": lambda m, s: Layer("Identity", {}),
}
_HELPERS: dict[str, Callable[[Any, list], Layer]] = {
    "Add": _merge("Add"), "Multiply": _merge("Multiply"), "Concat": _merge("Concat"),
    "Reshape": lambda m, s: Layer("Reshape", {"shape": tuple(m.shape)}),
    "Permute": lambda m, s: Layer("Permute", {"dims": tuple(m.dims)}),
    "Select": lambda m, s: Layer("Select", {"axis": sample_axis(m.dim), "index": m.index}),
    "GlobalAvgPool2d": lambda m, s: Layer("GlobalAvgPool", {}),
    "TokenEmbedding": _embedding, "SelfAttention": _self_attention,
    "PositionEmbedding": lambda m, s: Layer("PositionEmbedding", {}),
    "RNNLayer": _recurrent, "LSTMLayer": _recurrent, "GRULayer": _recurrent,
}
