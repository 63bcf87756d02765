"""Does the graph suit the chosen data? Checked while designing, not only at Train.

An Output of 64 values for 10 classes, or an Input the data cannot feed, is a problem on
that node as soon as the data is known. The trainer refuses the same mismatches with the
same sentences (`dlstudio.data.fit` calls these functions), so the two never disagree.
No torch here: the data side hands over its facts as a `DataFacts`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from dlstudio.graph.inference import Problem, ShapeReport, infer_shapes, label
from dlstudio.graph.model import Graph, Node
from dlstudio.graph.shape_text import Shape, format_shape
from dlstudio.graph.text_fit import fitted_facts, text_layout

CLASS_LOSSES = ("cross_entropy", "binary_cross_entropy")
INPUT_WORDS = {"image": "images", "vector": "feature vectors", "sequence": "sequences",
               "tokens": "token ids"}
PASS_THROUGH = ("ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Softmax",
                "Dropout", "ReLU6", "Hardswish", "Hardsigmoid", "Mish", "Softplus", "PReLU",
                "LogSoftmax", "Identity")  # may sit between the last Dense and the Output
IMAGE_CHANNELS = (1, 3)  # what images can be converted to when loaded


@dataclass(frozen=True)
class DataFacts:
    """What one dataset gives a model: its samples and its targets.

    `classes` is 0 for numeric targets (regression), whose shape is `target_shape`.
    `any_image_size` is set when images are loaded at the Input's size and channels,
    so any gray or colour image Input can be fed. `reconstruction`: the target of each
    sample is the sample itself (an autoencoder's data), shaped as the input.
    """

    name: str
    input_kind: str
    input_shape: Shape
    classes: int = 0
    target_shape: Shape = ()
    any_image_size: bool = False
    reconstruction: bool = False
    text: bool = False  # characters, cut to the graph's shape; `classes` is the vocabulary

    def describe_input(self) -> str:
        return describe_samples(self.input_kind, self.input_shape)


def facts_for_target(facts: DataFacts | None, target: str) -> DataFacts | None:
    """`facts` as the training setting `target` makes them: with "input" every sample is
    its own target (token ids cannot be; the trainer says so)."""
    if facts is None or target != "input" or facts.input_kind == "tokens":
        return facts
    return replace(facts, classes=0, target_shape=tuple(facts.input_shape),
                   reconstruction=True)


def check_against_data(graph: Graph, facts: DataFacts,
                       report: ShapeReport | None = None) -> list[Problem]:
    """Every mismatch between the graph's Input/Output and the data, on its node. A graph
    without one Input or one Output is left to the structure checks."""
    report = report if report is not None else infer_shapes(graph)
    layout = text_layout(graph, facts.classes, report) if facts.text else None
    if layout is not None:
        facts = fitted_facts(facts, layout)
    problems: list[Problem] = []
    inputs = graph.nodes_of_type("Input")
    if len(inputs) > 1:
        problems.append(Problem(None, f"{facts.name} feeds one Input but the graph has "
                                      f"{len(inputs)}: keep one"))
    elif inputs:
        node = inputs[0]
        message = input_problem(facts, tuple(node.params["shape"]), node.params["kind"],
                                label(node))
        if message:
            problems.append(Problem(node.id, message))
    outputs = graph.nodes_of_type("Output")
    if facts.reconstruction and facts.any_image_size and len(inputs) == 1:
        # images load at the Input's size, so that is the size to give back
        facts = replace(facts, input_shape=tuple(inputs[0].params["shape"]))
    shapes = report.input_shapes.get(outputs[0].id) if len(outputs) == 1 else None
    if shapes:  # an Output without a shape has its own problem already
        output = outputs[0]
        dense = last_dense(graph, output)
        message = target_problem(facts, shapes[0], output.params["loss"], label(output),
                                 label(dense) if dense is not None else None)
        if message:
            problems.append(Problem(output.id, message))
    return problems


def input_problem(facts: DataFacts, shape: Shape, kind: str | None, where: str) -> str | None:
    """Why the data cannot feed the Input `where` (of `shape` and `kind`), or None."""
    shape = tuple(shape)
    if facts.text:
        return _text_input_problem(facts, shape, kind, where)
    if kind is not None and (kind == "tokens") != (facts.input_kind == "tokens"):
        return (f"{where} takes {INPUT_WORDS.get(kind, kind)} but {facts.name} gives "
                f"{facts.describe_input()}: set its kind to {facts.input_kind}")
    if shape == tuple(facts.input_shape) or _resized_to_fit(facts, shape, kind):
        return None
    return (f"{where} expects {format_shape(shape)} but {facts.name} gives "
            f"{facts.describe_input()}{_shape_hint(facts, shape, kind)}")


def _text_input_problem(facts: DataFacts, shape: Shape, kind: str | None,
                        where: str) -> str | None:
    """Text fits a tokens Input of any length (character ids) or a sequence Input of one
    feature per character (one-hot vectors); anything else is named with its fix."""
    vocab = facts.classes
    steps = shape[0] if len(shape) in (1, 2) else facts.input_shape[0]
    if kind in (None, "tokens") and len(shape) == 1:
        return None
    if kind == "sequence" and len(shape) == 2:
        if shape[1] == vocab:
            return None
        return (f"{where} takes {shape[1]} features per step but {facts.name} has a "
                f"vocabulary of {vocab} characters: set its shape to "
                f"{format_shape((steps, vocab))}")
    return (f"{where} takes {INPUT_WORDS.get(kind or '', kind)} of {format_shape(shape)} but "
            f"{facts.name} gives characters (a vocabulary of {vocab}): set its kind to tokens "
            f"and its shape to {steps} (character ids), or its kind to sequence and its shape to "
            f"{format_shape((steps, vocab))} (one-hot characters)")


def _resized_to_fit(facts: DataFacts, shape: Shape, kind: str | None) -> bool:
    return (facts.any_image_size and facts.input_kind == "image" and kind in (None, "image")
            and len(shape) == 3 and shape[0] in IMAGE_CHANNELS)


def _shape_hint(facts: DataFacts, shape: Shape, kind: str | None) -> str:
    data = format_shape(facts.input_shape)
    if kind is not None and kind != facts.input_kind:
        return f": set its kind to {facts.input_kind} and its shape to {data}"
    if facts.input_kind == "image" and len(shape) == 3 and shape[0] in IMAGE_CHANNELS:
        if facts.name == "digits" and shape[1:] == (28, 28):
            return ": use builtin:digits28, the same digits at 28×28"
        return (f": set its shape to {data}, or load the images at {shape[1]}×{shape[2]} "
                f"with {shape[0]} channel{'s' * (shape[0] > 1)}")
    return f": set its shape to {data}"


def target_problem(facts: DataFacts, shape: Shape, loss: str, where: str,
                   dense: str | None = None) -> str | None:
    """Why the data's targets do not suit the Output `where` (getting `shape`, trained
    with `loss`), or None. `dense` names the Dense that sets the width, for the fix."""
    shape = tuple(shape)
    got = format_shape(shape)
    n = facts.classes
    if facts.reconstruction:
        return _reconstruction_problem(facts, shape, loss, where)
    if loss in CLASS_LOSSES and not n:
        return (f"{where} uses {loss}, which needs classes, but {facts.name} has numeric "
                f"targets of {format_shape(facts.target_shape)}: use mse, l1 or huber")
    if loss == "cross_entropy" and shape != (n,) and not _per_step(facts, shape):
        fix = f"set the units of {dense} to {n}" if dense else f"end with a Dense of {n} units"
        return f"{where} gets {got} values per sample but {facts.name} has {n} classes: {fix}"
    if loss == "binary_cross_entropy":
        if n != 2:
            return (f"{where} uses binary_cross_entropy but {facts.name} has {n} classes: "
                    "use cross_entropy")
        if shape != (1,):
            fix = f"set the units of {dense} to 1" if dense else "end with a Dense of 1 unit"
            return (f"{where} gets {got} values per sample; binary_cross_entropy takes one "
                    f"(the chance of the second class): {fix}, or use cross_entropy")
    if loss not in CLASS_LOSSES:
        if n:
            return _one_hot_problem(facts, shape, loss, where, dense)
        if shape != tuple(facts.target_shape):
            return (f"{where} gets {got} values per sample but {facts.name} has targets of "
                    f"{format_shape(facts.target_shape)}")
    return None


def _one_hot_problem(facts: DataFacts, shape: Shape, loss: str, where: str,
                     dense: str | None) -> str | None:
    """mse, l1 or huber on classes compare the Output with the one-hot of the class (as
    older textbooks train), so the Output needs one value per class; with 2 classes one
    value (the class id 0 or 1) also serves."""
    n = facts.classes
    if shape == (n,) or (n == 2 and shape == (1,)):
        return None
    fix = f"set the units of {dense} to {n}" if dense else f"end with a Dense of {n} units"
    return (f"{where} gets {format_shape(shape)} values per sample; {loss} compares them "
            f"with the one-hot of {facts.name}'s {n} classes: {fix}")


def _reconstruction_problem(facts: DataFacts, shape: Shape, loss: str,
                            where: str) -> str | None:
    """An autoencoder's Output must give back a sample of the input's own shape."""
    if loss == "cross_entropy":
        return (f"{where} uses cross_entropy, which needs classes, but the target is the "
                f"input itself ({facts.describe_input()}): use mse, l1, huber or "
                "binary_cross_entropy")
    if loss == "binary_cross_entropy" and facts.input_kind != "image":
        return (f"{where} uses binary_cross_entropy, which compares values in 0..1, but "
                f"{facts.name}'s standardised values are not: use mse, l1 or huber")
    wanted = tuple(facts.input_shape)
    if shape == wanted:
        return None
    reshape = " (end with a Reshape)" if math.prod(shape) == math.prod(wanted) else ""
    return (f"{where} gets {format_shape(shape)} values per sample, but the target is the "
            f"input itself: it must give {format_shape(wanted)}{reshape}")


def _per_step(facts: DataFacts, shape: Shape) -> bool:
    """A class per time step: Output (T, C) against targets of T class ids."""
    return len(shape) == 2 and shape[1] == facts.classes \
        and tuple(facts.target_shape) == shape[:1]


def last_dense(graph: Graph, output: Node) -> Node | None:
    """The Dense whose units set the Output's width, through activations after it."""
    edge = graph.edge_into(output.id, "in")
    while edge is not None:
        node = graph.nodes[edge.src]
        if node.type == "Dense":
            return node
        if node.type not in PASS_THROUGH:
            return None
        edge = graph.edge_into(node.id, node.input_ports[0])
    return None


def describe_samples(kind: str, shape: Shape) -> str:
    """Samples in words, e.g. '1×8×8 images' or 'vectors of 2 features' (the data's own
    description, `DataInfo.describe_input`, says the same)."""
    text = format_shape(shape)
    return {
        "image": f"{text} images",
        "vector": f"vectors of {text} feature{'s' * (tuple(shape) != (1,))}",
        "sequence": f"sequences of {text} (steps × features)",
        "tokens": f"sequences of {text} token ids",
    }.get(kind, f"samples of {text}")
