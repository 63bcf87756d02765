"""Convolutions: Conv1d, Conv2d, ConvTranspose2d (PyTorch's channels-first layout)."""

from __future__ import annotations

from dlstudio.graph.catalogue import TRAINABLE, LayerSpec, ModuleRecipe, register
from dlstudio.graph.errors import ShapeError
from dlstudio.graph.layers.rules import check_groups, conv_length, expect_rank
from dlstudio.graph.params import ParamSpec, bool_param, int_param


def _conv_params(default_kernel: int) -> tuple[ParamSpec, ...]:
    return (
        int_param("filters", 32, "Number of output channels", 1, 100_000),
        int_param("kernel_size", default_kernel, "Width of the sliding window", 1, 1024),
        int_param("stride", 1, "Step between windows", 1, 1024),
        ParamSpec("padding", "padding", 0,
                  "Zeros added at the borders: a number, 'same' or 'valid'", minimum=0),
        int_param("dilation", 1, "Spacing between kernel taps", 1, 1024),
        int_param("groups", 1, "Split channels into independent groups", 1, 100_000),
        bool_param("bias", True, "Add a learned bias per filter"),
        TRAINABLE,
    )


def _infer_conv(params, shapes, rank: int):
    (shape,) = shapes
    needs = "an image (channels × height × width)" if rank == 3 else \
        "a sequence (channels × length)"
    hint = "insert a Reshape" if len(shape) < rank else "insert a Flatten or pick another layer"
    expect_rank(shape, (rank,), needs, hint)
    check_groups(shape[0], params["filters"], params["groups"])
    lengths = tuple(
        conv_length(n, params["kernel_size"], params["stride"], params["padding"],
                    params["dilation"], axis)
        for n, axis in zip(shape[1:], ("height", "width") if rank == 3 else ("length",),
                           strict=True)
    )
    return (params["filters"], *lengths)


def _conv_recipe(cls: str):
    def recipe(params, shapes):
        return ModuleRecipe(cls, {
            "in_channels": shapes[0][0], "out_channels": params["filters"],
            "kernel_size": params["kernel_size"], "stride": params["stride"],
            "padding": params["padding"], "dilation": params["dilation"],
            "groups": params["groups"], "bias": params["bias"],
        })
    return recipe


def _conv_count(params, shapes, spatial_dims: int) -> int:
    weights = params["filters"] * (shapes[0][0] // params["groups"])
    weights *= params["kernel_size"] ** spatial_dims
    return weights + (params["filters"] if params["bias"] else 0)


register(LayerSpec(
    type="Conv1d",
    category="convolution",
    help="Slides learned filters along a sequence (channels × length)",
    params=_conv_params(3),
    infer=lambda p, s: _infer_conv(p, s, 2),
    recipe=_conv_recipe("nn.Conv1d"),
    count_params=lambda p, s: _conv_count(p, s, 1),
    key_params=("filters", "kernel_size", "stride", "padding"),
    search_words=("conv", "convolution", "nn.Conv1d", "conv1d", "temporal", "filter"),
))

register(LayerSpec(
    type="Conv2d",
    category="convolution",
    help="Slides learned filters over an image to detect local patterns",
    params=_conv_params(3),
    infer=lambda p, s: _infer_conv(p, s, 3),
    recipe=_conv_recipe("nn.Conv2d"),
    count_params=lambda p, s: _conv_count(p, s, 2),
    key_params=("filters", "kernel_size", "stride", "padding"),
    search_words=("conv", "convolution", "nn.Conv2d", "conv2d", "cnn", "filter", "kernel"),
))


def _infer_conv_transpose(params, shapes):
    (shape,) = shapes
    expect_rank(shape, (3,), "an image (channels × height × width)")
    check_groups(shape[0], params["filters"], params["groups"])
    k, s, pad, extra = (params["kernel_size"], params["stride"], params["padding"],
                        params["output_padding"])
    if extra >= s:
        raise ShapeError(f"output_padding ({extra}) must be smaller than stride ({s})")
    out = tuple((n - 1) * s - 2 * pad + (k - 1) + extra + 1 for n in shape[1:])
    if min(out) < 1:
        raise ShapeError(f"padding {pad} leaves no output; use less padding")
    return (params["filters"], *out)


register(LayerSpec(
    type="ConvTranspose2d",
    category="convolution",
    help="Learned upsampling: the reverse of a strided Conv2d",
    params=(
        int_param("filters", 32, "Number of output channels", 1, 100_000),
        int_param("kernel_size", 2, "Width of the window", 1, 1024),
        int_param("stride", 2, "Upsampling factor", 1, 1024),
        int_param("padding", 0, "Rows and columns removed at the borders", 0, 1024),
        int_param("output_padding", 0, "Extra size added on one side", 0, 1024),
        int_param("groups", 1, "Split channels into independent groups", 1, 100_000),
        bool_param("bias", True, "Add a learned bias per filter"),
        TRAINABLE,
    ),
    infer=_infer_conv_transpose,
    recipe=lambda p, s: ModuleRecipe("nn.ConvTranspose2d", {
        "in_channels": s[0][0], "out_channels": p["filters"], "kernel_size": p["kernel_size"],
        "stride": p["stride"], "padding": p["padding"], "output_padding": p["output_padding"],
        "groups": p["groups"], "bias": p["bias"]}),
    count_params=lambda p, s: (s[0][0] * (p["filters"] // p["groups"]) * p["kernel_size"] ** 2
                               + (p["filters"] if p["bias"] else 0)),
    key_params=("filters", "kernel_size", "stride"),
    search_words=("conv", "convolution", "nn.ConvTranspose2d", "conv2dtranspose",
                  "deconvolution", "deconv", "upsample", "upsampling"),
))
