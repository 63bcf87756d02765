"""Pooling: max and average windows (1d and 2d), adaptive pooling to a fixed size,
GlobalAvgPool, and Upsample. Names, parameters and defaults are PyTorch's."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from dlstudio.graph.catalogue import LayerSpec, ModuleRecipe, register
from dlstudio.graph.errors import ShapeError
from dlstudio.graph.layers.rules import conv_length, expect_rank
from dlstudio.graph.params import ParamSpec, bool_param, choice_param, float_param, int_param
from dlstudio.graph.shape_text import format_shape

IMAGE = "an image (channels × height × width)"
SEQUENCE = "a sequence (channels × length)"
AXES = {3: ("height", "width"), 2: ("length",)}


def _stride(params) -> int:
    return params["stride"] or params["kernel_size"]


def pool_length(length: int, params: Mapping[str, Any], axis: str = "input") -> int:
    """Output length of a pooling window along one axis, ceil_mode included (PyTorch's
    rule: with ceil_mode a last window must start inside the input or its left padding)."""
    out = conv_length(length, params["kernel_size"], _stride(params), params["padding"], 1,
                      axis)
    if params["ceil_mode"] and _extra_window(length, params):
        out += 1
        if _starts_in_padding(length, out, params):
            out -= 1
    return out


def _extra_window(length: int, params) -> bool:
    return bool((length + 2 * params["padding"] - params["kernel_size"]) % _stride(params))


def _starts_in_padding(length: int, windows: int, params) -> bool:
    return (windows - 1) * _stride(params) >= length + params["padding"]


def ceil_mode_needed(params: Mapping[str, Any], shape: Sequence[int]) -> bool:
    """ceil_mode as the module needs it: on only where it adds a window to some axis.
    Where PyTorch's rule drops the extra window again the result is floor mode's, and
    the module says so (ONNX rounds those windows differently)."""
    floor = dict(params, ceil_mode=False)
    return any(pool_length(n, params) > pool_length(n, floor) for n in shape[1:])


def drops_last_window(params: Mapping[str, Any], shape: Sequence[int]) -> bool:
    """Whether ceil_mode adds a window on one axis but drops the one it would add on
    another, whose last window would start in the right padding: torch computes that,
    ONNX (which keeps such windows) cannot."""
    floor = dict(params, ceil_mode=False)
    return ceil_mode_needed(params, shape) and any(
        _extra_window(n, params) and pool_length(n, params) == pool_length(n, floor)
        for n in shape[1:])


def _pool_infer(rank: int):
    def infer(params, shapes):
        (shape,) = shapes
        expect_rank(shape, (rank,), IMAGE if rank == 3 else SEQUENCE)
        kernel, padding = params["kernel_size"], params["padding"]
        if padding > kernel // 2:
            raise ShapeError(f"padding ({padding}) must be at most half the kernel size "
                             f"({kernel})")
        return (shape[0], *(pool_length(n, params, axis)
                            for n, axis in zip(shape[1:], AXES[rank], strict=True)))
    return infer


def _pool_spec(type_name: str, rank: int, help_text: str, words: tuple[str, ...]) -> LayerSpec:
    average = type_name.startswith("Avg")
    extra = (bool_param("count_include_pad", True,
                        "Count the padding zeros when averaging a border window"),) \
        if average else ()

    def recipe(params, shapes) -> ModuleRecipe:
        kwargs = {"kernel_size": params["kernel_size"], "stride": _stride(params),
                  "padding": params["padding"],
                  "ceil_mode": params["ceil_mode"] and ceil_mode_needed(params, shapes[0])}
        if average:
            kwargs["count_include_pad"] = params["count_include_pad"]
        return ModuleRecipe(f"nn.{type_name}", kwargs)

    return register(LayerSpec(
        type=type_name,
        category="pooling",
        help=help_text,
        params=(
            int_param("kernel_size", 2, "Size of the pooling window", 1, 1024),
            int_param("stride", 0, "Step between windows (0 = the window size)", 0, 1024,
                      special="same as kernel"),
            int_param("padding", 0, "Zeros added at the borders", 0, 512),
            bool_param("ceil_mode", False,
                       "Round the output size up, keeping a last partial window"),
            *extra,
        ),
        infer=_pool_infer(rank),
        recipe=recipe,
        key_params=("kernel_size", "stride"),
        search_words=("pool", "pooling", "downsample", "subsample", f"nn.{type_name}",
                      *words),
    ))


_pool_spec("MaxPool2d", 3, "Keeps the largest value of each window: smaller, shift-tolerant "
           "maps", ("maxpool", "max pooling", "maxpooling2d"))
_pool_spec("AvgPool2d", 3, "Averages each window: smaller, smoother maps",
           ("avgpool", "average pooling", "mean pooling", "averagepooling2d"))
_pool_spec("MaxPool1d", 2, "Keeps the largest value of each window along a sequence",
           ("maxpool", "max pooling", "maxpooling1d", "temporal"))
_pool_spec("AvgPool1d", 2, "Averages each window along a sequence",
           ("avgpool", "average pooling", "mean pooling", "averagepooling1d", "temporal"))


def _infer_global(params, shapes):
    (shape,) = shapes
    expect_rank(shape, (3,), IMAGE)
    return (shape[0],)


register(LayerSpec(
    type="GlobalAvgPool",
    category="pooling",
    help="Averages each channel over the whole image: C×H×W becomes a vector of C",
    params=(),
    infer=_infer_global,
    recipe=lambda p, s: ModuleRecipe("GlobalAvgPool2d", {}),
    search_words=("pool", "pooling", "global average pooling", "gap",
                  "nn.AdaptiveAvgPool2d", "adaptive", "globalaveragepooling2d"),
))


def _output_size(params) -> tuple[int, int]:
    size = tuple(params["output_size"])
    if len(size) not in (1, 2):
        raise ShapeError(f"output_size {format_shape(size)} must be one number (a square) "
                         "or two: height, width")
    return (size[0], size[-1])


def _infer_adaptive(params, shapes):
    (shape,) = shapes
    expect_rank(shape, (3,), IMAGE)
    return (shape[0], *_output_size(params))


def _adaptive_spec(kind: str, help_text: str, words: tuple[str, ...]) -> LayerSpec:
    type_name = f"Adaptive{kind}Pool2d"
    return register(LayerSpec(
        type=type_name,
        category="pooling",
        help=help_text,
        params=(ParamSpec("output_size", "ints", (1, 1), "Output height, width (one number: "
                          "a square), whatever the input's size", minimum=1,
                          maximum=100_000),),
        infer=_infer_adaptive,
        recipe=lambda p, s: ModuleRecipe(f"nn.{type_name}", {"output_size": _output_size(p)}),
        key_params=("output_size",),
        search_words=("pool", "pooling", "adaptive", f"nn.{type_name}", *words),
    ))


_adaptive_spec("Avg", "Averages windows sized so the output has a fixed size (1, 1 = "
               "global average, kept as an image)", ("global average pooling", "gap"))
_adaptive_spec("Max", "Keeps the largest value of windows sized so the output has a fixed "
               "size", ("global max pooling",))


def _upsample_size(params, shape) -> tuple[int, int]:
    size = tuple(params["size"])
    if size != (0,):
        if len(size) != 2 or min(size) < 1:
            raise ShapeError(f"size {format_shape(size)} must be two numbers ≥ 1 (height, "
                             "width), or 0 to use scale_factor")
        return size
    scale = params["scale_factor"]
    out = tuple(math.floor(n * scale) for n in shape[1:])
    if scale <= 0 or min(out) < 1:
        raise ShapeError(f"scale_factor {scale:g} leaves no output from "
                         f"{format_shape(shape)}: use a larger factor")
    return out


def _infer_upsample(params, shapes):
    (shape,) = shapes
    expect_rank(shape, (3,), IMAGE)
    if params["align_corners"] and params["mode"] == "nearest":
        raise ShapeError("align_corners only applies to mode bilinear: switch it off")
    return (shape[0], *_upsample_size(params, shape))


def _upsample_recipe(params, shapes) -> ModuleRecipe:
    if tuple(params["size"]) != (0,):
        kwargs = {"size": tuple(params["size"])}
    else:
        kwargs = {"scale_factor": params["scale_factor"]}
    kwargs["mode"] = params["mode"]
    if params["mode"] == "bilinear":
        kwargs["align_corners"] = params["align_corners"]
    return ModuleRecipe("nn.Upsample", kwargs)


register(LayerSpec(
    type="Upsample",
    category="pooling",
    help="Enlarges an image by a factor or to a size, repeating or blending pixels",
    params=(
        float_param("scale_factor", 2.0, "Output size = input size × this (when size is 0)",
                    0.0, 64.0),
        ParamSpec("size", "ints", (0,), "Output height, width; 0 = use scale_factor",
                  minimum=0, maximum=100_000),
        choice_param("mode", "nearest", ("nearest", "bilinear"),
                     "nearest repeats pixels; bilinear blends neighbours"),
        bool_param("align_corners", False, "bilinear only: corner pixels of input and "
                   "output line up"),
    ),
    infer=_infer_upsample,
    recipe=_upsample_recipe,
    key_params=("scale_factor", "mode"),
    search_words=("nn.Upsample", "upsampling", "upsampling2d", "interpolate", "resize",
                  "enlarge", "nearest", "bilinear", "decoder"),
))
