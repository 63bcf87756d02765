"""Training faults as messages a user can act on: a loss that blew up, memory that ran
out, a graph or data that cannot train. Nothing here hides a fault: each one stops the
run, and the last good checkpoint stays as it was."""

from __future__ import annotations

import torch

from dlstudio.graph import Problem


class TrainingError(RuntimeError):
    """Training cannot start or go on; the message says why and what to try.
    `problems` holds the graph's problems by node when the graph itself is at fault."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


def is_out_of_memory(error: BaseException) -> bool:
    """CUDA's OutOfMemoryError, or the plain RuntimeError that MPS and the CPU raise."""
    if isinstance(error, torch.OutOfMemoryError):
        return True
    return isinstance(error, RuntimeError) and "out of memory" in str(error).lower()


def out_of_memory(device: torch.device, batch_size: int, where: str) -> TrainingError:
    smaller = max(1, batch_size // 2)
    hint = f"try a smaller batch size (e.g. {smaller})" if batch_size > 1 else \
        "the model is too large for this device: try a smaller model or another device"
    return TrainingError(f"the {device.type.upper() if device.type != 'cpu' else 'CPU'} "
                         f"ran out of memory {where} with batch size {batch_size}: {hint}")


def non_finite_loss(which: str, value: float, where: str, lr: float,
                    kept: str | None) -> TrainingError:
    """The run stops at the first non-finite loss; say where, why it usually happens,
    and which checkpoint is still good."""
    word = "NaN" if value != value else ("infinite" if value > 0 else "-infinite")
    message = (f"the {which} loss became {word} {where}, so training stopped: the "
               f"learning rate ({lr:g}) is often too high; lower it, add gradient "
               "clipping, or look for NaN or infinite values in the data")
    if kept:
        message += f". The last good checkpoint is kept: {kept}"
    return TrainingError(message)
