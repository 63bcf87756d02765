"""Core layers: Dense, Dropout(2d), Identity, Flatten, Reshape, Permute, Select, Embedding."""

from __future__ import annotations

from dlstudio.graph.catalogue import TRAINABLE, LayerSpec, ModuleRecipe, register
from dlstudio.graph.errors import ShapeError
from dlstudio.graph.layers.rules import check_axis, expect_rank, product, torch_dim
from dlstudio.graph.params import ParamSpec, bool_param, float_param, int_param
from dlstudio.graph.shape_text import format_shape


def _infer_dense(params, shapes):
    (shape,) = shapes
    expect_rank(shape, (1, 2), "a flat input", "insert a Flatten")
    return (*shape[:-1], params["units"])


register(LayerSpec(
    type="Dense",
    category="core",
    help="Fully connected layer: every output is a weighted sum of all inputs",
    params=(
        int_param("units", 64, "Number of outputs", 1, 1_000_000),
        bool_param("bias", True, "Add a learned bias to each output"),
        TRAINABLE,
    ),
    infer=_infer_dense,
    recipe=lambda p, s: ModuleRecipe(
        "nn.Linear", {"in_features": s[0][-1], "out_features": p["units"], "bias": p["bias"]}),
    count_params=lambda p, s: s[0][-1] * p["units"] + (p["units"] if p["bias"] else 0),
    key_params=("units",),
    search_words=("linear", "nn.Linear", "fc", "fully connected", "perceptron", "mlp",
                  "affine"),
))

register(LayerSpec(
    type="Dropout",
    category="core",
    help="Randomly zeroes a fraction of values while training, against overfitting",
    params=(float_param("rate", 0.5, "Fraction of values dropped", 0.0, 0.99),),
    infer=lambda p, s: s[0],
    recipe=lambda p, s: ModuleRecipe("nn.Dropout", {"p": p["rate"]}),
    key_params=("rate",),
    search_words=("nn.Dropout", "regularisation", "regularization"),
))


def _image_shape(shape):
    expect_rank(shape, (3,), "an image (channels × height × width)")
    return shape


register(LayerSpec(
    type="Dropout2d",
    category="core",
    help="Randomly zeroes whole channels of an image while training (spatial dropout)",
    params=(float_param("rate", 0.5, "Fraction of channels dropped", 0.0, 0.99),),
    infer=lambda p, s: _image_shape(s[0]),
    recipe=lambda p, s: ModuleRecipe("nn.Dropout2d", {"p": p["rate"]}),
    key_params=("rate",),
    search_words=("nn.Dropout2d", "spatial dropout", "channel dropout", "regularisation",
                  "regularization"),
))

register(LayerSpec(
    type="Identity",
    category="core",
    help="Passes its input through unchanged (a placeholder, or an imported no-op)",
    params=(),
    infer=lambda p, s: s[0],
    recipe=lambda p, s: ModuleRecipe("nn.Identity", {}),
    search_words=("nn.Identity", "pass through", "no-op", "skip"),
))

register(LayerSpec(
    type="Flatten",
    category="core",
    help="Turns an image or sequence into one flat vector",
    params=(),
    infer=lambda p, s: (product(s[0]),),
    recipe=lambda p, s: ModuleRecipe("nn.Flatten", {}),
    search_words=("nn.Flatten", "vector", "reshape"),
))


def _infer_reshape(params, shapes):
    (shape,) = shapes
    target = list(params["shape"])
    if target.count(-1) > 1:
        raise ShapeError("at most one axis of the target shape may be -1")
    if 0 in target:
        raise ShapeError("target shape axes must be ≥ 1 (or one -1)")
    size = product(shape)
    known = product([d for d in target if d != -1])
    if -1 in target:
        if size % known:
            raise ShapeError(f"cannot reshape {format_shape(shape)} ({size} values) "
                             f"into {format_shape(tuple(target))}")
        target[target.index(-1)] = size // known
    elif known != size:
        raise ShapeError(f"cannot reshape {format_shape(shape)} ({size} values) into "
                         f"{format_shape(tuple(target))} ({known} values)")
    return tuple(target)


