"""`dlstudio train ... --folds K`: k-fold cross-validation from the terminal.

The data (less its test split) is dealt into K parts (dlstudio/train/folds.py); K runs
train a fresh model from the same seed, each validating on another part, into
OUT/fold-1 ... OUT/fold-K (each a whole run folder: checkpoints, history). At the end a
table gives each fold's final validation metrics with their mean and standard
deviation; `--json` prints the same as one object, and OUT/folds.json keeps it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlstudio.cli.evaluate import table_lines
from dlstudio.cli.safe_text import shown
from dlstudio.cli.support import EXIT_OK, UserError, print_json
from dlstudio.run_files import json_safe

if TYPE_CHECKING:
    from dlstudio.train import RunResult

SUMMARY_FILE = "folds.json"


def add_folds_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--folds", type=int, metavar="K",
                        help="k-fold cross-validation (K from 2 to 20): K runs, each "
                             "validating on another K-th of the data, into OUT/fold-1 "
                             "... OUT/fold-K; prints each fold's metrics, their mean and "
                             "standard deviation")


def check_folds_args(args: argparse.Namespace) -> None:
    """Refuse, in one line, what cannot go with --folds (before anything loads)."""
    from dlstudio.train.folds import MAX_FOLDS, MIN_FOLDS

    if not MIN_FOLDS <= args.folds <= MAX_FOLDS:
        raise UserError(f"--folds: give K from {MIN_FOLDS} to {MAX_FOLDS}, not {args.folds}")
    if args.resume is not None:
        raise UserError("--folds: cannot continue a run with --resume; each fold is a run "
                        "of its own (resume one with --resume OUT/fold-N)")
    if args.val_fraction is not None:
        raise UserError("--val-fraction: not used with --folds (each fold validates on "
                        "its own held-out part)")
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise UserError("--folds: not available under torchrun; run it as one process")


def run_folds(args: argparse.Namespace) -> int:
    """Train the K folds one after another; Ctrl+C stops the fold under way and skips
    the rest (exit 130), the summary covering the folds that finished."""
    from dlstudio.cli import train as cli
    from dlstudio.compile import CompileError
    from dlstudio.data import DataError
    from dlstudio.data.textfile import fit_text_to_graph
    from dlstudio.train import Trainer, TrainingError, TrainSettings, TrainSettingsError
    from dlstudio.train.folds import fold_bundle, make_folds
    from dlstudio.train.preflight import load_training_data

    check_folds_args(args)
    started = time.perf_counter()
    results: list[tuple[int, Path, RunResult]] = []
    try:
        graph, name, settings = cli._source(args)
        cli.fetch_weights(settings.weights)
        # The checkpoints say "no validation share": `evaluate` then redraws the same
        # test split (it depends on both shares); a fold's val part is not a share.
        settings = TrainSettings.from_dict({**settings.to_dict(), "val_fraction": 0.0})
        out = args.out or cli._default_out(name)
        base_dir = args.project.parent if args.project is not None else None
        # text is cut to the graph before the folds
        data = fit_text_to_graph(load_training_data(graph, settings), graph)
        try:
            folds = make_folds(data, args.folds, settings.seed)
        except DataError as error:
            raise UserError(f"--folds: {error}") from None
        for fold in folds:
            folder = out / f"fold-{fold.number}"
            cli._print_log(f"fold {fold.number}/{fold.count}: training on "
                           f"{len(fold.train)} samples, validating on {len(fold.val)}, "
                           f"into {folder}")
            trainer = Trainer(graph, fold_bundle(data, fold), settings, out_dir=folder,
                              base_dir=base_dir)
            trainer.events.epoch_ended.connect(cli._print_epoch)
            trainer.events.log.connect(cli._print_log)
            with cli._stop_on_interrupt(trainer):
                result = trainer.run()
            results.append((fold.number, folder, result))
            if result.stopped:
                break
    except (CompileError, DataError, TrainSettingsError, TrainingError) as error:
        raise UserError(str(error)) from None
    summary = json_safe(fold_summary(results, args.folds, time.perf_counter() - started))
    _keep(out / SUMMARY_FILE, summary)
    if args.json:
        print_json(summary)
    else:
        print(format_folds(summary))
    return cli.EXIT_INTERRUPTED if summary["stopped"] else EXIT_OK


def fold_summary(results: list[tuple[int, Path, RunResult]], k: int,
                 seconds: float) -> dict[str, Any]:
    """Each fold's outcome, and the mean and standard deviation of the final validation
    (and test) metrics over the folds that finished."""
    from dlstudio.train.folds import mean_and_std

    finished = [result for _, _, result in results if not result.stopped]
    mean, std = mean_and_std([result.final for result in finished])
    summary: dict[str, Any] = {
        "k": k,
        "folds": [{"fold": number, "out": str(folder), "stopped": result.stopped,
                   "epochs": len(result.history), "best_epoch": result.best_epoch,
                   "checkpoint": result.checkpoint, **_plain(result)}
                  for number, folder, result in results],
        "mean": mean, "std": std,
        "device": results[0][2].device if results else "",
        "seconds": seconds,
        "stopped": len(finished) < k,
    }
    tests = [result.test.metrics for result in finished if result.test is not None]
    if tests and len(tests) == len(finished):
        summary["test_mean"], summary["test_std"] = mean_and_std(tests)
    return summary


def _plain(result: RunResult) -> dict[str, Any]:
    """The fold's final validation metrics and test result, JSON-safe."""
    data = result.to_dict()
    return {"final": data["final"], "test": data["test"]}


def format_folds(summary: dict[str, Any]) -> str:
    """One row per fold, then the mean and standard deviation, for validation and (when
    the data has a test split) test metrics."""
    folds = summary["folds"]
    lines = [f"{len(folds)} of {summary['k']} folds in {summary['seconds']:.1f}s on "
             f"{summary['device']}"]
    for split, key, mean, std in (("validation", "final", "mean", "std"),
                                  ("test", "test", "test_mean", "test_std")):
        if key == "test" and mean not in summary:
            continue
        names = list(summary[mean])
        rows = [[str(fold["fold"]), *(_cell(_values(fold, key), n) for n in names)]
                for fold in folds if not fold["stopped"]]
        rows += [["mean", *(_cell(summary[mean], n) for n in names)],
                 ["std", *(_cell(summary[std], n) for n in names)]]
        lines += ["", f"{split} metrics of the final weights",
                  *table_lines(["fold", *names], rows)]
    stopped = [str(fold["fold"]) for fold in folds if fold["stopped"]]
    if stopped:
        lines += ["", f"fold {stopped[0]} was stopped: it is not in the mean"]
    return "\n".join(lines)


def _values(fold: dict[str, Any], key: str) -> dict[str, Any]:
    if key == "final":
        return fold["final"]
    return (fold["test"] or {}).get("metrics", {})


def _cell(values: dict[str, Any], name: str) -> str:
    value = values.get(name)
    return "-" if value is None else f"{value:.4f}"


def _keep(path: Path, summary: dict[str, Any]) -> None:
    """OUT/folds.json: the summary beside the fold folders (a failure to write it is
    reported, the printed result stays)."""
    from dlstudio.atomic import write_atomic
    try:
        write_atomic(path, json.dumps(summary, indent=1, allow_nan=False) + "\n")
    except OSError as error:
        print(f"cannot write {shown(path)}: {error.strerror or error}", file=sys.stderr)
