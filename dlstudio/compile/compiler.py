"""Graph -> torch module: `compile_graph` builds a `GraphModule` that runs the graph."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from dlstudio.compile.kernels import FASTER
from dlstudio.compile.plan import CompileError, GraphPlan, build_plan
from dlstudio.graph import Graph, Problem

__all__ = ["CompileError", "GraphModule", "compile_graph"]

# (submodule name, indices of the values it reads); value i is input i, then step outputs.
_Step = tuple[str, tuple[int, ...]]


def compile_graph(graph: Graph) -> GraphModule:
    """Build the model a graph describes; CompileError lists every problem, by node."""
    return GraphModule(build_plan(graph))


class GraphModule(nn.Module):
    """A graph as an nn.Module: one submodule per layer node, named after the node.

    `forward(*inputs)` takes one tensor per Input node, in `input_names` order (the order
    the Inputs were added to the graph), and returns what the Output node receives.
    `logits(*inputs)` is the same without a final Softmax/Sigmoid that the loss absorbs
    (see `final_activation`); train on it with `training_loss(module)`.

    Where `kernels.FASTER` has a stand-in for a torch class, it is built instead: same
    results, faster in training. The steps are worked out once, here; they name
    submodules rather than hold them so that replicas (DataParallel) and swapped
    submodules are used as expected.
    """

    def __init__(self, plan: GraphPlan) -> None:
        super().__init__()
        self.input_names: list[str] = list(plan.input_names)
        self.input_shapes: list[tuple[int, ...]] = list(plan.input_shapes)
        self.output_shape: tuple[int, ...] = plan.output_shape
        self.loss_name: str = plan.loss_name
        self.final_activation: str | None = plan.final_activation
        slots = {name: index for index, name in enumerate(plan.input_names)}
        steps: list[_Step] = []
        for step in plan.steps:
            try:
                module = FASTER.get(step.cls, step.cls)(**step.kwargs)
            except (ValueError, TypeError, RuntimeError) as error:
                problem = Problem(step.node_id, f'"{step.name}" cannot be built: {error}')
                raise CompileError([problem]) from error
            if step.frozen:
                module.requires_grad_(False)
            self.add_module(step.name, module)
            steps.append((step.name, tuple(slots[arg] for arg in step.args)))
            slots[step.name] = len(slots)
        self._steps: tuple[_Step, ...] = tuple(steps)
        self._logits_steps: tuple[_Step, ...] = self._steps[:len(plan.logits_steps)]
        self._result = slots[plan.result]
        self._logits_result = slots[plan.logits_result]

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self._run(self._steps, self._result, inputs)

    def logits(self, *inputs: torch.Tensor) -> torch.Tensor:
        """The output before a final activation the loss takes over (else the output)."""
        return self._run(self._logits_steps, self._logits_result, inputs)

    def _run(self, steps: Sequence[_Step], result: int,
             inputs: tuple[torch.Tensor, ...]) -> torch.Tensor:
        if len(inputs) != len(self.input_names):
            raise TypeError(f"this model takes {len(self.input_names)} input tensor(s) "
                            f"({', '.join(self.input_names)}), got {len(inputs)}")
        modules = self._modules
        values = list(inputs)
        for name, args in steps:
            values.append(modules[name](*[values[i] for i in args]))
        return values[result]
