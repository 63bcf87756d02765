"""Checks made before anything trains: the graph compiles, the data fits its Input and
Output, one batch fits in memory, the monitored metric exists. Each failure is a
TrainingError naming both sides. `build_checked_model` runs them cheapest first, so no
weight is allocated before the data and the memory have been checked."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from dlstudio.compile import CompileError, GraphModule, compile_graph
from dlstudio.data import (
    DataBundle,
    DataError,
    DataInfo,
    check_fits,
    check_graph,
    load_data,
)
from dlstudio.data.textfile import fit_text_to_graph
from dlstudio.graph import Graph, infer_shapes
from dlstudio.train.faults import TrainingError
from dlstudio.train.memory import check_memory
from dlstudio.train.settings import TrainSettings

TASK_METRICS = {"classification": ("loss", "accuracy", "precision", "recall", "f1"),
                "regression": ("loss", "mae", "r2")}
LOWER_IS_BETTER = ("loss", "mae")


def graph_for(graph: Graph, settings: TrainSettings) -> Graph:
    """The graph to train: a copy whose Output uses the settings' loss when one is set
    (so compiling pairs the final activation with that loss, and checkpoints record it)."""
    outputs = graph.nodes_of_type("Output")
    if settings.loss is None or len(outputs) != 1 or outputs[0].params["loss"] == settings.loss:
        return graph.copy()
    changed = graph.copy()
    changed.set_param(outputs[0].id, "loss", settings.loss)
    return changed


def load_training_data(graph: Graph, settings: TrainSettings) -> DataBundle:
    """The settings' data split by their seed and shares, images at the graph's Input
    size: what `dlstudio train` (and each `--folds` fold) and the lessons train on."""
    image_size, channels = image_input(graph)
    return load_data(settings.data, seed=settings.seed, val_fraction=settings.val_fraction,
                     test_fraction=settings.test_fraction, image_size=image_size,
                     channels=channels)


def image_input(graph: Graph) -> tuple[tuple[int, int] | None, int | None]:
    """Image data is loaded at the size and channels of an image Input (resized per
    batch, as the data layer does for every image set); other data must fit as it is."""
    inputs = graph.nodes_of_type("Input")
    if len(inputs) != 1 or inputs[0].params["kind"] != "image":
        return None, None
    shape = tuple(inputs[0].params["shape"])
    if len(shape) != 3 or shape[0] not in (1, 3):
        return None, None
    return (shape[1], shape[2]), shape[0]


def compile_for_training(graph: Graph, seed: int) -> GraphModule:
    """The model with seeded initial weights; graph problems become a TrainingError that
    keeps them by node (`problems`) for the canvas to mark."""
    torch.manual_seed(seed)
    try:
        return compile_graph(graph)
    except CompileError as error:
        raise TrainingError(str(error), error.problems) from None


def build_checked_model(graph: Graph, info: DataInfo, settings: TrainSettings,
                        device: str) -> GraphModule:
    """The model, built only after the cheap checks: the graph's own problems (the
    compiler names them by node before it builds a layer), the data against the Input
    and Output, then the memory one batch needs on `device`."""
    report = infer_shapes(graph)
    if not report.ok:
        return compile_for_training(graph, settings.seed)  # raises, naming the nodes
    check_data(graph, info, settings.loss)
    check_memory(graph, settings, device, report)
    return compile_for_training(graph, settings.seed)


def fit_data(graph: Graph, data: DataBundle) -> DataBundle:
    """Text data cut to the graph's Input and Output (window, ids or one-hot, the next
    character or one per step), so the user never sets it; other data as it is."""
    try:
        return fit_text_to_graph(data, graph)
    except DataError as error:
        raise TrainingError(f"the data does not fit the graph: {error}") from None


def check_data(graph: Graph, info: DataInfo, loss_from_settings: str | None) -> None:
    """Refuse data that does not fit the graph, naming both shapes. A per-step classifier
    (Output (T, C), targets (T,) class ids) is checked on its input only."""
    try:
        if _per_step(graph, info):
            (node,) = graph.nodes_of_type("Input")
            check_fits(info, tuple(node.params["shape"]), input_name=node.name,
                       input_kind=node.params["kind"])
        else:
            check_graph(info, graph)
    except DataError as error:
        note = f" (the training settings set the loss to {loss_from_settings})" \
            if loss_from_settings else ""
        raise TrainingError(f"the data does not fit the graph: {error}{note}") from None


def _per_step(graph: Graph, info: DataInfo) -> bool:
    inputs, outputs = graph.nodes_of_type("Input"), graph.nodes_of_type("Output")
    if len(inputs) != 1 or len(outputs) != 1 or outputs[0].params["loss"] != "cross_entropy":
        return False
    shapes = infer_shapes(graph).input_shapes.get(outputs[0].id)
    if not shapes or info.task != "classification":
        return False
    shape = tuple(shapes[0])
    return len(shape) == 2 and shape[1] == info.num_classes \
        and tuple(info.target_shape) == shape[:1]


@dataclass(frozen=True)
class Monitor:
    """The metric that picks best.pt, stops early and drives the plateau schedule."""

    name: str  # "val_loss", "train_accuracy", ...
    minimize: bool
    note: str = ""  # why it differs from the setting, for the log


def resolve_monitor(settings: TrainSettings, data: DataBundle) -> Monitor:
    split, _, metric = settings.monitor.partition("_")
    known = TASK_METRICS[data.info.task]
    if metric not in known:
        raise TrainingError(f"training setting 'monitor' is {settings.monitor!r}, but "
                            f"{data.info.name} is a {data.info.task} task: choose from "
                            + ", ".join(f"val_{m}" for m in known))
    note = ""
    if split == "val" and data.val is None:
        split = "train"
        note = (f"there is no validation data, so {split}_{metric} is monitored instead of "
                f"{settings.monitor}")
    return Monitor(f"{split}_{metric}", metric in LOWER_IS_BETTER, note)


def frozen_batchnorms(model: nn.Module, graph: Graph) -> list[nn.Module]:
    """BatchNorm layers with trainable off. Keras keeps them in inference mode while the
    rest trains: their running statistics stay as they were, as a frozen base expects."""
    frozen = {node.name for node in graph.nodes.values()
              if node.params.get("trainable", True) is False}
    return [module for name, module in model.named_children()
            if name in frozen and isinstance(module, nn.modules.batchnorm._BatchNorm)]


def set_train_mode(model: nn.Module, frozen_bn: list[nn.Module]) -> None:
    model.train()
    for module in frozen_bn:
        module.eval()
