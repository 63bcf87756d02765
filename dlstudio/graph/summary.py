"""A model summary like Keras' model.summary(): each layer's output shape and parameters.

Read from the same shape report and catalogue counts as everything else (no torch), so
the canvas, `dlstudio summary` and the compiled model agree on every number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dlstudio.graph.inference import Problem, ShapeReport, infer_shapes
from dlstudio.graph.model import Graph
from dlstudio.graph.shape_text import Shape, format_shape


@dataclass(frozen=True)
class LayerRow:
    """One node. `params` is None while its input shape is unknown (a problem upstream)."""

    name: str
    type: str
    output_shape: Shape | None
    params: int | None
    trainable: bool


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

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of `dlstudio summary --json` (shapes as lists)."""
        return {
            "layers": [{"name": row.name, "type": row.type,
                        "output_shape": _listed(row.output_shape), "params": row.params}
                       for row in self.layers],
            "total_params": self.total_params,
            "trainable_params": self.trainable_params,
            "input_shape": _listed(self.input_shape),
            "output_shape": _listed(self.output_shape),
        }

    def format_table(self) -> str:
        """A plain-text table with totals, for terminals and logs."""
        header = ("Layer (type)", "Output shape", "Params", "")
        body = [(f"{row.name} ({row.type})", format_shape(row.output_shape), _count(row.params),
                 "" if row.trainable or not row.params else "frozen")
                for row in self.layers]
        widths = [max(len(line[i]) for line in [header, *body]) for i in range(3)]
        width = sum(widths) + 4 + (len("  frozen") if any(cells[3] for cells in body) else 0)

        def line(cells: tuple[str, str, str, str]) -> str:
            return (f"{cells[0]:<{widths[0]}}  {cells[1]:<{widths[1]}}  "
                    f"{cells[2]:>{widths[2]}}  {cells[3]}").rstrip()

        rows = [line(header), "=" * width, *(line(cells) for cells in body), "=" * width,
                f"Total params: {self.total_params:,}",
                f"Trainable params: {self.trainable_params:,}",
                f"Non-trainable params: {self.non_trainable_params:,}",
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
        params = None if inputs is None else node.spec.count_params(node.params, inputs)
        summary.layers.append(LayerRow(node.name, node.type, report.shapes.get(node_id),
                                       params, bool(node.params.get("trainable", True))))
        if node.type == "Input" and summary.input_shape is None:
            summary.input_shape = report.shapes.get(node_id)
        if node.type == "Output" and summary.output_shape is None:
            summary.output_shape = report.shapes.get(node_id)
    return summary


def _listed(shape: Shape | None) -> list[int] | None:
    return None if shape is None else list(shape)


def _count(params: int | None) -> str:
    return "?" if params is None else f"{params:,}"
