"""The `dlstudio` command line: the same core as the app, for scripts and terminals.

One small function per subcommand (`_add_<name>` declares its arguments, `_run_<name>`
does the work); new subcommands register in `COMMANDS`. User mistakes raise `UserError`
and end with exit code 2 and one line on stderr, never a traceback. With `--json`,
stdout carries exactly one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from dlstudio.graph.model import Graph
from dlstudio.graph.summary import summarize
from dlstudio.graph.templates import (
    UnknownTemplateError,
    build_template,
    template_info,
    template_names,
)

EXIT_OK = 0
EXIT_USER_ERROR = 2


class UserError(Exception):
    """Bad input from the user: reported in one line on stderr, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage mistakes in one line, like every other user error."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# ----- shared argument groups ------------------------------------------------------------
def add_graph_source(parser: argparse.ArgumentParser) -> None:
    """`PROJECT | --template NAME`: where the network comes from (summary, train, export)."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("project", nargs="?", type=Path, help="a .dlstudio project file")
    source.add_argument("--template", metavar="NAME",
                        help="a built-in template (see `dlstudio templates`)")


def load_graph(args: argparse.Namespace) -> tuple[Graph, str]:
    """The graph named on the command line and a label for messages."""
    if args.template is not None:
        try:
            return build_template(args.template), f"template {args.template!r}"
        except UnknownTemplateError as error:
            raise UserError(str(error)) from None
    path: Path = args.project
    if not path.is_file():
        raise UserError(f"no project file at {path}")
    from dlstudio.graph.project import ProjectError, load_project  # only when needed

    try:
        return load_project(path).graph, str(path)
    except ProjectError as error:  # its message names the file and the field
        raise UserError(str(error)) from None


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object on stdout and nothing else")


def print_json(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


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
    add_json_flag(parser)


def _run_summary(args: argparse.Namespace) -> int:
    graph, label = load_graph(args)
    summary = summarize(graph)
    errors = [p.message for p in summary.problems if p.severity == "error"]
    if errors:
        raise UserError(f"{label} has {len(errors)} problem(s): " + "; ".join(errors))
    if args.json:
        print_json(summary.to_dict())
    else:
        print(summary.format_table())
    return EXIT_OK


# ----- entry point -----------------------------------------------------------------------
@dataclass(frozen=True)
class Command:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: tuple[Command, ...] = (
    Command("templates", "list the built-in templates", _add_templates, _run_templates),
    Command("summary", "layers, output shapes and parameter counts of a network",
            _add_summary, _run_summary),
)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dlstudio",
                     description="Design, train and ship neural networks (command line).")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                       parser_class=_Parser)
    for command in COMMANDS:
        sub = subparsers.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (argparse's own exits included)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help (0) or a usage mistake (2), already printed
        return int(stop.code or 0)
    try:
        return args.run(args)
    except UserError as error:
        message = " ".join(str(error).split())  # one line, whatever the message holds
        print(f"dlstudio {args.command}: error: {message}", file=sys.stderr)
        return EXIT_USER_ERROR
