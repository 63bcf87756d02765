"""`dlstudio lr-find`: the learning-rate range test from the terminal.

Builds the network and optimizer as `dlstudio train` would (the template's or project's
settings, `--data`, `--batch-size` and `--seed` applied), runs the range test
(train/lr_finder.py) and prints a small table of rate against smoothed loss and the
suggested rate. Nothing is saved: the weights the test moved are thrown away.
"""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING

from dlstudio.cli.safe_text import shown
from dlstudio.cli.support import (
    EXIT_OK,
    Command,
    UserError,
    add_graph_source,
    add_json_flag,
    load_graph_and_training,
    print_json,
)

if TYPE_CHECKING:
    from dlstudio.graph.model import Graph
    from dlstudio.train import TrainSettings
    from dlstudio.train.lr_finder import LrFindResult

TABLE_ROWS = 10


def _add(parser: argparse.ArgumentParser) -> None:
    from dlstudio.train.lr_finder import DEFAULT_BATCHES, DEFAULT_END_LR, DEFAULT_START_LR

    add_graph_source(parser)
    parser.add_argument("--data", metavar="SPEC",
                        help="the data to run on (default: the project's or template's)")
    parser.add_argument("--batches", type=int, default=DEFAULT_BATCHES, metavar="N",
                        help=f"most batches to run (default {DEFAULT_BATCHES}; the data "
                             "is cycled)")
    parser.add_argument("--start-lr", type=float, default=DEFAULT_START_LR, metavar="RATE",
                        help=f"the first rate (default {DEFAULT_START_LR:g})")
    parser.add_argument("--end-lr", type=float, default=DEFAULT_END_LR, metavar="RATE",
                        help=f"the last rate (default {DEFAULT_END_LR:g})")
    parser.add_argument("--batch-size", type=int, metavar="N",
                        help="samples per batch (default: the project's or template's; "
                             "the rate that works depends on it)")
    parser.add_argument("--seed", type=int, metavar="N",
                        help="random seed for the weights and the batch order")
    add_json_flag(parser)


def _run(args: argparse.Namespace) -> int:
    from dlstudio.compile import CompileError
    from dlstudio.data import DataError
    from dlstudio.train import TrainingError, TrainSettingsError
    from dlstudio.train.lr_finder import lr_find
    from dlstudio.train.preflight import load_training_data

    _check_flags(args)
    graph, label, settings = _settings(args)
    try:
        data = load_training_data(graph, settings)
        result = lr_find(graph, data, settings, batches=args.batches,
                         start_lr=args.start_lr, end_lr=args.end_lr)
    except (CompileError, DataError, TrainSettingsError, TrainingError, ValueError) as error:
        raise UserError(f"{label}: {error}") from None
    if args.json:
        print_json(result.to_dict())
    else:
        print(shown(label) + ":")
        print(format_result(result))
    return EXIT_OK


def _check_flags(args: argparse.Namespace) -> None:
    """The range flags, each refused under its own name."""
    if args.batches < 2:
        raise UserError(f"--batches must be at least 2, not {args.batches}")
    if not (math.isfinite(args.start_lr) and args.start_lr > 0):
        raise UserError(f"--start-lr must be a positive number, not {args.start_lr:g}")
    if not (math.isfinite(args.end_lr) and args.end_lr > args.start_lr):
        raise UserError(f"--end-lr ({args.end_lr:g}) must be larger than --start-lr "
                        f"({args.start_lr:g})")


def _settings(args: argparse.Namespace) -> tuple[Graph, str, TrainSettings]:
    """The graph, a label, and the settings `train` would use, with --data, --batch-size
    and --seed."""
    from dlstudio.cli.train_flags import settings_with
    from dlstudio.data import SPEC_FORMS
    from dlstudio.train import TrainSettings, defaults_for_template

    graph, label, training = load_graph_and_training(args)
    if args.template is not None:
        try:
            base = defaults_for_template(args.template).to_dict()
        except KeyError as error:
            raise UserError(str(error.args[0])) from None
    else:
        from dlstudio.graph.project import load_project

        base = {**TrainSettings().to_dict(), **(training or {})}
        spec = load_project(args.project).dataset.get("spec")
        if isinstance(spec, str) and spec:
            base["data"] = spec
    given: dict[str, object] = {}
    if args.data is not None:
        given["data"] = args.data
    if args.seed is not None:
        given["seed"] = args.seed
    if args.batch_size is not None:
        given["batch_size"] = args.batch_size
    if not given.get("data", base.get("data")):
        raise UserError(f"{label} names no dataset: pass --data SPEC ({SPEC_FORMS})")
    return graph, label, settings_with(base, given)


def format_result(result: LrFindResult) -> str:
    """About ten rows of rate and smoothed loss, then how the test ended and the rate."""
    count = len(result.rates)
    picks = sorted({round(i * (count - 1) / (TABLE_ROWS - 1)) for i in range(TABLE_ROWS)})
    lines = ["  learning rate   smoothed loss"]
    lines += [f"  {result.rates[i]:>13.2e}   {_number(result.losses[i]):>13}" for i in picks]
    ending = f"stopped after {count} batches: {result.stop_reason}" if result.stopped_early \
        else f"ran {count} batches"
    lines.append(ending)
    lines.append(f"suggested learning rate: {result.suggestion:.1e} ({result.how})")
    lines.append(f"minimum loss at {result.min_rate * 10:.1e}; a tenth of it: "
                 f"{result.min_rate:.1e}")
    return "\n".join(lines)


def _number(value: float) -> str:
    return f"{value:.4f}" if math.isfinite(value) else str(value)


COMMAND = Command("lr-find", "suggest a learning rate with a range test (nothing is saved)",
                  _add, _run)
