"""What a run keeps between epochs: the best epoch so far, its files, its random state.

The best epoch is worked out from the history alone, so a resumed run picks up early
stopping where it left off. Files: last.pt every epoch, best.pt when the monitored
metric improves (a copy of last.pt), epoch-0004.pt after every N-th epoch when
`checkpoint_every` is N (a copy of last.pt, kept for replay), history.json; all written
atomically.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from dlstudio.atomic import copy_atomic, write_atomic
from dlstudio.train.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from dlstudio.train.events import EpochStats
from dlstudio.train.preflight import Monitor

LAST, BEST, HISTORY = "last.pt", "best.pt", "history.json"
EPOCH_FILE = "epoch-{:04d}.pt"  # an epoch's weights kept for replay


def epoch_file(epoch: int) -> str:
    """The name of the checkpoint kept after `epoch`, e.g. 'epoch-0003.pt'."""
    return EPOCH_FILE.format(epoch)


class BestTracker:
    """The best value of the monitored metric, its epoch, and the epochs since."""

    def __init__(self, monitor: Monitor, history: list[EpochStats]) -> None:
        self.monitor = monitor
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.best_stats: EpochStats | None = None
        self.bad_epochs = 0
        self.last_epoch = 0
        self._weights: dict[str, torch.Tensor] | None = None
        for stats in history:
            self.update(stats)

    def update(self, stats: EpochStats, model: nn.Module | None = None) -> bool:
        """Record an epoch; True if it is the best so far. With `model`, a copy of its
        weights is kept on the CPU for `restore`."""
        self.last_epoch = stats.epoch
        value = stats.metric(self.monitor.name)
        better = value is not None and math.isfinite(value) and (
            self.best is None or (value < self.best if self.monitor.minimize
                                  else value > self.best))
        if not better:
            self.bad_epochs += 1
            return False
        self.best, self.best_epoch, self.best_stats = value, stats.epoch, stats
        self.bad_epochs = 0
        if model is not None:
            self._weights = {k: v.detach().to("cpu", copy=True)
                             for k, v in model.state_dict().items()}
        return True

    def restore(self, model: nn.Module, best_file: Path | None,
                log: Callable[[str], None]) -> bool:
        """Put the best epoch's weights back into `model`; True if it did."""
        if self.best_epoch is None or self.best_epoch == self.last_epoch:
            return False
        weights = self._weights
        if weights is None and best_file is not None:  # a resumed run: read best.pt
            with contextlib.suppress(CheckpointError):
                checkpoint = load_checkpoint(best_file)
                if checkpoint.epoch == self.best_epoch:
                    weights = checkpoint.model_state
        if weights is None:
            log(f"the weights of the best epoch ({self.best_epoch}) are not available; "
                f"keeping those of epoch {self.last_epoch}")
            return False
        model.load_state_dict(weights)
        log(f"restored the weights of the best epoch, {self.best_epoch} "
            f"({self.monitor.name} {self.best:.4g})")
        return True


class RunFiles:
    """The run's folder (None: write nothing, e.g. on ranks other than the first).
    `checkpoint_every` N > 0 also keeps every N-th epoch's weights as epoch-NNNN.pt."""

    def __init__(self, folder: Path | None, monitor: str, checkpoint_every: int = 0) -> None:
        self.folder = folder
        self.monitor = monitor
        self.checkpoint_every = checkpoint_every

    def save(self, payload: dict[str, Any], improved: bool, best_epoch: int | None) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        last = self.folder / LAST
        save_checkpoint(last, **payload)
        if improved:
            copy_atomic(last, self.folder / BEST)
        epoch = int(payload["epoch"])
        if self.checkpoint_every > 0 and epoch % self.checkpoint_every == 0:
            copy_atomic(last, self.folder / epoch_file(epoch))
        history = payload["history"]
        write_atomic(self.folder / HISTORY, json.dumps(
            {"epochs": [s.to_dict() for s in history], "best_epoch": best_epoch,
             "monitor": self.monitor}, indent=1, allow_nan=False) + "\n")

    def best_path(self) -> Path | None:
        return None if self.folder is None else self.folder / BEST

    def result_path(self, restored: bool) -> str | None:
        """best.pt when the best weights were restored, else last.pt; None if absent."""
        if self.folder is None:
            return None
        path = self.folder / (BEST if restored else LAST)
        return str(path) if path.is_file() else None


def rng_state(generator: torch.Generator) -> dict[str, Any]:
    """Every random state a next epoch draws from: the global CPU generator (dropout,
    initialisation), CUDA's, and the trainer's own (shuffles, augmentation)."""
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else []
    return {"torch": torch.get_rng_state(), "generator": generator.get_state(),
            "cuda": list(cuda)}


def restore_rng(state: dict[str, Any], generator: torch.Generator) -> None:
    if "torch" in state:
        torch.set_rng_state(state["torch"])
    if "generator" in state:
        generator.set_state(state["generator"])
    cuda = state.get("cuda") or []
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)
