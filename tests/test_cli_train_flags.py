"""`dlstudio train`'s setting flags and `--resume RUN_DIR`: real one- and two-epoch xor
runs through main(), their settings read back from the checkpoint; bad values and
refused resumes exit 2 in one line naming the flag."""

from __future__ import annotations

import json
import shutil
from functools import partial
from pathlib import Path

import pytest

from dlstudio import cli
from dlstudio.train import load_checkpoint

from .cli_checks import refused, run

XOR = ("train", "--template", "xor", "--device", "cpu")


assert_user_error = partial(refused, "train")


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished two-epoch xor run with SGD and a step schedule (not to be changed)."""
    out = tmp_path_factory.mktemp("runs") / "xor"
    code = cli.main([*XOR, "--epochs", "2", "--optimizer", "sgd", "--schedule", "step",
                     "--step-size", "1", "--gamma", "0.5", "--out", str(out), "--json"])
    assert code == 0
    return out


def test_every_flag_reaches_the_settings(capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    code, out, err = run(
        capsys, *XOR, "--epochs", "1", "--batch-size", "8", "--lr", "0.02",
        "--optimizer", "sgd", "--momentum", "0.5", "--nesterov", "--weight-decay", "0.01",
        "--l1", "0.001", "--schedule", "step", "--step-size", "4", "--gamma", "0.3",
        "--plateau-patience", "2", "--warmup-epochs", "1", "--grad-clip", "2",
        "--label-smoothing", "0.1", "--loss", "binary_cross_entropy", "--early-stopping",
        "--monitor", "val_accuracy", "--patience", "7", "--no-restore-best", "--seed", "3",
        "--no-mixed-precision", "--augment", "noise=0.05,flip-horizontal",
        "--val-fraction", "0.25", "--data", "builtin:xor", "--out", str(tmp_path), "--json")
    assert code == 0, err
    settings = load_checkpoint(json.loads(out)["checkpoint"]).settings
    expected = dict(epochs=1, batch_size=8, lr=0.02, optimizer="sgd", momentum=0.5,
                    nesterov=True, weight_decay=0.01, l1=0.001, schedule="step",
                    step_size=4, gamma=0.3, plateau_patience=2, warmup_epochs=1,
                    grad_clip=2.0, label_smoothing=0.1, loss="binary_cross_entropy",
                    early_stopping=True,
                    monitor="val_accuracy", patience=7, restore_best=False, seed=3,
                    device="cpu", mixed_precision=False, val_fraction=0.25,
                    data="builtin:xor")
    assert {name: getattr(settings, name) for name in expected} == expected
    assert settings.augment["flip_horizontal"] is True
    assert settings.augment["noise"] == 0.05 and settings.augment["rotation"] == 0.0


def test_output_loss_and_no_augmentation(capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    code, out, err = run(capsys, *XOR, "--epochs", "1", "--loss", "output", "--augment",
                         "none", "--out", str(tmp_path), "--json")
    assert code == 0, err
    settings = load_checkpoint(json.loads(out)["checkpoint"]).settings
    assert settings.loss is None and not settings.augmentation.active


def test_epoch_line_shows_precision_recall_f1(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    code, _, err = run(capsys, *XOR, "--epochs", "1", "--out", str(tmp_path))
    assert code == 0, err
    line = next(line for line in err.splitlines() if line.startswith("epoch 1/1"))
    train, val = line.split("|")[:2]
    for part in (train, val):
        for short in ("loss", "acc", "prec", "rec", "f1"):
            assert f" {short} " in part, line


@pytest.mark.parametrize(("flags", "words"), [
    (("--momentum", "1.5"), ("--momentum:", "[0, 1)")),
    (("--patience", "0"), ("--patience:", "between 1")),
    (("--weight-decay", "-1"), ("--weight-decay:",)),
    (("--l1", "nan"), ("--l1:",)),
    (("--val-fraction", "1"), ("--val-fraction:",)),
    (("--lr", "fast"), ("--lr", "invalid float")),
    (("--epochs", "0"), ("--epochs:",)),
    (("--optimizer", "lbfgs"), ("--optimizer", "adamw")),
    (("--schedule", "linear"), ("--schedule", "cosine")),
    (("--monitor", "val_speed"), ("--monitor",)),
    (("--device", "tpu"), ("--device:", "cuda:N")),
    (("--augment", "rotation"), ("--augment", "rotation=X")),
    (("--augment", "spin=3"), ("--augment", "'spin'", "flip_vertical")),
    (("--augment", "flip_vertical=1"), ("--augment", "takes no value")),
    (("--augment", "rotation=500"), ("--augment:", "rotation", "180")),
])
def test_bad_values_name_the_flag(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                  flags: tuple[str, ...], words: tuple[str, ...]) -> None:
    assert_user_error(*run(capsys, *XOR, *flags, "--out", str(tmp_path)), *words)
    assert not any(tmp_path.iterdir())


def test_no_graph_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert_user_error(*run(capsys, "train", "--epochs", "1"), "--template", "--resume")


def test_resume_continues_to_the_new_total(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path, finished_run: Path) -> None:
    run_dir = tmp_path / "xor"
    shutil.copytree(finished_run, run_dir)
    before = load_checkpoint(run_dir / "last.pt")
    code, out, err = run(capsys, "train", "--resume", str(run_dir), "--epochs", "4",
                         "--optimizer", "sgd", "--json")  # repeating a setting is fine
    assert code == 0, err
    assert f"resuming {run_dir / 'last.pt'} after epoch 2" in err
    assert "epoch 3/4" in err and "epoch 1/" not in err
    result = json.loads(out)
    assert [e["epoch"] for e in result["epochs"]] == [1, 2, 3, 4]
    assert result["epochs"][:2] == [s.to_dict() for s in before.history]
    after = load_checkpoint(run_dir / "last.pt")
    assert after.epoch == 4 and after.settings.epochs == 4
    assert after.settings.optimizer == "sgd" and after.settings.schedule == "step"
    # The schedule went on from its state: halved after every epoch.
    assert [e["lr"] for e in result["epochs"]] == pytest.approx(
        [before.history[0].lr * 0.5 ** i for i in range(4)])
    # The same as training four epochs at once.
    code, out, err = run(capsys, *XOR, "--epochs", "4", "--optimizer", "sgd", "--schedule",
                         "step", "--step-size", "1", "--gamma", "0.5", "--out",
                         str(tmp_path / "whole"), "--json")
    assert code == 0, err
    whole = json.loads(out)["epochs"]
    assert [e["train"]["loss"] for e in whole] == pytest.approx(
        [e["train"]["loss"] for e in result["epochs"]], rel=1e-5)


@pytest.mark.parametrize(("flags", "words"), [
    (("--epochs", "2"), ("--epochs:", "done 2 epochs")),
    ((), ("--resume:", "--epochs N")),
    (("--epochs", "3", "--optimizer", "adam"), ("--optimizer:", "'sgd'", "new run")),
    (("--epochs", "3", "--data", "builtin:linear"), ("--data:", "builtin:xor")),
    (("--epochs", "3", "--lr", "0.5"), ("--lr:", "cannot change")),
    (("--epochs", "3", "--augment", "noise=0.1"), ("--augment:", "cannot change")),
    (("--epochs", "3", "--freeze-until", "hidden"), ("--freeze-until:",)),
    (("--epochs", "3", "--out", "elsewhere"), ("--out:",)),
    (("--epochs", "3", "--template", "mlp"), ("--resume:", "template 'mlp'")),
    (("--epochs", "3", "--patience", "0"), ("--patience:", "between 1")),
])
def test_resume_refusals(capsys: pytest.CaptureFixture[str], finished_run: Path,
                         flags: tuple[str, ...], words: tuple[str, ...]) -> None:
    assert_user_error(*run(capsys, "train", "--resume", str(finished_run), *flags), *words)
    assert load_checkpoint(finished_run / "last.pt").epoch == 2


def test_resume_without_a_run(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert_user_error(*run(capsys, "train", "--resume", str(tmp_path), "--epochs", "3"),
                      "--resume:", "no last.pt")
