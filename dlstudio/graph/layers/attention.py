"""Attention over sequences (time steps × features): self-attention, a transformer encoder
layer and a learned position embedding. d_model (embed_dim) is the input's feature size;
the other names and defaults are PyTorch's."""

from __future__ import annotations

from dlstudio.graph.catalogue import TRAINABLE, LayerSpec, ModuleRecipe, register
from dlstudio.graph.errors import ShapeError
from dlstudio.graph.layers.rules import expect_rank
from dlstudio.graph.params import bool_param, choice_param, float_param, int_param

SEQUENCE = "a sequence (time steps × features)"
HINT = "use an Embedding for token ids, or a sequence Input"


def _infer_heads(heads: int, shapes):
    (shape,) = shapes
    expect_rank(shape, (2,), SEQUENCE, HINT)
    if shape[1] % heads:
        raise ShapeError(f"{heads} heads must divide the {shape[1]} features of each step: "
                         "pick a number of heads that divides it")
    return shape


def attention_params(width: int, bias: bool) -> int:
    """nn.MultiheadAttention's weights: the packed query/key/value projection and the
    output projection, each with a bias when `bias`."""
    return 4 * width * width + (4 * width if bias else 0)


register(LayerSpec(
    type="MultiheadAttention",
    category="attention",
    help="Self-attention: each step mixes in the steps it finds relevant, in several heads",
    params=(
        int_param("num_heads", 1, "Parallel attention heads; they must divide the features",
                  1, 1024),
        float_param("dropout", 0.0, "Fraction of attention weights dropped while training",
                    0.0, 0.99),
        bool_param("bias", True, "Add learned biases to the projections"),
        TRAINABLE,
    ),
    infer=lambda p, s: _infer_heads(p["num_heads"], s),
    recipe=lambda p, s: ModuleRecipe("SelfAttention", {
        "embed_dim": s[0][1], "num_heads": p["num_heads"], "dropout": p["dropout"],
        "bias": p["bias"]}),
    count_params=lambda p, s: attention_params(s[0][1], p["bias"]),
    key_params=("num_heads",),
    search_words=("attention", "self-attention", "self attention", "mha", "heads",
                  "nn.MultiheadAttention", "transformer", "multiheadattention"),
))


def _encoder_params(params, shapes) -> int:
    width, hidden, bias = shapes[0][1], params["dim_feedforward"], params["bias"]
    feed_forward = 2 * width * hidden + ((hidden + width) if bias else 0)
    norms = 2 * (2 * width if bias else width)
    return attention_params(width, bias) + feed_forward + norms


register(LayerSpec(
    type="TransformerEncoderLayer",
    category="attention",
    help="One transformer block: self-attention then a feed-forward network, each with "
         "a skip connection and LayerNorm",
    params=(
        int_param("nhead", 1, "Parallel attention heads; they must divide the features",
                  1, 1024),
        int_param("dim_feedforward", 2048, "Width of the feed-forward network", 1, 1_000_000),
        float_param("dropout", 0.1, "Fraction of values dropped while training", 0.0, 0.99),
        choice_param("activation", "relu", ("relu", "gelu"),
                     "Activation inside the feed-forward network"),
        float_param("layer_norm_eps", 1e-5, "Small number added to the variance for "
                    "stability", 1e-12, 1.0),
        bool_param("norm_first", False, "LayerNorm before each part (pre-norm, steadier "
                   "when stacked) instead of after"),
        bool_param("bias", True, "Add learned biases to the projections and LayerNorms"),
        TRAINABLE,
    ),
    infer=lambda p, s: _infer_heads(p["nhead"], s),
    recipe=lambda p, s: ModuleRecipe("nn.TransformerEncoderLayer", {
        "d_model": s[0][1], "nhead": p["nhead"], "dim_feedforward": p["dim_feedforward"],
        "dropout": p["dropout"], "activation": p["activation"],
        "layer_norm_eps": p["layer_norm_eps"], "batch_first": True,
        "norm_first": p["norm_first"], "bias": p["bias"]}),
    count_params=_encoder_params,
    key_params=("nhead", "dim_feedforward"),
    search_words=("transformer", "encoder", "attention", "self-attention", "block",
                  "nn.TransformerEncoderLayer", "bert", "gpt"),
))


def _infer_position(params, shapes):
    (shape,) = shapes
    expect_rank(shape, (2,), SEQUENCE, HINT)
    return shape


register(LayerSpec(
    type="PositionEmbedding",
    category="attention",
    help="Adds a learned vector to each time step, so attention can tell steps apart",
    params=(TRAINABLE,),
    infer=_infer_position,
    recipe=lambda p, s: ModuleRecipe("PositionEmbedding", {"length": s[0][0],
                                                           "dim": s[0][1]}),
    count_params=lambda p, s: s[0][0] * s[0][1],
    search_words=("position", "positional encoding", "positional embedding", "learned",
                  "transformer", "pos_embedding"),
))
