"""Pooling: MaxPool2d, AvgPool2d and GlobalAvgPool."""

from __future__ import annotations

from dlstudio.graph.catalogue import LayerSpec, ModuleRecipe, register
from dlstudio.graph.errors import ShapeError
from dlstudio.graph.layers.rules import conv_length, expect_rank
from dlstudio.graph.params import int_param

IMAGE = "an image (channels × height × width)"


def _stride(params) -> int:
    return params["stride"] or params["kernel_size"]


def _infer_pool(params, shapes):
    (shape,) = shapes
    expect_rank(shape, (3,), IMAGE)
    kernel, padding = params["kernel_size"], params["padding"]
    if padding > kernel // 2:
        raise ShapeError(f"padding ({padding}) must be at most half the kernel size ({kernel})")
    return (shape[0], *(conv_length(n, kernel, _stride(params), padding, 1, axis)
                        for n, axis in zip(shape[1:], ("height", "width"), strict=True)))


def _pool_spec(type_name: str, cls: str, help_text: str, words: tuple[str, ...]) -> LayerSpec:
    return LayerSpec(
        type=type_name,
        category="pooling",
        help=help_text,
        params=(
            int_param("kernel_size", 2, "Size of the pooling window", 1, 1024),
            int_param("stride", 0, "Step between windows (0 = the window size)", 0, 1024,
                      special="same as kernel"),
            int_param("padding", 0, "Zeros added at the borders", 0, 512),
        ),
        infer=_infer_pool,
        recipe=lambda p, s: ModuleRecipe(cls, {
            "kernel_size": p["kernel_size"], "stride": _stride(p), "padding": p["padding"]}),
        key_params=("kernel_size", "stride"),
        search_words=("pool", "pooling", "downsample", "subsample", cls, *words),
    )


register(_pool_spec("MaxPool2d", "nn.MaxPool2d",
                    "Keeps the largest value of each window: smaller, shift-tolerant maps",
                    ("maxpool", "max pooling", "maxpooling2d")))
register(_pool_spec("AvgPool2d", "nn.AvgPool2d", "Averages each window: smaller, smoother maps",
                    ("avgpool", "average pooling", "mean pooling", "averagepooling2d")))


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
