"""`dlstudio train`: train a project or template from the terminal.

Progress goes to stderr, one line per epoch; `--json` prints the run's result as one
object on stdout. Ctrl+C stops after the current batch, keeps the last checkpoint and
exits 130. Under `torchrun` every rank trains its share and only rank 0 prints.
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
from typing import TYPE_CHECKING

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
from dlstudio.graph.model import Graph

if TYPE_CHECKING:  # torch loads only when a run starts, so other commands stay quick
    from dlstudio.train import EpochStats, RunResult, Trainer, TrainSettings

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl+C


def _add_train(parser: argparse.ArgumentParser) -> None:
    add_graph_source(parser)
    parser.add_argument("--data", metavar="SPEC",
                        help="builtin:NAME, idx:DIR, csv:FILE[:TARGET_COLUMN] or folder:DIR "
                             "(default: the project's dataset, or the template's own)")
    parser.add_argument("--epochs", type=int, metavar="N")
    parser.add_argument("--batch-size", type=int, metavar="N")
    parser.add_argument("--lr", type=float, metavar="X", help="learning rate")
    parser.add_argument("--device", metavar="auto|cpu|cuda|mps",
                        help="where to train (default auto: CUDA, then MPS, then the CPU)")
    parser.add_argument("--seed", type=int, metavar="N",
                        help="seeds the split, the initial weights and the shuffles")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="where checkpoints go (default runs/NAME-DATE-TIME)")
    add_weights_flags(parser)
    add_freeze_flag(parser)
    parser.add_argument("--normalisation", metavar="auto|imagenet",
                        help="auto: measured from the data; imagenet: ImageNet's mean and "
                             "std (the default with --pretrained)")
    add_json_flag(parser)


def _run_train(args: argparse.Namespace) -> int:
    from dlstudio.compile import CompileError
    from dlstudio.data import DataError
    from dlstudio.train import TrainingError, TrainSettingsError
    from dlstudio.train.distributed import DistributedError

    main_rank = os.environ.get("RANK", "0") == "0"
    try:
        graph, name, settings = _source(args)
        fetch_weights(settings.weights)
        base_dir = args.project.parent if args.project is not None else None
        trainer = _build_trainer(graph, settings, args.out or _default_out(name), base_dir)
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

    graph, _ = load_graph(args)
    freeze_until(graph, args.freeze_until)
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
    weights = weights_source(args)
    flags = {"data": args.data, "epochs": args.epochs, "batch_size": args.batch_size,
             "lr": args.lr, "device": args.device, "seed": args.seed, "weights": weights,
             "normalisation": args.normalisation or ("imagenet" if args.pretrained else None)}
    base.update({key: value for key, value in flags.items() if value is not None})
    if not base.get("data"):
        raise UserError(f"{args.project} names no dataset: pass --data SPEC "
                        "(builtin:NAME, idx:DIR, csv:FILE[:TARGET_COLUMN] or folder:DIR)")
    return graph, name, TrainSettings.from_dict(base)


def _build_trainer(graph: Graph, settings: TrainSettings, out_dir: Path,
                   base_dir: Path | None) -> Trainer:
    from dlstudio.data import load_data
    from dlstudio.train import Trainer

    image_size, channels = _image_input(graph)
    data = load_data(settings.data, seed=settings.seed, val_fraction=settings.val_fraction,
                     image_size=image_size, channels=channels)
    return Trainer(graph, data, settings, out_dir=out_dir, base_dir=base_dir)


def _image_input(graph: Graph) -> tuple[tuple[int, int] | None, int | None]:
    """Image data is loaded at the size and channels of an image Input (resized per
    batch, as the data layer does for every image set); other data must fit as it is."""
    inputs = graph.nodes_of_type("Input")
    if len(inputs) != 1 or inputs[0].params["kind"] != "image":
        return None, None
    shape = tuple(inputs[0].params["shape"])
    if len(shape) != 3 or shape[0] not in (1, 3):
        return None, None
    return (shape[1], shape[2]), shape[0]


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
_SHOWN = {"loss": "loss", "accuracy": "acc", "mae": "mae", "r2": "r2"}


def _metrics(values: dict[str, float]) -> str:
    return " ".join(f"{short} {values[key]:.4f}" for key, short in _SHOWN.items()
                    if key in values)


def _print_epoch(stats: EpochStats) -> None:
    width = len(str(stats.epochs))
    line = f"epoch {stats.epoch:>{width}}/{stats.epochs}  train {_metrics(stats.train)}"
    if stats.val:
        line += f"  |  val {_metrics(stats.val)}"
    line += f"  |  {stats.seconds:.1f}s, {stats.samples_per_second:,.0f} samples/s"
    print(line, file=sys.stderr, flush=True)


def _print_log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _report(result: RunResult, trainer: Trainer, *, as_json: bool) -> None:
    if as_json:
        data = result.to_dict()
        if trainer.weights_match is not None:
            data["weights"] = trainer.weights_match.to_dict()
        params = list(trainer.model.parameters())
        data["trainable_params"] = sum(p.numel() for p in params if p.requires_grad)
        data["total_params"] = sum(p.numel() for p in params)
        print_json(data)
        return
    state = "stopped" if result.stopped else "done"
    split = "val" if result.history and result.history[-1].val else "train"
    final = f"{split} {_metrics(result.final)}" if result.final else "no epoch finished"
    print(f"{state} in {result.seconds:.1f}s on {result.device}: {final}; "
          f"checkpoint {result.checkpoint}")


COMMAND = Command("train", "train a network on a dataset and save checkpoints",
                  _add_train, _run_train)
