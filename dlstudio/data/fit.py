"""Does the data fit the graph? Checked before training, so a mismatch is a sentence
naming both shapes, not a matrix-size error from deep inside torch."""

from __future__ import annotations

from dlstudio.data.errors import DataError
from dlstudio.data.info import DataInfo
from dlstudio.graph.inference import infer_shapes
from dlstudio.graph.model import Graph
from dlstudio.graph.shape_text import Shape, format_shape

CLASS_LOSSES = ("cross_entropy", "binary_cross_entropy")
INPUT_WORDS = {"image": "images", "vector": "feature vectors", "sequence": "sequences",
               "tokens": "token ids"}


def check_fits(info: DataInfo, input_shape: Shape, *, input_name: str = "input",
               input_kind: str | None = None) -> None:
    """Raise DataError unless samples of `info` fit an Input of `input_shape` (and of
    `input_kind`, when given: token ids only go into a tokens Input and back)."""
    shape = tuple(input_shape)
    where = f'the Input "{input_name}"'
    if input_kind is not None and (input_kind == "tokens") != (info.kind == "tokens"):
        raise DataError(f"the data gives {info.describe_input()} but {where} takes "
                        f"{INPUT_WORDS.get(input_kind, input_kind)}: set its kind to "
                        f"{info.kind}")
    if shape != tuple(info.input_shape):
        raise DataError(f"the data gives {info.describe_input()} but {where} expects "
                        f"{format_shape(shape)}{_shape_hint(info, shape, input_kind)}")


def _shape_hint(info: DataInfo, shape: Shape, input_kind: str | None) -> str:
    data = format_shape(info.input_shape)
    if input_kind is not None and input_kind != info.kind:
        return f": set the Input's kind to {info.kind} and its shape to {data}"
    if info.kind == "image" and len(shape) == 3 and shape[0] in (1, 3):
        if info.name == "digits" and shape[1:] == (28, 28):
            return ": use builtin:digits28, the same digits at 28×28"
        return (f": set the Input's shape to {data}, or load the images at "
                f"{shape[1]}×{shape[2]} with {shape[0]} channel{'s' * (shape[0] > 1)}")
    return f": set the Input's shape to {data}"


def check_targets(info: DataInfo, output_shape: Shape, loss: str, *,
                  output_name: str = "output") -> None:
    """Raise DataError unless the data's targets suit the Output's loss and shape."""
    shape = tuple(output_shape)
    where = f'the Output "{output_name}"'
    got = format_shape(shape)
    if loss in CLASS_LOSSES and info.task != "classification":
        raise DataError(f"{where} uses {loss}, which needs classes, but {info.name} has "
                        f"numeric targets of {format_shape(info.target_shape)}: use mse, l1 "
                        "or huber")
    if loss == "cross_entropy" and shape != (info.num_classes,):
        raise DataError(f"{where} gets {got} values per sample but {info.name} has "
                        f"{info.num_classes} classes: end with a Dense of "
                        f"{info.num_classes} units")
    if loss == "binary_cross_entropy":
        if info.num_classes != 2:
            raise DataError(f"{where} uses binary_cross_entropy but {info.name} has "
                            f"{info.num_classes} classes: use cross_entropy")
        if shape != (1,):
            raise DataError(f"{where} gets {got} values per sample; binary_cross_entropy "
                            "takes one (the chance of the second class): end with a Dense "
                            "of 1 unit, or use cross_entropy")
    if loss not in CLASS_LOSSES:
        if info.task == "classification":
            raise DataError(f"{where} uses {loss}, which compares numbers, but {info.name} "
                            f"has {info.num_classes} classes: use cross_entropy")
        if shape != tuple(info.target_shape):
            raise DataError(f"{where} gets {got} values per sample but {info.name} has "
                            f"targets of {format_shape(info.target_shape)}")


def check_graph(info: DataInfo, graph: Graph) -> None:
    """Both checks against a graph's single Input and its Output. The target check is
    skipped when the graph's own shape errors leave the Output without a shape: those
    are reported by the compiler, naming the node."""
    inputs = graph.nodes_of_type("Input")
    if len(inputs) != 1:
        raise DataError(f"a dataset feeds one Input but the graph has {len(inputs)}")
    node = inputs[0]
    check_fits(info, tuple(node.params["shape"]), input_name=node.name,
               input_kind=node.params["kind"])
    outputs = graph.nodes_of_type("Output")
    if len(outputs) != 1:
        return
    shapes = infer_shapes(graph).input_shapes.get(outputs[0].id)
    if shapes:
        check_targets(info, shapes[0], outputs[0].params["loss"],
                      output_name=outputs[0].name)
