"""A model summary like Keras' model.summary(): each layer's output shape, parameters,
multiply-adds and activation memory (for one sample; see `dlstudio.graph.cost`).

Read from the same shape report and catalogue counts as everything else (no torch), so
the canvas, `dlstudio summary` and the compiled model agree on every number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dlstudio.graph.cost import format_quantity, format_size, node_cost
from dlstudio.graph.inference import Problem, ShapeReport, infer_shapes
from dlstudio.graph.model import Graph
from dlstudio.graph.shape_text import Shape, format_shape


@dataclass(frozen=True)
class LayerRow:
    """One node. `params`, `macs` and `activation_bytes` (its output's float32 bytes for
    one sample, with a recurrent layer's per-step gates and states: graph/cost.py) are
    None while its input shape is unknown (a problem upstream)."""

    name: str
    type: str
    output_shape: Shape | None
    params: int | None
    trainable: bool
    macs: int | None = None
    activation_bytes: int | None = None


@dataclass
class ModelSummary:
    layers: list[LayerRow] = field(default_factory=list)
    input_shape: Shape | None = None
    output_shape: Shape | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def total_params(self) -> int:
        return sum(row.params or 0 for row in self.layers)

    @property
    def trainable_params(self) -> int:
        return sum(row.params or 0 for row in self.layers if row.trainable)

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    @property
    def total_macs(self) -> int:
        """Multiply-adds of one forward pass of one sample."""
        return sum(row.macs or 0 for row in self.layers)

    @property
    def activation_bytes(self) -> int:
        """Every layer's output for one sample, float32 (views count nothing)."""
        return sum(row.activation_bytes or 0 for row in self.layers)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of `dlstudio summary --json` (shapes as lists)."""
        return {
            "layers": [{"name": row.name, "type": row.type,
                        "output_shape": _listed(row.output_shape), "params": row.params,
                        "macs": row.macs, "activation_bytes": row.activation_bytes}
                       for row in self.layers],
            "total_params": self.total_params,
            "trainable_params": self.trainable_params,
            "total_macs": self.total_macs,
            "activation_bytes": self.activation_bytes,
            "input_shape": _listed(self.input_shape),
            "output_shape": _listed(self.output_shape),
        }

    def format_table(self) -> str:
        """A plain-text table with totals, for terminals and logs."""
        header = ("Layer (type)", "Output shape", "Params", "MACs", "Memory", "")
        body = [(f"{row.name} ({row.type})", format_shape(row.output_shape), _count(row.params),
                 _human(row.macs, format_quantity), _human(row.activation_bytes, format_size),
                 "" if row.trainable or not row.params else "frozen")
                for row in self.layers]
        widths = [max(len(line[i]) for line in [header, *body]) for i in range(5)]
        width = sum(widths) + 8 + (len("  frozen") if any(cells[5] for cells in body) else 0)

        def line(cells: tuple[str, ...]) -> str:
            return (f"{cells[0]:<{widths[0]}}  {cells[1]:<{widths[1]}}  "
                    f"{cells[2]:>{widths[2]}}  {cells[3]:>{widths[3]}}  "
                    f"{cells[4]:>{widths[4]}}  {cells[5]}").rstrip()

        rows = [line(header), "=" * width, *(line(cells) for cells in body), "=" * width,
                f"Total params: {self.total_params:,}",
                f"Trainable params: {self.trainable_params:,}",
                f"Non-trainable params: {self.non_trainable_params:,}",
                f"MACs (multiply-adds) per sample: {format_quantity(self.total_macs)} "
                f"({self.total_macs:,})",
                f"Activation memory per sample: {format_size(self.activation_bytes)}",
                f"Input shape: {format_shape(self.input_shape)}    "
                f"Output shape: {format_shape(self.output_shape)}"]
        rows += [f"{p.severity}: {p.message}" for p in self.problems]
        return "\n".join(rows)


def summarize(graph: Graph, report: ShapeReport | None = None) -> ModelSummary:
    """Rows in topological order (the order data flows), with the graph's problems;
    `report`: the graph's shapes when the caller has inferred them already."""
    report = report if report is not None else infer_shapes(graph)
    summary = ModelSummary(problems=list(report.problems))
    for node_id in report.order:
        node = graph.nodes[node_id]
        inputs = report.input_shapes.get(node_id)
        cost = node_cost(graph, report, node_id)  # None while a shape is unknown
        if cost is not None:
            params: int | None = cost.params
        else:
            params = None if inputs is None else node.spec.count_params(node.params, inputs)
        summary.layers.append(LayerRow(node.name, node.type, report.shapes.get(node_id),
                                       params, bool(node.params.get("trainable", True)),
                                       None if cost is None else cost.macs,
                                       None if cost is None else cost.activation_bytes))
        if node.type == "Input" and summary.input_shape is None:
            summary.input_shape = report.shapes.get(node_id)
        if node.type == "Output" and summary.output_shape is None:
            summary.output_shape = report.shapes.get(node_id)
    return summary


def _listed(shape: Shape | None) -> list[int] | None:
    return None if shape is None else list(shape)


def _count(params: int | None) -> str:
    return "?" if params is None else f"{params:,}"


def _human(count: int | None, words: Callable[[int], str]) -> str:
    return "?" if count is None else words(count)
