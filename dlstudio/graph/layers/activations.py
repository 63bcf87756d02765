"""Activations: element-wise non-linearities, and Softmax over an axis."""

from __future__ import annotations

from dlstudio.graph.catalogue import LayerSpec, ModuleRecipe, register
from dlstudio.graph.layers.rules import check_axis, torch_dim
from dlstudio.graph.params import ParamSpec, float_param, int_param


def _activation(type_name: str, help_text: str, params: tuple[ParamSpec, ...] = (),
                kwargs=lambda p: {}, words: tuple[str, ...] = ()) -> LayerSpec:
    return register(LayerSpec(
        type=type_name,
        category="activations",
        help=help_text,
        params=params,
        infer=lambda p, s: s[0],
        recipe=lambda p, s: ModuleRecipe(f"nn.{type_name}", kwargs(p)),
        key_params=tuple(spec.name for spec in params),
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
_activation("GELU", "Smooth ReLU used by transformers", words=("gaussian error",))
_activation("SiLU", "x · sigmoid(x), also called Swish", words=("swish",))
_activation("Sigmoid", "Squashes to (0, 1): a probability for binary outputs",
            words=("logistic",))
_activation("Tanh", "Squashes to (-1, 1)", words=("hyperbolic tangent",))


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
