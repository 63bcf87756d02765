"""Normalisation: BatchNorm1d, BatchNorm2d, LayerNorm, GroupNorm, InstanceNorm2d.

Names, parameters and defaults are PyTorch's."""

from __future__ import annotations

from dlstudio.graph.catalogue import TRAINABLE, LayerSpec, ModuleRecipe, register
from dlstudio.graph.errors import ShapeError
from dlstudio.graph.layers.rules import expect_rank, product
from dlstudio.graph.params import bool_param, float_param, int_param
from dlstudio.graph.shape_text import format_shape

EPS = float_param("eps", 1e-5, "Small number added to the variance for stability", 1e-12, 1.0)
MOMENTUM = float_param("momentum", 0.1, "How fast the running statistics follow", 0.0, 1.0)
AFFINE = bool_param("affine", True, "Learn a scale and a shift per channel after normalising")


def _infer_bn1d(params, shapes):
    (shape,) = shapes
    expect_rank(shape, (1, 2), "a vector or channels × length")
    return shape


def _infer_bn2d(params, shapes):
    (shape,) = shapes
    expect_rank(shape, (3,), "an image (channels × height × width)")
    return shape


def _bn_recipe(cls: str):
    return lambda p, s: ModuleRecipe(cls, {
        "num_features": s[0][0], "eps": p["eps"], "momentum": p["momentum"]})


register(LayerSpec(
    type="BatchNorm1d",
    category="normalisation",
    help="Normalises each feature over the batch; speeds up and steadies training",
    params=(EPS, MOMENTUM, TRAINABLE),
    infer=_infer_bn1d,
    recipe=_bn_recipe("nn.BatchNorm1d"),
    count_params=lambda p, s: 2 * s[0][0],
    search_words=("batchnorm", "batch norm", "bn", "nn.BatchNorm1d", "normalization"),
))

register(LayerSpec(
    type="BatchNorm2d",
    category="normalisation",
    help="Normalises each channel over the batch; the usual partner of Conv2d",
    params=(EPS, MOMENTUM, TRAINABLE),
    infer=_infer_bn2d,
    recipe=_bn_recipe("nn.BatchNorm2d"),
    count_params=lambda p, s: 2 * s[0][0],
    search_words=("batchnorm", "batch norm", "bn", "nn.BatchNorm2d", "normalization"),
))

register(LayerSpec(
    type="LayerNorm",
    category="normalisation",
    help="Normalises the last axis of each sample on its own (no batch statistics)",
    params=(EPS, TRAINABLE),
    infer=lambda p, s: s[0],
    recipe=lambda p, s: ModuleRecipe("nn.LayerNorm", {"normalized_shape": s[0][-1],
                                                      "eps": p["eps"]}),
    count_params=lambda p, s: 2 * s[0][-1],
    search_words=("layernorm", "layer norm", "ln", "nn.LayerNorm", "normalization",
                  "transformer"),
))


def _infer_group_norm(params, shapes):
    (shape,) = shapes
    expect_rank(shape, (1, 2, 3), "channels first: a vector, channels × length or an image")
    groups, channels = params["num_groups"], shape[0]
    if channels % groups:
        raise ShapeError(f"num_groups={groups} must divide the {channels} channels of "
                         f"{format_shape(shape)}")
    if channels // groups * product(shape[1:]) == 1:
        raise ShapeError(f"each of the {groups} groups holds a single value of "
                         f"{format_shape(shape)}, which normalises to 0: use fewer groups")
    return shape


register(LayerSpec(
    type="GroupNorm",
    category="normalisation",
    help="Normalises groups of channels within each sample: BatchNorm for small batches",
    params=(int_param("num_groups", 1, "How many groups the channels are split into",
                      1, 100_000), EPS, AFFINE, TRAINABLE),
    infer=_infer_group_norm,
    recipe=lambda p, s: ModuleRecipe("nn.GroupNorm", {
        "num_groups": p["num_groups"], "num_channels": s[0][0], "eps": p["eps"],
        "affine": p["affine"]}),
    count_params=lambda p, s: 2 * s[0][0] if p["affine"] else 0,
    key_params=("num_groups",),
    search_words=("groupnorm", "group norm", "gn", "nn.GroupNorm", "normalization"),
))


def _infer_instance_norm(params, shapes):
    (shape,) = shapes
    expect_rank(shape, (3,), "an image (channels × height × width)")
    if shape[1] * shape[2] == 1:
        raise ShapeError(f"needs more than one pixel per channel but gets {format_shape(shape)}")
    return shape


register(LayerSpec(
    type="InstanceNorm2d",
    category="normalisation",
    help="Normalises each channel of each image on its own (style transfer, GANs)",
    params=(EPS, MOMENTUM,
            bool_param("affine", False, "Learn a scale and a shift per channel"),
            bool_param("track_running_stats", False,
                       "Keep running statistics and use them when not training"),
            TRAINABLE),
    infer=_infer_instance_norm,
    recipe=lambda p, s: ModuleRecipe("nn.InstanceNorm2d", {
        "num_features": s[0][0], "eps": p["eps"], "momentum": p["momentum"],
        "affine": p["affine"], "track_running_stats": p["track_running_stats"]}),
    count_params=lambda p, s: 2 * s[0][0] if p["affine"] else 0,
    search_words=("instancenorm", "instance norm", "nn.InstanceNorm2d", "normalization",
                  "style transfer", "contrast"),
))
