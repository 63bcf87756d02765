"""When a graph cannot go to ONNX, find the node that cannot and say why.

torch's exporter reports the failing operator (`aten.cummax`), not the canvas node it
came from. So after a failure each kind of layer in the graph is exported on its own,
with the inputs it saw in a real forward pass; the first kind that fails is the culprit.
Only runs after a failure, so a working export pays nothing for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from dlstudio.export.errors import root_reason
from dlstudio.export.job import ExportJob


class _Call(nn.Module):
    """One layer as a model of its own: forward(*inputs) -> layer(*inputs)."""

    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.layer(*inputs)


def explain_failure(job: ExportJob, example: tuple[torch.Tensor, ...], error: BaseException,
                    export: Callable[..., Any]) -> str:
    """A one-paragraph refusal naming the node (and its layer type) and torch's reason.

    `export(module, inputs, input_names, output_name)` is the exporter that failed."""
    seen = _layer_inputs(job.model, example)
    types = {node.name: node.type for node in job.graph.nodes.values()}
    tried: set[type[nn.Module]] = set()
    for name, layer in job.model.named_children():
        if type(layer) in tried or name not in seen:
            continue
        tried.add(type(layer))
        inputs = seen[name]
        try:
            export(_Call(layer), inputs, [f"in{i}" for i in range(len(inputs))], "out")
        except Exception as layer_error:  # the same many error types as the whole model
            same = [other for other, module in job.model.named_children()
                    if other != name and type(module) is type(layer)]
            also = f" (and {len(same)} other {types.get(name)} node(s))" if same else ""
            return (f'ONNX export failed at node "{name}" ({types.get(name, "layer")}){also}: '
                    f"{root_reason(layer_error)}")
    return f"ONNX export failed: {root_reason(error)}"


def _layer_inputs(model: nn.Module, example: tuple[torch.Tensor, ...]
                  ) -> dict[str, tuple[torch.Tensor, ...]]:
    """The tensors each child layer received in one forward pass, by node name."""
    seen: dict[str, tuple[torch.Tensor, ...]] = {}

    def keeper(name: str) -> Callable[[nn.Module, tuple[Any, ...]], None]:
        def keep(_module: nn.Module, args: tuple[Any, ...]) -> None:
            seen.setdefault(name, tuple(args))
        return keep

    hooks = [layer.register_forward_pre_hook(keeper(name))
             for name, layer in model.named_children()]
    try:
        with torch.no_grad():
            model(*example)
    except RuntimeError:
        pass  # the layers before the one that broke were seen; probe those
    finally:
        for hook in hooks:
            hook.remove()
    return seen
