"""What every `dlstudio` subcommand shares: the user-error type, exit codes, the
`PROJECT | --template NAME` argument, JSON output and the `Command` record.

Subcommands live in their own modules (`train.py`, ...) and import from here, so
`main.py` only assembles them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from dlstudio.cli.safe_text import shown
from dlstudio.graph.model import Graph
from dlstudio.graph.templates import UnknownTemplateError, build_template

if TYPE_CHECKING:  # torch loads only when weights are asked for
    from dlstudio.weights import WeightMatch

EXIT_OK = 0
EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl+C


def interrupted_line(command: str = "dlstudio") -> str:
    """The one line Ctrl+C leaves on stderr (the command line and `python -m dlstudio`)."""
    return f"{command}: interrupted"


class UserError(Exception):
    """Bad input from the user: reported in one line on stderr, exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse that reports usage mistakes in one line, like every other user error."""

    _given: Sequence[str] = ()

    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None) -> Any:
        self._given = list(args) if args is not None else sys.argv[1:]
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        names = [arg.partition("=")[0] for arg in self._given if arg.startswith("--")]
        unknown = [name for name in names  # (a known flag's abbreviation is known)
                   if not any(known.startswith(name) for known in self._option_string_actions)]
        if unknown and message.startswith("argument project: not allowed"):
            # argparse read the unknown flag's value as PROJECT: name the flag instead
            message = f"unrecognized arguments: {' '.join(unknown)}"
        self.exit(EXIT_USER_ERROR,
                  f"{self.prog}: error: {shown(message)} (see {self.prog} --help)\n")


# ----- shared argument groups ------------------------------------------------------------
def add_graph_source(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """`PROJECT | --template NAME`: where the network comes from (summary, train, export).
    Not `required` where something else can name it (`train --resume RUN_DIR`)."""
    source = parser.add_mutually_exclusive_group(required=required)
    source.add_argument("project", nargs="?", type=Path, help="a .dlstudio project file")
    source.add_argument("--template", metavar="NAME",
                        help="a built-in template (see `dlstudio templates`)")


def load_graph(args: argparse.Namespace) -> tuple[Graph, str]:
    """The graph named on the command line and a label for messages."""
    graph, label, _ = load_graph_and_training(args)
    return graph, label


def load_graph_and_training(args: argparse.Namespace
                            ) -> tuple[Graph, str, dict[str, Any] | None]:
    """`load_graph` plus the project's training settings (None for a template), so a
    command that needs both reads a big project file once."""
    if args.template is not None:
        try:
            return build_template(args.template), f"template {args.template!r}", None
        except UnknownTemplateError as error:
            raise UserError(str(error)) from None
    path: Path = args.project
    if not path.is_file():
        raise UserError(f"no project file at {path}")
    from dlstudio.graph.project import ProjectError, load_project  # only when needed

    try:
        project = load_project(path)
    except ProjectError as error:  # its message names the file and the field
        raise UserError(str(error)) from None
    return project.graph, str(path), project.training


def add_run_device(parser: argparse.ArgumentParser) -> None:
    """`--device` for commands that only run a model (predict, evaluate): the CPU unless
    asked, since one pass rarely pays for starting a GPU."""
    parser.add_argument("--device", default="cpu", metavar="auto|cpu|cuda|mps",
                        help="where to run the model (default cpu)")


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


# ----- starting weights (--weights FILE, --pretrained, --freeze-until) -----------------------
def add_weights_flags(parser: argparse.ArgumentParser) -> None:
    """`--weights FILE | --pretrained`: what the network's weights start as."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--weights", type=Path, metavar="FILE",
                       help="load a state_dict (.pt, .pth, .safetensors, or a DL Studio "
                            "checkpoint's weights), matched to the layers by name or "
                            "by structure")
    group.add_argument("--pretrained", action="store_true",
                       help="start from the published ImageNet weights of the template "
                            "(vgg16, vgg16-transfer, resnet18; downloaded once)")


