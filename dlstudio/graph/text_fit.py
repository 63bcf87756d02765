"""How text data takes the shape a graph asks for (no torch: the checks share it).

Text is a stream of characters, so its samples can be cut to fit the model instead of
the model being fitted to them: the Input's length is the window, a `tokens` Input takes
character ids and a `sequence` Input of one feature per character takes one-hot vectors,
and an Output with a time axis (T, C) gets the next character at every step. The data
side (`dlstudio.data.textfile`) builds the samples; the design checks use the same
decision, so what the canvas accepts is what trains.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from dlstudio.graph.inference import ShapeReport, infer_shapes
from dlstudio.graph.model import Graph
from dlstudio.graph.shape_text import Shape

if TYPE_CHECKING:
    from dlstudio.graph.data_checks import DataFacts

DEFAULT_WINDOW = 40


@dataclass(frozen=True)
class TextLayout:
    """Text samples: `window` characters in, as ids or as one-hot vectors; the target is
    the next character, or (`per_step`) the next character after every step."""

    window: int = DEFAULT_WINDOW
    one_hot: bool = False
    per_step: bool = False

    def input_kind(self) -> str:
        return "sequence" if self.one_hot else "tokens"

    def input_shape(self, vocab: int) -> Shape:
        return (self.window, vocab) if self.one_hot else (self.window,)

    def target_shape(self) -> Shape:
        return (self.window,) if self.per_step else ()


def text_layout(graph: Graph, vocab: int, report: ShapeReport | None = None
                ) -> TextLayout | None:
    """The layout `graph` asks of text with `vocab` characters, or None when its Input
    cannot take text (the checks then say why)."""
    inputs = graph.nodes_of_type("Input")
    if len(inputs) != 1:
        return None
    kind, shape = inputs[0].params["kind"], tuple(inputs[0].params["shape"])
    if kind == "tokens" and len(shape) == 1:
        one_hot = False
    elif kind == "sequence" and len(shape) == 2 and shape[1] == vocab:
        one_hot = True
    else:
        return None
    window = int(shape[0])
    outputs = graph.nodes_of_type("Output")
    per_step = False
    if len(outputs) == 1:
        report = report if report is not None else infer_shapes(graph)
        shapes = report.input_shapes.get(outputs[0].id)
        per_step = bool(shapes) and len(shapes[0]) == 2 and shapes[0][0] == window
    return TextLayout(window, one_hot, per_step)


def fitted_facts(facts: DataFacts, layout: TextLayout) -> DataFacts:
    """The facts of text data once it is cut as `layout` says."""
    return replace(facts, input_kind=layout.input_kind(),
                   input_shape=layout.input_shape(facts.classes),
                   target_shape=layout.target_shape())
