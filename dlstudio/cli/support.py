"""What every `dlstudio` subcommand shares: the user-error type, exit codes, the
`PROJECT | --template NAME` argument, JSON output and the `Command` record.

Subcommands live in their own modules (`train.py`, ...) and import from here, so
`main.py` only assembles them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from dlstudio.graph.model import Graph
from dlstudio.graph.templates import UnknownTemplateError, build_template

EXIT_OK = 0
EXIT_USER_ERROR = 2


class UserError(Exception):
    """Bad input from the user: reported in one line on stderr, exit code 2."""


class Parser(argparse.ArgumentParser):
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


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