register(LayerSpec(
    type="Reshape",
    category="core",
    help="Rearranges values into a new shape with the same number of values",
    params=(ParamSpec("shape", "ints", (-1,), "Target shape, batch left out; one axis may "
                      "be -1", minimum=-1),),
    infer=_infer_reshape,
    recipe=lambda p, s: ModuleRecipe("Reshape", {"shape": _infer_reshape(p, s)}),
    key_params=("shape",),
    search_words=("view", "unflatten", "resize"),
))


def _infer_permute(params, shapes):
    (shape,) = shapes
    dims = tuple(params["dims"])
    if sorted(dims) != list(range(len(shape))):
        raise ShapeError(f"dims {_listed(dims)} must list each axis of its {len(shape)}-axis "
                         f"input {format_shape(shape)} once, numbered from 0 (batch left "
                         f"out), e.g. {_listed(tuple(reversed(range(len(shape)))))}")
    return tuple(shape[d] for d in dims)


def _listed(numbers: tuple[int, ...]) -> str:
    return ", ".join(map(str, numbers))


register(LayerSpec(
    type="Permute",
    category="core",
    help="Reorders the axes of each sample, e.g. time × features into features × time",
    params=(ParamSpec("dims", "ints", (1, 0), "The new order of the axes, numbered from 0 "
                      "(batch left out)", minimum=0, maximum=7),),
    infer=_infer_permute,
    recipe=lambda p, s: ModuleRecipe("Permute", {"dims": tuple(p["dims"])}),
    key_params=("dims",),
    search_words=("torch.permute", "transpose", "swap axes", "channels last", "reorder"),
))


def _infer_select(params, shapes):
    (shape,) = shapes
    if len(shape) < 2:
        raise ShapeError(f"needs at least 2 axes to take one position from but gets "
                         f"{format_shape(shape)}")
    axis = check_axis(params["axis"], len(shape))
    index = params["index"]
    if not -shape[axis] <= index < shape[axis]:
        raise ShapeError(f"index {index} is outside axis {params['axis']} of "
                         f"{format_shape(shape)} (length {shape[axis]})")
    return shape[:axis] + shape[axis + 1:]


register(LayerSpec(
    type="Select",
    category="core",
    help="Takes one position along an axis, e.g. the last time step of a sequence",
    params=(
        int_param("axis", 0, "Axis to take from (batch left out; 0 = time steps)", -8, 7),
        int_param("index", -1, "Position along the axis (-1 = the last)", -1_000_000,
                  1_000_000),
    ),
    infer=_infer_select,
    recipe=lambda p, s: ModuleRecipe("Select", {"dim": torch_dim(p["axis"]),
                                                "index": p["index"]}),
    key_params=("axis", "index"),
    search_words=("torch.select", "index", "last step", "last time step", "getitem",
                  "take", "pick", "cls token"),
))


def _infer_embedding(params, shapes):
    (shape,) = shapes
    expect_rank(shape, (1,), "a sequence of token ids (a tokens Input)")
    return (shape[0], params["dim"])


register(LayerSpec(
    type="Embedding",
    category="core",
    help="Looks up a learned vector for each token id",
    params=(
        int_param("vocab_size", 128, "How many different token ids there are", 1, 10_000_000),
        int_param("dim", 32, "Length of each token's vector", 1, 100_000),
        TRAINABLE,
    ),
    infer=_infer_embedding,
    recipe=lambda p, s: ModuleRecipe(
        "TokenEmbedding", {"num_embeddings": p["vocab_size"], "embedding_dim": p["dim"]}),
    count_params=lambda p, s: p["vocab_size"] * p["dim"],
    key_params=("vocab_size", "dim"),
    search_words=("nn.Embedding", "embed", "tokens", "word vectors", "lookup"),
))
