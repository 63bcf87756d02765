"""Data-parallel training under `torchrun`: one process per device, gradients averaged.

The trainer never touches `torch.distributed` itself; it asks this module for its rank's
device, model wrapper, slice of each epoch and the metrics averaged over every rank. Run
as a plain process (no torchrun, or WORLD_SIZE=1) every helper is a no-op, so the one
training loop serves both.

    torchrun --nproc_per_node 2 -m dlstudio train --template mlp --device cpu

CPU ranks talk over gloo (loopback or a network), CUDA ranks over NCCL, one GPU each.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel


class DistributedError(RuntimeError):
    """A launch that cannot work (a device per rank missing, MPS ranks, a bad variable)."""


@dataclass(frozen=True)
class DistContext:
    """Where this process stands: rank `rank` of `world_size`, `local_rank` on its host."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    owns_group: bool = field(default=False, repr=False)  # True: teardown() destroys it

    @property
    def is_main(self) -> bool:
        """The one process that logs and writes checkpoints and history."""
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world_size > 1


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise DistributedError(f"environment variable {name}={value!r} is not a whole "
                               "number (set by torchrun)") from None


def _wants_cuda(device_kind: str) -> bool:
    if device_kind == "auto":
        return torch.cuda.is_available()
    return device_kind.startswith("cuda")


def setup_from_env(device_kind: str) -> DistContext:
    """Join the process group torchrun describes (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_*).

    `device_kind` is the requested device ("auto", "cpu", "cuda", "cuda:N", "mps"): CUDA
    ranks use NCCL, the others gloo. With WORLD_SIZE unset or 1 nothing is initialised.
    A group the caller already started is reused and left for the caller to destroy.
    """
    if dist.is_available() and dist.is_initialized():
        return DistContext(dist.get_rank(), dist.get_world_size(),
                           _env_int("LOCAL_RANK", dist.get_rank()))
    world_size = _env_int("WORLD_SIZE", 1)
    if world_size <= 1:
        return DistContext()
    if not dist.is_available():
        raise DistributedError("this PyTorch build has no torch.distributed: run one process")
    if device_kind.startswith("mps"):
        raise DistributedError("MPS devices cannot train across processes: use --device cpu "
                               "under torchrun, or run one process")
    rank = _env_int("RANK", 0)
    local_rank = _env_int("LOCAL_RANK", rank)
    backend = "gloo"
    if _wants_cuda(device_kind):
        count = torch.cuda.device_count()
        if local_rank >= count:
            raise DistributedError(f"rank {rank} needs GPU {local_rank} but this machine has "
                                   f"{count}: start at most {count} processes per machine")
        torch.cuda.set_device(local_rank)
        backend = "nccl"
    dist.init_process_group(backend=backend, rank=rank, world_size=world_size)
    return DistContext(rank, world_size, local_rank, owns_group=True)


def device_for(ctx: DistContext, requested: str) -> torch.device:
    """The device this rank trains on: `cuda:{local_rank}` for CUDA under torchrun (one
    GPU per process, whatever index was asked for), else the requested one ("auto": CUDA,
    then MPS, then the CPU)."""
    if requested == "auto":
        if torch.cuda.is_available():
            requested = "cuda"
        elif torch.backends.mps.is_available():
            requested = "mps"
        else:
            requested = "cpu"
    device = torch.device(requested)
    if ctx.active and device.type == "cuda":
        return torch.device("cuda", ctx.local_rank)
    return device


class LogitsView(nn.Module):
    """Calls `model.logits(...)`: what the training loss takes. DDP only synchronises
    gradients of work done through its own `forward`, so the logits need a module of
    their own to wrap; `model` stays the module to save, evaluate and predict with."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.model.logits(*inputs)  # type: ignore[operator]


def wrap_model(model: nn.Module, ctx: DistContext, device: torch.device) -> nn.Module:
    """The module a training step calls: `wrapped(*inputs)` gives `model.logits(*inputs)`,
    inside DistributedDataParallel when several ranks run (gradients averaged across them
    in backward, rank 0's weights broadcast at the start). `model` must already be on
    `device`; keep using `model` itself for state_dict(), evaluation and prediction."""
    view = LogitsView(model)
    if not ctx.active:
        return view
    ids = [device.index if device.index is not None else ctx.local_rank] \
        if device.type == "cuda" else None
    return DistributedDataParallel(view, device_ids=ids)


def shard(indices: torch.Tensor, ctx: DistContext) -> torch.Tensor:
    """This rank's share of an epoch's order (the same permutation on every rank).

    Every rank gets the same count, ceil(n / world_size), so all ranks run the same number
    of steps and none waits forever in an all-reduce; the shortfall is made up by wrapping
    around to the first indices (as torch's DistributedSampler does). Ranks take every
    world_size-th index, so their shares are disjoint apart from that padding.
    """
    if not ctx.active or len(indices) == 0:
        return indices
    per_rank = -(-len(indices) // ctx.world_size)
    total = per_rank * ctx.world_size
    if total > len(indices):
        repeats = -(-total // len(indices))
        indices = indices.repeat(repeats)[:total]
    return indices[ctx.rank:total:ctx.world_size]


def reduce_mean(values: dict[str, float], ctx: DistContext,
                device: torch.device) -> dict[str, float]:
    """Each value averaged over the ranks (every rank must pass the same keys).

    Pass per-rank means of equal-sized shards, or sums and counts: the mean of the sums
    over the mean of the counts is the global ratio. `device` must suit the backend (the
    rank's GPU for NCCL); single-process runs get the values back unchanged.
    """
    if not ctx.active or not values:
        return dict(values)
    keys = sorted(values)
    reduce_device = device if device.type == "cuda" else torch.device("cpu")
    tensor = torch.tensor([float(values[k]) for k in keys], dtype=torch.float64,
                          device=reduce_device)
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    tensor /= ctx.world_size
    return dict(zip(keys, tensor.tolist(), strict=True))


def teardown(ctx: DistContext) -> None:
    """Leave the process group this module started (safe to call more than once)."""
    if ctx.owns_group and dist.is_initialized():
        dist.destroy_process_group()
