"""The training-setting flags of `dlstudio train`, made from TrainSettings' fields.

Each flag only collects a value; TrainSettings.from_dict checks it exactly as it checks a
project's `training` object, and its one-line error is reported under the flag's name.
"""

from __future__ import annotations

import argparse
from dataclasses import MISSING, fields
from typing import Any

from dlstudio.cli.support import UserError
from dlstudio.data.augment import Augmentation
from dlstudio.data.info import TARGETS
from dlstudio.data.normalisations import NORMALISATIONS
from dlstudio.data.spec import SPEC_FORMS
from dlstudio.train.settings import (
    AUGMENT_PREFIX,
    LOSSES,
    MONITORS,
    OPTIMIZERS,
    SCHEDULES,
    TrainSettings,
    TrainSettingsError,
)

# Settings with flags of their own: --data (below, with --augment), --weights/--pretrained.
_SEPARATE = ("data", "weights", "augment")
OUTPUT_LOSS = "output"  # --loss output: the Output node's own loss (the setting's None)

_CHOICES: dict[str, tuple[str, ...]] = {
    "optimizer": OPTIMIZERS, "schedule": SCHEDULES, "loss": (*LOSSES, OUTPUT_LOSS),
    "monitor": MONITORS, "normalisation": NORMALISATIONS, "target": TARGETS,
}
_HELP = {
    "epochs": "epochs to train (with --resume: the new total)",
    "batch_size": "samples per step (per process under torchrun)",
    "lr": "learning rate",
    "optimizer": "the optimizer",
    "momentum": "SGD momentum, in [0, 1)",
    "nesterov": "Nesterov momentum (SGD)",
    "weight_decay": "L2 penalty (decoupled for adamw)",
    "l1": "adds X * sum|w| over weight matrices and kernels to the loss",
    "schedule": "how the learning rate changes over the epochs",
    "step_size": "epochs between learning-rate cuts (--schedule step)",
    "gamma": "the factor each cut multiplies the learning rate by (step, plateau)",
    "plateau_patience": "epochs without improvement before a cut (--schedule plateau)",
    "warmup_epochs": "epochs of linear learning-rate warm-up",
    "grad_clip": "clip the gradients' norm to X (0: off)",
    "label_smoothing": "label smoothing for cross entropy, in [0, 1)",
    "loss": "the loss (default: the Output node's, which 'output' also names)",
    "early_stopping": "stop when the monitored metric has not improved for --patience epochs",
    "monitor": "the metric that picks best.pt, early stopping and the plateau schedule",
    "patience": "epochs without improvement before early stopping",
    "restore_best": "end with the best epoch's weights",
    "seed": "seeds the split, the initial weights and the shuffles",
    "device": "auto, cpu, cuda, cuda:N or mps (auto: CUDA, then MPS, then the CPU)",
    "mixed_precision": "16-bit autocast where the device supports it",
    "val_fraction": "share of the data held out for validation, in [0, 1)",
    "test_fraction": "share of the data held out as a test split, measured once at the "
                     "end, in [0, 1) (data with its own test set keeps that one)",
    "normalisation": "auto: measured from the data; imagenet: ImageNet's mean and std "
                     "(the default with --pretrained)",
    "target": "labels: the data's own targets; input: each sample is its own target, "
              "to train an autoencoder",
    "memory_limit_gb": "the memory in GB one training batch may need (weights, gradients, "
                       "optimizer state, activations); 0: what is free on the device",
    "checkpoint_every": "also keep the weights after every N-th epoch as epoch-NNNN.pt "
                        "beside last.pt, to replay the run (0: off; each costs one "
                        "checkpoint's size on disk)",
}
_AUGMENT_HELP = ("augmentation as NAME[=X],...: shift=F, rotation=DEG, scale=F, noise=SD, "
                 "crop=PIXELS, flip_horizontal, flip_vertical; 'none' turns it off. "
                 "Replaces the project's augmentation")


def flag(name: str) -> str:
    """The flag of setting `name`: batch_size -> --batch-size."""
    return "--" + name.replace("_", "-")


