"""Activations: element-wise non-linearities, PReLU's learned slope, and (Log)Softmax
over an axis. Names, parameters and defaults are PyTorch's."""

from __future__ import annotations

from dlstudio.graph.catalogue import TRAINABLE, LayerSpec, ModuleRecipe, register
from dlstudio.graph.layers.rules import check_axis, torch_dim
from dlstudio.graph.params import ParamSpec, bool_param, choice_param, float_param, int_param


def _activation(type_name: str, help_text: str, params: tuple[ParamSpec, ...] = (),
                kwargs=lambda p: {}, words: tuple[str, ...] = (),
                keys: tuple[str, ...] | None = None) -> LayerSpec:
    """An element-wise `nn.<type_name>`; `keys` are the parameters shown on the canvas
    (all of them unless given)."""
    return register(LayerSpec(
        type=type_name,
        category="activations",
        help=help_text,
        params=params,
        infer=lambda p, s: s[0],
        recipe=lambda p, s: ModuleRecipe(f"nn.{type_name}", kwargs(p)),
        key_params=tuple(spec.name for spec in params) if keys is None else keys,
        search_words=("activation", "nonlinearity", f"nn.{type_name}", *words),
    ))


_activation("ReLU", "max(0, x): the default choice for hidden layers",
            words=("rectifier",))
_activation("LeakyReLU", "Like ReLU but lets a small slope through for negative inputs",
            (float_param("negative_slope", 0.01, "Slope for negative inputs", 0.0, 1.0),),
            lambda p: {"negative_slope": p["negative_slope"]}, ("leaky relu",))
_activation("ELU", "Smooth ReLU that saturates at -alpha for negative inputs",
            (float_param("alpha", 1.0, "Value approached for very negative inputs", 0.0, 100.0),),
            lambda p: {"alpha": p["alpha"]}, ("exponential",))
_activation("GELU", "Smooth ReLU used by transformers",
            (choice_param("approximate", "none", ("none", "tanh"),
                          "Exact (none) or the tanh approximation GPT-2 uses"),),
            lambda p: {"approximate": p["approximate"]}, ("gaussian error",), keys=())
_activation("SiLU", "x · sigmoid(x), also called Swish", words=("swish",))
_activation("Sigmoid", "Squashes to (0, 1): a probability for binary outputs",
            words=("logistic",))
_activation("Tanh", "Squashes to (-1, 1)", words=("hyperbolic tangent",))
_activation("ReLU6", "ReLU capped at 6 (MobileNet)", words=("relu 6", "clipped relu"))
_activation("Hardswish", "A cheap piecewise Swish (MobileNetV3)",
            words=("hard swish", "hswish"))
_activation("Hardsigmoid", "A cheap piecewise sigmoid (MobileNetV3's squeeze-excite gate)",
            words=("hard sigmoid",))
_activation("Mish", "x · tanh(softplus(x)): a smooth ReLU (YOLOv4)", words=("smooth",))
_activation("Softplus", "log(1 + exp(βx)) / β: a smooth, always positive ReLU",
            (float_param("beta", 1.0, "Sharpness of the bend", 0.01, 100.0),
             float_param("threshold", 20.0, "Above this βx the output is x itself",
                         0.0, 100.0)),
            lambda p: {"beta": p["beta"], "threshold": p["threshold"]}, ("smooth relu",))


def _prelu_slopes(params, shapes) -> int:
    """One slope, or one per channel: axis 0 of a sample, as nn.PReLU counts channels."""
    return shapes[0][0] if params["per_channel"] else 1


register(LayerSpec(
    type="PReLU",
    category="activations",
    help="Leaky ReLU whose negative slope is learned (one, or one per channel)",
    params=(
        bool_param("per_channel", False, "One slope per channel (axis 0) instead of one"),
        float_param("init", 0.25, "Starting value of the slope", -10.0, 10.0),
        TRAINABLE,
    ),
    infer=lambda p, s: s[0],
    recipe=lambda p, s: ModuleRecipe("nn.PReLU", {"num_parameters": _prelu_slopes(p, s),
                                                  "init": p["init"]}),
    count_params=_prelu_slopes,
    key_params=("per_channel",),
    search_words=("activation", "nonlinearity", "nn.PReLU", "parametric relu",
                  "leaky relu", "learned slope"),
))


def _infer_softmax(params, shapes):
    check_axis(params["axis"], len(shapes[0]))
    return shapes[0]


register(LayerSpec(
    type="Softmax",
    category="activations",
    help="Turns scores into class probabilities that sum to 1",
    params=(int_param("axis", -1, "Axis that sums to 1 (batch left out; -1 = last)", -8, 7),),
    infer=_infer_softmax,
    recipe=lambda p, s: ModuleRecipe("nn.Softmax", {"dim": torch_dim(p["axis"])}),
    search_words=("activation", "nn.Softmax", "probabilities", "classifier"),
))

register(LayerSpec(
    type="LogSoftmax",
    category="activations",
    help="The logarithm of Softmax, computed stably: log-probabilities (for NLL losses)",
    params=(int_param("axis", -1, "Axis whose exponentials sum to 1 (batch left out; "
                      "-1 = last)", -8, 7),),
    infer=_infer_softmax,
    recipe=lambda p, s: ModuleRecipe("nn.LogSoftmax", {"dim": torch_dim(p["axis"])}),
    search_words=("activation", "nn.LogSoftmax", "log probabilities", "log_softmax", "nll"),
))