def add_freeze_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--freeze-until", metavar="NODE",
                        help="freeze NODE and every layer before it; the rest train "
                             "(e.g. block4_pool)")


def weights_source(args: argparse.Namespace) -> str | None:
    """The weights the flags name: an absolute file path or "pretrained:NAME"."""
    if getattr(args, "pretrained", False):
        from dlstudio.weights import PREFIX, PRETRAINED

        if args.template is None:
            raise UserError("--pretrained needs --template NAME (" + ", ".join(PRETRAINED)
                            + "); for a project give --weights FILE")
        if args.template not in PRETRAINED:
            raise UserError(f"--pretrained: template {args.template!r} has no published "
                            f"weights; these do: {', '.join(PRETRAINED)}")
        return PREFIX + args.template
    weights: Path | None = getattr(args, "weights", None)
    if weights is None:
        return None
    if not weights.is_file():
        raise UserError(f"--weights: no file at {weights}")
    return str(weights.resolve())


def fetch_weights(source: str) -> None:
    """Download published weights now, with progress on stderr, so that what follows
    reads them from the cache."""
    from dlstudio.weights import PREFIX, WeightsError, cached_path, fetch_pretrained

    if not source.startswith(PREFIX) or cached_path(source[len(PREFIX):]).is_file():
        return
    name = source[len(PREFIX):]
    print(f"downloading the {name} weights (once) to {cached_path(name).parent}",
          file=sys.stderr, flush=True)
    bar = ProgressBar(sys.stderr)
    try:
        fetch_pretrained(name, bar)
    except WeightsError as error:
        bar.end(None)
        raise UserError(str(error)) from None
    bar.end(cached_path(name))


class ProgressBar:
    """`[#####     ]  52% 274/528 MB` on one line of a terminal, redrawn at each percent.
    Into a file or a pipe (a log) it draws nothing: the caller's start line and `end`'s
    line are all, not a hundred carriage returns."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._live = stream.isatty()
        self._shown = -1
        self._done = 0

    def __call__(self, done: int, total: int) -> None:
        self._done = done
        if not self._live:
            return
        if total <= 0:
            self._draw(f"{done / 1e6:,.0f} MB")
            return
        percent = done * 100 // total
        if percent == self._shown:
            return
        self._shown = percent
        bar = "#" * (percent // 4)
        self._draw(f"[{bar:<25}] {percent:3d}% {done / 1e6:,.0f}/{total / 1e6:,.0f} MB")

    def end(self, path: Path | None) -> None:
        """Close the bar's line; say where the file went (None: it failed, and the
        error that follows says why)."""
        if self._live:
            print(file=self._stream)
        if path is not None:
            print(f"downloaded {self._done / 1e6:,.1f} MB to {path}", file=self._stream,
                  flush=True)

    def _draw(self, text: str) -> None:
        print(f"\r{text}", end="", file=self._stream, flush=True)


def match_weights_to(graph: Graph, source: str, base_dir: Path | None = None
                     ) -> WeightMatch:
    """Read the weights `source` names and match them to `graph`: a WeightMatch, or a
    UserError naming the file and tensor."""
    from dlstudio.weights import WeightsError, describe_source, match_weights, resolve_weights

    fetch_weights(source)
    try:
        return match_weights(graph, resolve_weights(source, base_dir),
                             source=describe_source(source))
    except WeightsError as error:
        raise UserError(str(error)) from None


def freeze_until(graph: Graph, node_name: str | None) -> None:
    """Apply `--freeze-until NODE` to `graph` (the graph rule in graph/freeze.py)."""
    if node_name is None:
        return
    from dlstudio.graph.errors import GraphError
    from dlstudio.graph.freeze import apply_changes, freeze_until_name

    try:
        apply_changes(graph, freeze_until_name(graph, node_name))
    except GraphError as error:
        raise UserError(str(error)) from None
