"""Input and Output: where data enters the graph and where the loss is taken."""

from __future__ import annotations

from dlstudio.graph.catalogue import LayerSpec, register
from dlstudio.graph.errors import ShapeError
from dlstudio.graph.params import ParamSpec, choice_param
from dlstudio.graph.shape_text import format_shape

INPUT_KINDS = {"image": 3, "vector": 1, "sequence": 2, "tokens": 1}
INPUT_HINTS = {
    "image": "channels × height × width, e.g. 1, 28, 28",
    "vector": "one number of features, e.g. 784",
    "sequence": "time steps × features, e.g. 50, 1",
    "tokens": "time steps of token ids, e.g. 40",
}
LOSSES = ("cross_entropy", "binary_cross_entropy", "mse", "l1", "huber")


def _infer_input(params, shapes):
    kind, shape = params["kind"], tuple(params["shape"])
    if len(shape) != INPUT_KINDS[kind]:
        raise ShapeError(
            f"of kind {kind} takes a shape of {INPUT_HINTS[kind]}, but its shape is "
            f"{format_shape(shape)}: change the shape or the kind"
        )
    return shape


def _infer_output(params, shapes):
    (shape,) = shapes
    if params["loss"] == "cross_entropy" and shape[-1] < 2:
        raise ShapeError(
            f"cross-entropy needs at least 2 classes but gets {format_shape(shape)}: "
            "use binary_cross_entropy for a single output"
        )
    return shape


register(LayerSpec(
    type="Input",
    category="inputs",
    help="Where samples enter: an image, a feature vector, a sequence or token ids",
    params=(
        choice_param("kind", "image", tuple(INPUT_KINDS), "What one sample is"),
        ParamSpec("shape", "ints", (1, 28, 28), "Shape of one sample, batch left out",
                  minimum=1, maximum=1_000_000),
    ),
    infer=_infer_input,
    recipe=lambda params, shapes: None,
    input_ports=lambda params: (),
    key_params=("kind", "shape"),
    search_words=("data", "placeholder", "image", "features", "start"),
))

register(LayerSpec(
    type="Output",
    category="output",
    help="The model's prediction and the loss it is trained with",
    params=(choice_param("loss", "cross_entropy", LOSSES, "Loss taken against the targets"),),
    infer=_infer_output,
    recipe=lambda params, shapes: None,
    has_output=False,
    key_params=("loss",),
    search_words=("loss", "target", "prediction", "end", "result"),
))
