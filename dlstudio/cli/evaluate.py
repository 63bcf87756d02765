"""`dlstudio evaluate`: how good a trained checkpoint is on a split of its data.

The checkpoint holds its graph, weights, data spec and split seed, so `--checkpoint`
alone is enough: the run's own validation split is drawn again. A PROJECT or --template
given as well must describe the checkpoint's network (a check that the file is the model
the user means), else it is refused with the differences named. The work is done by
`dlstudio.infer.evaluate_checkpoint`, the same code as the app's Evaluate panel.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlstudio.cli.safe_text import shown
from dlstudio.cli.support import (
    EXIT_OK,
    Command,
    UserError,
    add_json_flag,
    add_run_device,
    load_graph,
    print_json,
)

if TYPE_CHECKING:  # torch loads only when an evaluation starts
    from dlstudio.infer import Evaluation
    from dlstudio.infer.evaluate import ClassRow
    from dlstudio.train.events import TestResult

SPLIT_CHOICES = ("val", "test", "all")


def _add_evaluate(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("project", nargs="?", type=Path,
                        help="a .dlstudio project file: checked to be the checkpoint's network")
    source.add_argument("--template", metavar="NAME",
                        help="a built-in template: checked to be the checkpoint's network")
    parser.add_argument("--checkpoint", type=Path, metavar="FILE", required=True,
                        help="a checkpoint written by `dlstudio train` (best.pt, last.pt)")
    parser.add_argument("--data", metavar="SPEC",
                        help="the data to evaluate on (default: the checkpoint's own data)")
    parser.add_argument("--split", choices=SPLIT_CHOICES, default="val",
                        help="val: the run's validation split (default); test: the run's "
                             "test split (its --test-fraction share, or the data's own "
                             "test set); all: every sample")
    add_run_device(parser)
    add_json_flag(parser)


def _run_evaluate(args: argparse.Namespace) -> int:
    from dlstudio.infer import EvaluationError, evaluate_checkpoint

    if not args.checkpoint.is_file():
        raise UserError(f"no checkpoint file at {args.checkpoint}")
    if args.project is not None or args.template is not None:
        _check_same_network(args)
    try:
        result = evaluate_checkpoint(args.checkpoint, args.data, args.split, args.device)
    except EvaluationError as error:
        raise UserError(str(error)) from None
    except RuntimeError:  # torch refuses a string that is no device name at all
        raise UserError(f"--device {args.device!r} is not auto, cpu, cuda, cuda:N or "
                        "mps") from None
    if args.json:
        print_json(result.to_dict())
    else:
        print(format_evaluation(result))
    return EXIT_OK


def _check_same_network(args: argparse.Namespace) -> None:
    """A graph named beside the checkpoint must be its network: evaluating one file while
    believing it is another model would report the wrong model's numbers."""
    from dlstudio.export import graph_differences
    from dlstudio.train.checkpoint import CheckpointError, load_checkpoint

    graph, label = load_graph(args)
    try:
        stored = load_checkpoint(args.checkpoint).graph
    except CheckpointError as error:
        raise UserError(str(error)) from None
    differences = graph_differences(graph, stored, (label, "the checkpoint"))
    if differences:
        raise UserError(f"{label} is not the network in {args.checkpoint} "
                        f"({'; '.join(differences)}): leave out {label} to evaluate the "
                        "checkpoint's own graph")


# ----- the plain-text report --------------------------------------------------------------
def format_evaluation(result: Evaluation) -> str:
    """A heading, the metrics, and for a classifier the per-class table and the
    confusion matrix, each with aligned columns."""
    split = result.split_name if result.split == "all" else f"{result.split_name} split"
    lines = [f"{shown(result.checkpoint)} on {shown(result.data)}, {split}: "
             f"{result.samples:,} samples"]
    width = max(len(name) for name in result.metrics)
    lines += [f"  {name:<{width}}  {_number(value)}" for name, value in result.metrics.items()]
    if not result.per_class:
        return "\n".join(lines)
    lines += class_lines(result.per_class, result.class_names, result.confusion)
    if result.wrong:
        lines += ["", f"{result.wrong:,} of {result.samples:,} predicted wrong"]
    return "\n".join(lines)


def class_lines(per_class: Sequence[ClassRow], class_names: Sequence[str],
                confusion: Sequence[Sequence[int]]) -> list[str]:
    """The per-class table and the confusion matrix (each after a blank line); `train`
    prints its test split with these too."""
    rows = [[shown(r.name), _number(r.precision), _number(r.recall), _number(r.f1),
             str(r.support)] for r in per_class]
    lines = ["", *table_lines(["class", "precision", "recall", "f1", "support"], rows)]
    names = [shown(name) for name in class_names] or [row[0] for row in rows]
    matrix = [[name, *map(str, counts)] for name, counts in zip(names, confusion,
                                                                 strict=True)]
    return lines + ["", "confusion matrix (rows: true class, columns: predicted class)",
                    *table_lines(["true \\ predicted", *names], matrix)]


def format_test(test: TestResult, class_names: Sequence[str]) -> str:
    """`train`'s report of its test split: "test: loss … accuracy …" on one line, then
    a classifier's per-class table and confusion matrix."""
    from dlstudio.infer.evaluate import class_rows

    values = " ".join(f"{name} {_number(value)}" for name, value in test.metrics.items())
    lines = [f"test: {values} ({test.samples:,} samples)"]
    if test.confusion is not None:
        confusion = tuple(tuple(row) for row in test.confusion)
        lines += class_lines(class_rows(confusion, tuple(class_names)), class_names,
                             confusion)
    return "\n".join(lines)


def test_dict(test: TestResult, class_names: Sequence[str]) -> dict[str, Any]:
    """`train --json`'s "test": the TestResult with a classifier's per-class scores, in
    the form `evaluate --json` gives them."""
    from dlstudio.infer.evaluate import class_rows

    data = test.to_dict()
    if test.confusion is not None:
        rows = class_rows(tuple(tuple(row) for row in test.confusion), tuple(class_names))
        data["class_names"] = list(class_names)
        data["per_class"] = [row.to_dict() for row in rows]
    return data


def table_lines(header: list[str], rows: list[list[str]]) -> list[str]:
    """First column left-aligned, the numbers right-aligned under their headers."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first, rest = cells[0], cells[1:]
        return "  " + "  ".join([f"{first:<{widths[0]}}",
                                 *(f"{c:>{w}}" for c, w in zip(rest, widths[1:], strict=True))])

    return [line(header), *(line(row) for row in rows)]


def _number(value: float) -> str:
    """Four decimals; a ratio with nothing to divide (NaN) is shown as a dash."""
    return f"{value:.4f}" if math.isfinite(value) else "-"


COMMAND = Command("evaluate", "loss, metrics, per-class scores and confusion matrix of a "
                  "trained checkpoint on its data", _add_evaluate, _run_evaluate)
