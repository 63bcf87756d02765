"""`dlstudio train --dry-run`: the pre-flight plan from the terminal (train/plan.py).

The graph, data and settings are gathered exactly as `train` gathers them (the same flags,
the same one-line refusals, exit 2), then the memory of one batch is checked and, when it
fits, a few real steps are timed on the chosen device. Nothing trains to the end and
nothing is written: no run folder, no checkpoint, no download of starting weights.
A batch that cannot fit is a warning in the plan (exit 0): `train` would refuse it.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import TYPE_CHECKING

from dlstudio.cli.safe_text import shown
from dlstudio.cli.support import EXIT_OK, UserError, print_json

if TYPE_CHECKING:
    from dlstudio.train.plan import Plan


def run_dry_run(args: argparse.Namespace) -> int:
    from dlstudio.cli.train import _source
    from dlstudio.compile import CompileError
    from dlstudio.data import DataError
    from dlstudio.train import TrainingError, TrainSettingsError
    from dlstudio.train.plan import measure_time, plan_memory
    from dlstudio.train.preflight import load_training_data

    for given, name in ((args.resume, "--resume"), (args.folds, "--folds")):
        if given is not None:
            raise UserError(f"--dry-run plans one new run: leave out {name}")
    graph, name, settings = _source(args)
    try:
        plan = plan_memory(graph, settings)
        if plan.fits:
            data = load_training_data(graph, settings)
            plan = replace(plan, time=measure_time(graph, data, settings))
    except (CompileError, DataError, TrainSettingsError, TrainingError) as error:
        raise UserError(str(error)) from None
    if args.json:
        print_json({"source": name, "data": settings.data, "epochs": settings.epochs,
                    "batch_size": settings.batch_size, **plan.to_dict()})
    else:
        print(format_plan(plan, name, settings.data))
    return EXIT_OK


def format_plan(plan: Plan, name: str, data: str) -> str:
    """The plan as a few lines: what, memory, time and its parts, any warning."""
    lines = [f"{shown(name)} on {shown(data)} (dry run: nothing trained, nothing written)",
             f"memory: {plan.memory_line()}"]
    t = plan.time
    if t is not None:
        lines.append(f"time:   {plan.time_line()}")
        parts = [f"a training batch {_ms(t.step_seconds)} ({t.timed_steps} timed steps "
                 f"after a warm-up)"]
        if t.val_batches:
            parts.append(f"a validation batch {_ms(t.val_batch_seconds)} "
                         f"(x {t.val_batches})")
        parts.append(f"the checkpoint {_ms(t.checkpoint_seconds)}")
        parts.append(f"preparing the data {_ms(t.setup_seconds)} once")
        lines.append("        " + ", ".join(parts))
    if plan.warning:
        lines.append(f"warning: {plan.warning} (train would refuse it; the time was not "
                     "measured)")
    return "\n".join(lines)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3g} ms" if seconds < 1 else f"{seconds:.2f} s"
