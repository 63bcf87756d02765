"""The execution plan: a checked graph as an ordered list of steps.

The compiler turns the plan into a `GraphModule`, the code generator into source text;
both read the same plan, so the module and the generated file cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch import nn

from dlstudio.compile.modules import CUSTOM_MODULES
from dlstudio.graph import Graph, GraphError, Node, Problem, Shape, infer_shapes
from dlstudio.graph.inference import label
from dlstudio.graph.names import check_name


class CompileError(ValueError):
    """The graph cannot become a model. `problems` holds every reason, with its node."""

    def __init__(self, problems: list[Problem], graph: Graph | None = None) -> None:
        self.problems = list(problems)
        lines = [f"- {_describe(problem, graph)}" for problem in self.problems]
        super().__init__("the graph cannot be compiled:\n" + "\n".join(lines))


def _describe(problem: Problem, graph: Graph | None) -> str:
    node = graph.nodes.get(problem.node_id) if graph and problem.node_id else None
    if node is None or f'"{node.name}"' in problem.message:
        return problem.message
    return f"{label(node)}: {problem.message}"


@dataclass(frozen=True)
class Step:
    """One node with a module: built from `cls(**kwargs)`, called on the values `args`."""

    node_id: str
    name: str
    cls_name: str  # as the recipe spells it: "nn.Conv2d" or a DL Studio module, "Reshape"
    cls: type[nn.Module]
    kwargs: dict[str, Any]
    args: tuple[str, ...]  # names of the values it reads, in port order
    frozen: bool


@dataclass(frozen=True)
class GraphPlan:
    """What the model computes, in topological order, for the nodes that reach the Output.

    Values are named after the nodes that produce them (Inputs included). Inputs come in
    graph order (the order they were added, which project files keep).
    """

    input_names: tuple[str, ...]
    input_shapes: tuple[Shape, ...]
    steps: tuple[Step, ...]
    result: str  # the value the Output receives
    output_shape: Shape
    loss_name: str
    final_activation: str | None  # "softmax" | "sigmoid" when the loss takes it over

    @property
    def logits_steps(self) -> tuple[Step, ...]:
        """The steps without the final activation (it is always the last step)."""
        return self.steps[:-1] if self.final_activation else self.steps

    @property
    def logits_result(self) -> str:
        return self.steps[-1].args[0] if self.final_activation else self.result


def module_class(cls_name: str) -> type[nn.Module]:
    """The class a recipe names: `nn.<Name>` from torch, or one of DL Studio's modules."""
    if cls_name.startswith("nn."):
        attr = cls_name[3:]
        found = getattr(nn, attr, None) if attr.isidentifier() else None
    else:
        found = CUSTOM_MODULES.get(cls_name)
    if not (isinstance(found, type) and issubclass(found, nn.Module)):
        raise ValueError(f"unknown module class {cls_name!r}")
    return found


def build_plan(graph: Graph) -> GraphPlan:
    """Check the graph (shapes, names, recipes) and order its steps; raise CompileError."""
    report = infer_shapes(graph)
    if report.errors:
        raise CompileError(report.errors, graph)
    (output,) = graph.nodes_of_type("Output")
    wanted = _reaching(graph, output.id)
    problems = _name_problems(graph, wanted)
    inputs = [n for n in graph.nodes.values() if n.type == "Input" and n.id in wanted]
    steps: list[Step] = []
    for node_id in report.order:
        node = graph.nodes[node_id]
        if node_id not in wanted or node.type in ("Input", "Output"):
            continue
        try:
            steps.append(_step(graph, node, report.input_shapes[node_id]))
        except ValueError as error:
            problems.append(Problem(node_id, f"{label(node)} cannot be built: {error}"))
    if problems:
        raise CompileError(problems, graph)
    result = graph.nodes[graph.edge_into(output.id, "in").src]
    loss = output.params["loss"]
    return GraphPlan(
        input_names=tuple(n.name for n in inputs),
        input_shapes=tuple(report.shapes[n.id] for n in inputs),
        steps=tuple(steps),
        result=result.name,
        output_shape=report.shapes[output.id],
        loss_name=loss,
        final_activation=_final_activation(result, loss, report.input_shapes.get(result.id)),
    )


def _reaching(graph: Graph, goal: str) -> set[str]:
    """Ids of the nodes with a path to `goal` (itself included): one backwards walk."""
    found, todo = {goal}, [goal]
    while todo:
        for edge in graph.edges_into(todo.pop()):
            if edge.src not in found:
                found.add(edge.src)
                todo.append(edge.src)
    return found


def _name_problems(graph: Graph, wanted: set[str]) -> list[Problem]:
    """Names become attributes and variables, so they are checked again here: a node's
    name can be assigned directly, bypassing the Graph API."""
    problems, seen = [], set()
    for node in graph.nodes.values():
        if node.id not in wanted:
            continue
        try:
            check_name(node.name)
        except GraphError as error:
            problems.append(Problem(node.id, f"{node.type} node {node.id}: {error}"))
            continue
        if node.name in seen:
            problems.append(Problem(node.id, f"{label(node)}: another node has this name"))
        seen.add(node.name)
    return problems


def _step(graph: Graph, node: Node, shapes: list[Shape]) -> Step:
    recipe = node.spec.recipe(node.params, shapes)
    if recipe is None:
        raise ValueError(f"{node.type} has no module")
    args = tuple(graph.nodes[graph.edge_into(node.id, port).src].name
                 for port in node.input_ports)
    return Step(node.id, node.name, recipe.cls, module_class(recipe.cls), dict(recipe.kwargs),
                args, node.params.get("trainable", True) is False)


def _final_activation(node: Node, loss: str, shapes: list[Shape] | None) -> str | None:
    """The activation the loss absorbs: a Softmax over the class axis before
    cross-entropy, or a Sigmoid before binary cross-entropy, feeding the Output."""
    if node.type == "Softmax" and loss == "cross_entropy" and shapes:
        rank = len(shapes[0])
        return "softmax" if node.params["axis"] % rank == rank - 1 else None
    if node.type == "Sigmoid" and loss == "binary_cross_entropy":
        return "sigmoid"
    return None
