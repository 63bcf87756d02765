"""`dlstudio train`: train a project or template from the terminal.

Progress goes to stderr, one line per epoch; `--json` prints the run's result as one
object on stdout. Ctrl+C stops after the current batch, keeps the last checkpoint and
exits 130. Under `torchrun` every rank trains its share and only rank 0 prints. `--resume RUN_DIR`
continues a run from its last.pt into the same folder. When the data has a test split
(`--test-fraction`, or the data's own test set) the final weights are measured on it
once at the end, printed as evaluate prints them.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from dlstudio.cli.evaluate import format_test, test_dict
from dlstudio.cli.folds import add_folds_flag, run_folds
from dlstudio.cli.safe_text import shown, shown_lines
from dlstudio.cli.support import (
    EXIT_OK,
    Command,
    UserError,
    add_freeze_flag,
    add_graph_source,
    add_json_flag,
    add_weights_flags,
    fetch_weights,
    freeze_until,
    load_graph,
    print_json,
    weights_source,
)
from dlstudio.cli.train_flags import (
    add_dry_run_flag,
    add_setting_flags,
    resumed_settings,
    setting_flags,
    settings_with,
)
from dlstudio.graph.model import Graph

if TYPE_CHECKING:  # torch loads only when a run starts, so other commands stay quick
    from dlstudio.graph.inference import ShapeReport
    from dlstudio.train import EpochStats, RunResult, Trainer, TrainSettings
    from dlstudio.train.memory import MemoryEstimate

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl+C


def _add_train(parser: argparse.ArgumentParser) -> None:
    add_graph_source(parser, required=False)  # --resume can name the run instead
    parser.add_argument("--resume", type=Path, metavar="RUN_DIR",
                        help="continue the run in RUN_DIR (its last.pt: graph, settings, "
                             "weights, optimizer and schedule) into the same folder, to "
                             "the new --epochs total")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="where checkpoints go (default runs/NAME-DATE-TIME)")
    add_weights_flags(parser)
    add_freeze_flag(parser)
    add_json_flag(parser)
    add_folds_flag(parser)
    add_setting_flags(parser)
    add_dry_run_flag(parser)


def _run_train(args: argparse.Namespace) -> int:
    from dlstudio.compile import CompileError
    from dlstudio.data import DataError
    from dlstudio.train import TrainingError, TrainSettingsError
    from dlstudio.train.distributed import DistributedError

    if args.dry_run:  # the pre-flight plan only (cli/dry_run.py)
        from dlstudio.cli.dry_run import run_dry_run

        return run_dry_run(args)
    if args.folds is not None:
        return run_folds(args)
    main_rank = os.environ.get("RANK", "0") == "0"
    try:
        if args.resume is not None:
            graph, settings = _resumed(args)
            trainer = _build_trainer(graph, settings, args.resume, None,
                                     resume_from=args.resume / "last.pt")
        else:
            graph, name, settings = _source(args)
            fetch_weights(settings.weights)
            base_dir = args.project.parent if args.project is not None else None
            trainer = _build_trainer(graph, settings, args.out or _default_out(name),
                                     base_dir)
        if main_rank:
            trainer.events.epoch_ended.connect(_print_epoch)
            trainer.events.log.connect(_print_log)
        with _stop_on_interrupt(trainer):
            result = trainer.run()
    except (CompileError, DataError, DistributedError, TrainSettingsError,
            TrainingError) as error:
        raise UserError(str(error)) from None
    if main_rank:
        _report(result, trainer, as_json=args.json)
    return EXIT_INTERRUPTED if result.stopped else EXIT_OK


# ----- what to train, on what, how ---------------------------------------------------------
def _source(args: argparse.Namespace) -> tuple[Graph, str, TrainSettings]:
    """The graph, a name for the run folder, and the settings with the flags applied."""
    from dlstudio.train import TrainSettings, defaults_for_template

    if args.project is None and args.template is None:
        raise UserError("give a PROJECT file, --template NAME or --resume RUN_DIR")
    graph, _ = load_graph(args)
    freeze_until(graph, args.freeze_until)
    _refuse_problems(graph, args)
    if args.template is not None:
        name, base = args.template, defaults_for_template(args.template).to_dict()
    else:
        from dlstudio.graph.project import load_project

        project = load_project(args.project)  # load_graph has checked it already
        name = args.project.stem
        base = {**TrainSettings().to_dict(), **project.training}
        spec = project.dataset.get("spec")
        if isinstance(spec, str) and spec:
            base["data"] = spec
    given = setting_flags(args)
    weights = weights_source(args)
    if weights is not None:
        given["weights"] = weights
    if args.pretrained:
        given.setdefault("normalisation", "imagenet")
    if not given.get("data", base.get("data")):
        from dlstudio.data import SPEC_FORMS

        raise UserError(f"{args.project} names no dataset: pass --data SPEC ({SPEC_FORMS})")
    return graph, name, settings_with(base, given)


def _refuse_problems(graph: Graph, args: argparse.Namespace) -> None:
    """A graph with errors, in one line naming the file and each node (as `summary`
    says it), before any data is read: the compiler's message spans lines."""
    from dlstudio.graph import infer_shapes

    errors = [p.message for p in infer_shapes(graph).problems if p.severity == "error"]
    if errors:
        label = args.project if args.project is not None else args.template
        raise UserError(f"{label} has {len(errors)} problem(s): " + "; ".join(errors))


