"""Normalisation: BatchNorm1d, BatchNorm2d, LayerNorm."""

from __future__ import annotations

from dlstudio.graph.catalogue import TRAINABLE, LayerSpec, ModuleRecipe, register
from dlstudio.graph.layers.rules import expect_rank
from dlstudio.graph.params import float_param

EPS = float_param("eps", 1e-5, "Small number added to the variance for stability", 1e-12, 1.0)
MOMENTUM = float_param("momentum", 0.1, "How fast the running statistics follow", 0.0, 1.0)


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
