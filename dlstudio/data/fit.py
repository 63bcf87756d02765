"""Does the data fit the graph? Checked before training, so a mismatch is a sentence
naming both shapes, not a matrix-size error from deep inside torch.

The sentences come from `dlstudio.graph.data_checks`, which also marks the same problems
on the canvas while designing: what Train refuses is what the Problems panel showed.
"""

from __future__ import annotations

from dlstudio.data.errors import DataError
from dlstudio.data.info import DataInfo
from dlstudio.data.textfile import is_text_source
from dlstudio.graph.data_checks import (
    DataFacts,
    check_against_data,
    input_problem,
    target_problem,
)
from dlstudio.graph.model import Graph
from dlstudio.graph.shape_text import Shape


def facts_of(info: DataInfo, any_image_size: bool = False) -> DataFacts:
    """The facts the design checks need; `any_image_size` when images are loaded at the
    Input's size and channels."""
    return DataFacts(
        name=info.name, input_kind=info.kind, input_shape=tuple(info.input_shape),
        classes=info.num_classes if info.task == "classification" else 0,
        target_shape=tuple(info.target_shape), any_image_size=any_image_size,
        reconstruction=info.reconstruction, text=is_text_source(info.source))


def check_fits(info: DataInfo, input_shape: Shape, *, input_name: str = "input",
               input_kind: str | None = None) -> None:
    """Raise DataError unless samples of `info` fit an Input of `input_shape` (and of
    `input_kind`, when given: token ids only go into a tokens Input and back)."""
    problem = input_problem(facts_of(info), input_shape, input_kind, f'Input "{input_name}"')
    if problem:
        raise DataError(problem)


def check_targets(info: DataInfo, output_shape: Shape, loss: str, *,
                  output_name: str = "output") -> None:
    """Raise DataError unless the data's targets suit the Output's loss and shape."""
    problem = target_problem(facts_of(info), output_shape, loss, f'Output "{output_name}"')
    if problem:
        raise DataError(problem)


def check_graph(info: DataInfo, graph: Graph) -> None:
    """Both checks against a graph's single Input and its Output. The target check is
    skipped when the graph's own shape errors leave the Output without a shape: those
    are reported by the compiler, naming the node."""
    inputs = graph.nodes_of_type("Input")
    if len(inputs) != 1:
        raise DataError(f"a dataset feeds one Input but the graph has {len(inputs)}")
    problems = check_against_data(graph, facts_of(info))
    if problems:
        raise DataError(problems[0].message)
