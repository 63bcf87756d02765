"""The `dlstudio` command line: the same core as the app, for scripts and terminals.

One small function per subcommand (`_add_<name>` declares its arguments, `_run_<name>`
does the work); new subcommands register in `COMMANDS`. User mistakes raise `UserError`
and end with exit code 2 and one line on stderr, never a traceback. With `--json`,
stdout carries exactly one JSON object.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from dlstudio.cli import download, evaluate, export, import_model, lr_find, predict, train
from dlstudio.cli.safe_text import shown
from dlstudio.cli.support import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USER_ERROR,
    Command,
    Parser,
    UserError,
    add_freeze_flag,
    add_graph_source,
    add_json_flag,
    add_weights_flags,
    freeze_until,
    interrupted_line,
    load_graph_and_training,
    match_weights_to,
    print_json,
    weights_source,
)
from dlstudio.graph.inference import infer_shapes
from dlstudio.graph.summary import summarize
from dlstudio.graph.templates import build_template, template_info, template_names


# ----- dlstudio templates ----------------------------------------------------------------
def _add_templates(parser: argparse.ArgumentParser) -> None:
    add_json_flag(parser)


def _run_templates(args: argparse.Namespace) -> int:
    rows = []
    for name in template_names():
        info = template_info(name)
        summary = summarize(build_template(name))
        rows.append({"name": name, "title": info.title, "category": info.category,
                     "description": info.description, "total_params": summary.total_params})
    if args.json:
        print_json({"templates": rows})
        return EXIT_OK
    width = max(len(row["name"]) for row in rows)
    for row in rows:
        print(f"{row['name']:<{width}}  {row['total_params']:>12,}  {row['description']}")
    return EXIT_OK


# ----- dlstudio summary ------------------------------------------------------------------
def _add_summary(parser: argparse.ArgumentParser) -> None:
    add_graph_source(parser)
    add_weights_flags(parser)
    add_freeze_flag(parser)
    add_json_flag(parser)


def _run_summary(args: argparse.Namespace) -> int:
    """The table; with --weights or --pretrained also the load report (`weights` in
    --json); --freeze-until shows the trainable count it leaves."""
    graph, label, training = load_graph_and_training(args)
    freeze_until(graph, args.freeze_until)
    shapes = infer_shapes(graph)  # once, for the table and the memory line
    summary = summarize(graph, shapes)
    errors = [p.message for p in summary.problems if p.severity == "error"]
    if errors:
        raise UserError(f"{label} has {len(errors)} problem(s): " + "; ".join(errors))
    source = weights_source(args)
    match = match_weights_to(graph, source) if source else None
    memory, memory_warning = train.summary_memory(args, graph, training, shapes)
    if memory_warning:
        print(memory_warning, file=sys.stderr)
    if args.json:
        data = summary.to_dict()
        data["memory"] = memory.to_dict()
        if match is not None:
            data["weights"] = match.to_dict()
        print_json(data)
    else:
        print(summary.format_table())
        print(memory.line())
        if match is not None:
            print()
            print(match.format_report())
    return EXIT_OK


# ----- entry point -----------------------------------------------------------------------
COMMANDS: tuple[Command, ...] = (
    Command("templates", "list the built-in templates", _add_templates, _run_templates),
    Command("summary", "layers, output shapes, parameters, multiply-adds and memory",
            _add_summary, _run_summary),
    train.COMMAND,
    export.COMMAND,
    predict.COMMAND,
    evaluate.COMMAND,
    import_model.COMMAND,
    download.COMMAND,
    lr_find.COMMAND,
)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="dlstudio",
                     description="Design, train and ship neural networks (command line).")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                       parser_class=Parser)
    for command in COMMANDS:
        sub = subparsers.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (argparse's own exits included).
    Ctrl+C anywhere ends with one line and exit code 130, as shells expect."""
    command = "dlstudio"
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as stop:  # --help (0) or a usage mistake (2), already printed
            return int(stop.code or 0)
        command = f"dlstudio {args.command}"
        return args.run(args)
    except UserError as error:
        message = " ".join(str(error).split())  # one line, whatever the message holds
        print(f"{command}: error: {shown(message)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:  # what was being written cleans up on the way out
        print(interrupted_line(command), file=sys.stderr)
        return EXIT_INTERRUPTED