def add_setting_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per training setting; each defaults to None (keep the project's value)."""
    group = parser.add_argument_group("training settings (default: the project's "
                                      "or the template's; see docs/training.md)")
    group.add_argument("--data", metavar="SPEC",
                       help=f"{SPEC_FORMS} "
                            "(default: the project's dataset, or the template's own)")
    for item in fields(TrainSettings):
        if item.name in _SEPARATE:
            continue
        default = item.default if item.default is not MISSING else None
        options: dict[str, Any] = {"dest": item.name, "default": None,
                                   "help": _HELP[item.name]}
        if isinstance(default, bool):
            options["action"] = argparse.BooleanOptionalAction
        elif item.name in _CHOICES:  # TrainSettings checks the name, as in a project
            options["metavar"] = "|".join(_CHOICES[item.name])
            if item.name == "monitor":
                options["metavar"] = "SPLIT_METRIC"
                options["help"] += " (val_ or train_ + " + "loss, accuracy, ..., r2)"
        else:
            kind = int if isinstance(default, int) else float if isinstance(
                default, float) else str
            options.update(type=kind, metavar={int: "N", float: "X"}.get(kind, "NAME"))
        group.add_argument(flag(item.name), **options)
    group.add_argument("--augment", type=parse_augment, metavar="NAME[=X],...",
                       help=_AUGMENT_HELP)


def parse_augment(text: str) -> dict[str, Any]:
    """`shift=0.1,rotation=10,crop=4,flip_horizontal` as the augment object (hyphens or
    underscores); `none` is no augmentation. Ranges are TrainSettings' to check."""
    kinds = {item.name: item.type for item in fields(Augmentation)}
    result: dict[str, Any] = {}
    if text.strip() == "none":
        return result
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        name, has_value, value = part.partition("=")
        name = name.strip().replace("-", "_")
        if name not in kinds:
            raise argparse.ArgumentTypeError(f"{name!r} is not an augmentation; known: "
                                             + ", ".join(kinds) + ", none")
        if kinds[name] in (bool, "bool"):
            if has_value:
                raise argparse.ArgumentTypeError(f"{name} takes no value (name it to "
                                                 "turn it on)")
            result[name] = True
        elif not has_value:
            raise argparse.ArgumentTypeError(f"{name} needs a value: {name}=X")
        elif kinds[name] in (int, "int"):  # crop counts whole pixels
            try:
                result[name] = int(value)
            except ValueError:
                raise argparse.ArgumentTypeError(f"{name}={value}: not a whole number of "
                                                 "pixels") from None
        else:
            try:
                result[name] = float(value)
            except ValueError:
                raise argparse.ArgumentTypeError(f"{name}={value}: not a number") from None
    return result


def setting_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The settings the flags give, by field name (flags left out are absent)."""
    given = {item.name: getattr(args, item.name) for item in fields(TrainSettings)
             if item.name not in _SEPARATE and getattr(args, item.name) is not None}
    if args.data is not None:
        given["data"] = args.data
    if given.get("loss") == OUTPUT_LOSS:
        given["loss"] = None
    if args.augment is not None:
        given["augment"] = args.augment
    return given


def settings_with(base: dict[str, Any], given: dict[str, Any]) -> TrainSettings:
    """`base` (a project's or template's settings) with the flags' values, checked as a
    project is; a bad value is reported under the flag that gave it."""
    values = dict(base)
    if "augment" in given:  # the flag's augmentation replaces the project's
        values = {k: v for k, v in values.items() if not k.startswith(AUGMENT_PREFIX)}
        values.pop("augment", None)
    values.update(given)
    try:
        return TrainSettings.from_dict(values)
    except TrainSettingsError as error:
        name = error.field.partition(".")[0]
        if name in given and name != "weights":
            raise UserError(f"{flag(name)}: {error}") from None
        raise


# Settings a resumed run may change; any other flag must repeat the run's own value.
RESUMABLE = ("epochs", "device", "mixed_precision", "early_stopping", "patience",
             "restore_best", "memory_limit_gb", "checkpoint_every")


def resumed_settings(run: TrainSettings, given: dict[str, Any], done: int) -> TrainSettings:
    """The run's settings with the flags a resume allows; flags that would change what
    the run is are refused, as is an --epochs total that is not above `done`."""
    own = run.to_dict()
    for name, value in given.items():
        if name in RESUMABLE:
            continue
        if name == "augment":
            changed, shown = {**Augmentation().to_dict(), **value} != run.augment, run.augment
        else:
            changed, shown = value != own[name], own[name]
        if changed:
            raise UserError(f"{flag(name)}: cannot change on --resume (the run has "
                            f"{shown!r}); start a new run instead")
    if "epochs" not in given:
        raise UserError(f"--resume: give --epochs N, the new total (the run has done "
                        f"{done} of {run.epochs})")
    if given["epochs"] <= done:
        raise UserError(f"--epochs: the run has done {done} epochs already; give a total "
                        "above that to continue it")
    return settings_with(own, {k: v for k, v in given.items() if k in RESUMABLE})


def add_dry_run_flag(parser: argparse.ArgumentParser) -> None:
    """`train --dry-run`: the pre-flight plan (cli/dry_run.py) instead of a run."""
    parser.add_argument("--dry-run", action="store_true",
                        help="print the pre-flight plan (memory of one batch, time per "
                             "epoch from a few timed steps) and train nothing, write nothing")