def _resumed(args: argparse.Namespace) -> tuple[Graph, TrainSettings]:
    """The graph and settings of the run in `--resume RUN_DIR`, with the flags a resume
    allows; flags that would make it another run are refused."""
    from dlstudio.train import CheckpointError, load_checkpoint
    from dlstudio.train.preflight import graph_for

    last = args.resume / "last.pt"
    if not last.is_file():
        raise UserError(f"--resume: no last.pt in {args.resume}")
    try:
        checkpoint = load_checkpoint(last)
    except CheckpointError as error:
        raise UserError(f"--resume: {error}") from None
    for given, name in ((args.weights or args.pretrained, "--weights/--pretrained"),
                        (args.freeze_until, "--freeze-until"),
                        (args.out and args.out.resolve() != args.resume.resolve(), "--out")):
        if given:
            raise UserError(f"{name}: cannot change on --resume (the run continues in "
                            f"{args.resume} with its own weights); start a new run instead")
    if args.project is not None or args.template is not None:
        graph, label = load_graph(args)
        if graph_for(graph, checkpoint.settings).to_dict() != checkpoint.graph.to_dict():
            raise UserError(f"--resume: {label} is not the graph of the run in "
                            f"{args.resume}; leave it out to continue the run's own graph")
    settings = resumed_settings(checkpoint.settings, setting_flags(args), checkpoint.epoch)
    return checkpoint.graph, settings


def _build_trainer(graph: Graph, settings: TrainSettings, out_dir: Path,
                   base_dir: Path | None, resume_from: Path | None = None) -> Trainer:
    from dlstudio.train import Trainer
    from dlstudio.train.preflight import load_training_data

    return Trainer(graph, load_training_data(graph, settings), settings, out_dir=out_dir,
                   resume_from=resume_from, base_dir=base_dir)


def summary_memory(args: argparse.Namespace, graph: Graph, training: dict[str, Any] | None,
                   shapes: ShapeReport | None = None) -> tuple[MemoryEstimate, str | None]:
    """For `dlstudio summary`: the memory one batch needs at the batch size, optimizer
    and device that `train` would use (the template's settings, or the project's
    `training`, read with its graph), and a warning line when that is more than is free
    (train refuses such a run)."""
    from dlstudio.train import TrainingError, TrainSettings, TrainSettingsError
    from dlstudio.train.devices import resolve_device
    from dlstudio.train.memory import estimate_for, memory_limit, over_limit

    settings = TrainSettings()
    try:
        if args.template is not None:
            from dlstudio.train import defaults_for_template

            settings = defaults_for_template(args.template)
        elif training is not None:
            settings = TrainSettings.from_dict({**settings.to_dict(), **training})
    except (KeyError, TrainSettingsError):
        pass  # the defaults: train reports the project's bad setting itself
    try:
        device = str(resolve_device(settings.device))
    except TrainingError:
        device = "cpu"
    estimate = estimate_for(graph, settings, shapes)
    problem = over_limit(estimate, *memory_limit(settings, device))
    return estimate, None if problem is None else f"warning: {problem} (train would refuse it)"


def _default_out(name: str) -> Path:
    return Path("runs") / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"


# ----- Ctrl+C ------------------------------------------------------------------------------
@contextmanager
def _stop_on_interrupt(trainer: Trainer) -> Iterator[None]:
    """The first Ctrl+C asks the trainer to stop after its batch (it keeps the last
    checkpoint); a second one interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGINT, previous)
        print("stopping after this batch (Ctrl+C again to abort)", file=sys.stderr)
        trainer.stop()

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# ----- output ------------------------------------------------------------------------------
# The per-epoch line shows these (when present); --json and the checkpoint hold them all.
_SHOWN = {"loss": "loss", "accuracy": "acc", "precision": "prec", "recall": "rec",
          "f1": "f1", "mae": "mae", "r2": "r2"}


def _metrics(values: dict[str, float]) -> str:
    return " ".join(f"{short} {values[key]:.4f}" for key, short in _SHOWN.items()
                    if key in values)


def _print_epoch(stats: EpochStats) -> None:
    width = len(str(stats.epochs))
    line = f"epoch {stats.epoch:>{width}}/{stats.epochs}  train {_metrics(stats.train)}"
    if stats.val:
        line += f"  |  val {_metrics(stats.val)}"
    line += f"  |  {stats.seconds:.1f}s, {stats.samples_per_second:,.0f} samples/s"
    if stats.warning:  # once per run: the first epoch far above where the loss began
        line += f"  |  warning: {stats.warning}"
    print(line, file=sys.stderr, flush=True)
    from dlstudio.train.health import new_signs

    for sign in new_signs(stats):  # each health sign once, under the epoch it appeared at
        print(f"  warning: {shown(sign.line())}", file=sys.stderr, flush=True)


def _print_log(message: str) -> None:
    print(shown_lines(message), file=sys.stderr, flush=True)  # names a data file's text


def _report(result: RunResult, trainer: Trainer, *, as_json: bool) -> None:
    if as_json:
        data = result.to_dict()
        if trainer.weights_match is not None:
            data["weights"] = trainer.weights_match.to_dict()
        params = list(trainer.model.parameters())
        data["trainable_params"] = sum(p.numel() for p in params if p.requires_grad)
        data["total_params"] = sum(p.numel() for p in params)
        if result.test is not None:
            data["test"] = test_dict(result.test, trainer.data.info.class_names)
        print_json(data)
        return
    state = "stopped" if result.stopped else "done"
    split = "val" if result.history and result.history[-1].val else "train"
    final = f"{split} {_metrics(result.final)}" if result.final else "no epoch finished"
    print(f"{state} in {result.seconds:.1f}s on {result.device}: {final}; "
          f"checkpoint {shown(result.checkpoint)}")
    if result.test is not None:
        print(format_test(result.test, trainer.data.info.class_names))


COMMAND = Command("train", "train a network on a dataset and save checkpoints",
                  _add_train, _run_train)
