"""The checks that read the network itself: which layers it has, with which parameters,
and whether it has a hidden layer. Also used to filter runs by the graph they trained."""

from __future__ import annotations

from typing import Any

from dlstudio.graph import Graph
from dlstudio.graph.catalogue import layer_spec, layer_types
from dlstudio.lessons.conditions import (
    check_condition,
    check_count,
    check_object,
    describe_condition,
    holds,
)
from dlstudio.lessons.errors import LessonError, join

WEIGHTED_CATEGORIES = ("core", "convolution", "recurrent", "attention")


def validate_graph_has(arg: Any, where: str) -> None:
    check_object(arg, where, ("type", "min_count", "max_count", "params"), ("type",))
    if arg["type"] not in layer_types():
        raise LessonError(f"{arg['type']!r} is not a layer type", join(where, "type"))
    for key in ("min_count", "max_count"):
        if key in arg:
            check_count(arg[key], join(where, key))
    params = arg.get("params", {})
    if not isinstance(params, dict):
        raise LessonError("must be an object of parameter names and conditions",
                          join(where, "params"))
    spec = layer_spec(arg["type"])
    for name, condition in params.items():
        if name not in {p.name for p in spec.params}:
            raise LessonError(f"{arg['type']} has no parameter {name!r}",
                              join(join(where, "params"), name))
        check_condition(condition, join(join(where, "params"), name))


def graph_has(arg: dict[str, Any], graph: Graph) -> bool:
    matching = [node for node in graph.nodes_of_type(arg["type"])
                if all(holds(c, node.params.get(k)) for k, c in arg.get("params", {}).items())]
    count = len(matching)
    return count >= arg.get("min_count", 1) and count <= arg.get("max_count", count)


def describe_graph_has(arg: dict[str, Any]) -> str:
    low, high = arg.get("min_count", 1), arg.get("max_count")
    kind = arg["type"]
    if high == 0:
        amount = f"no {kind} layer"
    elif high is not None and high == low:
        amount = f"exactly {low} {kind} layer{'s' if low != 1 else ''}"
    elif high is not None:
        amount = f"{low} to {high} {kind} layers"
    else:
        amount = f"at least {low} {kind} layer{'s' if low != 1 else ''}"
    params = arg.get("params", {})
    if params:
        amount += " with " + ", ".join(f"{k} {describe_condition(c)}" for k, c in
                                       params.items())
    return f"the network has {amount}"


def has_hidden_layer(graph: Graph) -> bool:
    """A layer with weights whose output passes a non-linear activation and then reaches
    another layer with weights, on the way to the Output: what lets a network bend its
    decision boundary (two Dense layers in a row are still one straight line)."""
    outputs = {node.id for node in graph.nodes_of_type("Output")}
    weighted = [n.id for n in graph.nodes.values()
                if n.spec.has_weights and n.spec.category in WEIGHTED_CATEGORIES]
    for start in weighted:
        seen, frontier = set(), [(start, False)]
        while frontier:
            node_id, activated = frontier.pop()
            for edge in graph.edges_out_of(node_id):
                node = graph.nodes[edge.dst]
                now = activated or (node.spec.category == "activations"
                                    and node.type not in ("Softmax", "LogSoftmax"))
                if activated and node.id in weighted and any(
                        graph.has_path(node.id, out) for out in outputs):
                    return True
                if (edge.dst, now) not in seen:
                    seen.add((edge.dst, now))
                    frontier.append((edge.dst, now))
    return False
