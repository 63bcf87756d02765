"""How much memory one training batch needs, from the graph's inferred shapes alone, and
whether that fits: checked before a model is built, so a graph of 10^19 parameters is
refused in milliseconds instead of failing (or swapping) while it is allocated.

The rule (docs/training.md, "Memory check"): every number is float32 (4 bytes).
- weights: the catalogue's parameter count of every layer (what `summary` shows);
- gradients: one per trainable weight;
- optimizer state per trainable weight: SGD 1 with momentum, 0 without; Adam and AdamW
  2 (the two moments); RMSprop and Adagrad 1;
- activations: every node's output (the Input's too; not Flatten, Reshape, Identity and
  Output, whose outputs are views of their input; a recurrent layer's gates and states
  of every time step: the rule of `dlstudio.graph.cost`, which the canvas and the
  summary show per node) x the batch size, x 2 because the
  backward pass keeps about as much again (saved inputs, masks and gradients of the
  activations). That is an estimate within a small factor, not an allocator's count:
  tests/train/test_memory.py measures it against the tensors autograd really keeps.
Counts are Python ints, so nothing overflows however large the graph.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from dlstudio.graph import Graph, infer_shapes
from dlstudio.graph.cost import FLOAT_BYTES, activation_bytes
from dlstudio.graph.inference import ShapeReport
from dlstudio.train.faults import TrainingError
from dlstudio.train.settings import TrainSettings

BACKWARD_FACTOR = 2
GB = 10**9
LIMIT_HINT = "raise the memory limit setting (memory_limit_gb, --memory-limit-gb)"


def optimizer_slots(optimizer: str, momentum: float) -> int:
    """Tensors of state the optimizer keeps per trainable weight (see optim.py)."""
    if optimizer == "sgd":
        return 1 if momentum > 0 else 0
    return 2 if optimizer in ("adam", "adamw") else 1  # rmsprop, adagrad: one running sum


@dataclass(frozen=True)
class LayerMemory:
    """One node's share: `weights` counts its parameters, gradients and optimizer state,
    `activations` its output for the batch (x BACKWARD_FACTOR), all in bytes."""

    name: str
    weights: int
    activations: int

    @property
    def total(self) -> int:
        return self.weights + self.activations

    def describe(self) -> str:
        """'dense_1 (4.0 GB of weights and optimizer state)' and the like."""
        if self.activations * 10 < self.total:
            what = "of weights and optimizer state"
        elif self.weights * 10 < self.total:
            what = "of activations"
        else:
            what = (f"{format_bytes(self.weights)} weights, "
                    f"{format_bytes(self.activations)} activations")
            return f"{self.name} ({format_bytes(self.total)}: {what})"
        return f"{self.name} ({format_bytes(self.total)} {what})"


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes one training batch of `batch_size` needs, in total and by layer."""

    batch_size: int
    params: int  # parameter count
    trainable: int
    parameter_bytes: int
    gradient_bytes: int
    optimizer_bytes: int
    activation_bytes: int
    layers: tuple[LayerMemory, ...]

    @property
    def total(self) -> int:
        return (self.parameter_bytes + self.gradient_bytes + self.optimizer_bytes
                + self.activation_bytes)

    def biggest(self, count: int = 3) -> list[LayerMemory]:
        """The layers that need most, biggest first (ties in data-flow order)."""
        ranked = sorted(self.layers, key=lambda layer: -layer.total)
        return [layer for layer in ranked[:count] if layer.total > 0]

    def line(self) -> str:
        """The summary table's line."""
        return (f"Memory for one batch of {self.batch_size}: {format_bytes(self.total)} "
                f"(weights {format_bytes(self.parameter_bytes)}, gradients "
                f"{format_bytes(self.gradient_bytes)}, optimizer "
                f"{format_bytes(self.optimizer_bytes)}, activations "
                f"{format_bytes(self.activation_bytes)})")

    def to_dict(self) -> dict[str, Any]:
        """`summary --json`'s "memory" (bytes, as exact integers)."""
        return {"batch_size": self.batch_size, "total_bytes": self.total,
                "parameter_bytes": self.parameter_bytes,
                "gradient_bytes": self.gradient_bytes,
                "optimizer_bytes": self.optimizer_bytes,
                "activation_bytes": self.activation_bytes,
                "biggest": [{"name": layer.name, "bytes": layer.total,
                             "weight_bytes": layer.weights,
                             "activation_bytes": layer.activations}
                            for layer in self.biggest()]}


def estimate_memory(graph: Graph, batch_size: int, optimizer: str = "adam",
                    momentum: float = 0.9, report: ShapeReport | None = None
                    ) -> MemoryEstimate:
    """The estimate for `graph` (nodes whose shape is unknown count nothing); `report`:
    its shapes when the caller has them (a 10,000-node graph takes a while to infer)."""
    report = report if report is not None else infer_shapes(graph)
    slots = optimizer_slots(optimizer, momentum)
    params = trainable = activations = 0
    layers: list[LayerMemory] = []
    for node_id in report.order:
        node = graph.nodes[node_id]
        inputs = report.input_shapes.get(node_id)
        count = 0 if inputs is None else int(node.spec.count_params(node.params, inputs))
        trains = bool(node.params.get("trainable", True))
        acts = (activation_bytes(node.type, report.shapes.get(node_id), node.params, inputs)
                * batch_size * BACKWARD_FACTOR)
        params += count
        trainable += count if trains else 0
        activations += acts
        weights = count * FLOAT_BYTES * ((2 + slots) if trains else 1)
        layers.append(LayerMemory(node.name, weights, acts))
    return MemoryEstimate(batch_size, params, trainable, params * FLOAT_BYTES,
                          trainable * FLOAT_BYTES, trainable * FLOAT_BYTES * slots,
                          activations, tuple(layers))


def estimate_for(graph: Graph, settings: TrainSettings,
                 report: ShapeReport | None = None) -> MemoryEstimate:
    return estimate_memory(graph, settings.batch_size, settings.optimizer, settings.momentum,
                           report)


def measure_kept_bytes(model: Any, run: Any) -> int:
    """What a batch really holds for the backward pass, to test the estimate against:
    every tensor autograd saves while `run()` does the forward pass (unique storages; the
    model's weights left out, they are counted as weights), plus the output it returns.
    Used by tests/train/test_memory.py and bench/preflight_accuracy.py."""
    import torch

    weights = {p.untyped_storage().data_ptr() for p in model.parameters()}
    saved: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in weights:
            saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        output = run()
    return sum(saved.values()) + output.numel() * output.element_size()


# ----- what is available ---------------------------------------------------------------
def memory_limit(settings: TrainSettings, device: str) -> tuple[int | None, str]:
    """The bytes a run may use and how to say where that number comes from; None when
    this machine does not tell (then nothing is refused)."""
    if settings.memory_limit_gb > 0:
        return int(settings.memory_limit_gb * GB), "the memory limit setting allows"
    free = available_bytes(device)
    where = f"is free on {device}" if device.startswith("cuda") else "is free"
    return free, where


def available_bytes(device: str) -> int | None:
    """Free memory of a CUDA device (torch.cuda.mem_get_info, plus what this process's
    caching allocator holds unused: an earlier run's blocks), else of the machine."""
    if device.startswith("cuda"):
        import torch

        try:
            where = torch.device(device)
            cached = torch.cuda.memory_reserved(where) - torch.cuda.memory_allocated(where)
            return int(torch.cuda.mem_get_info(where)[0]) + max(0, int(cached))
        except (RuntimeError, AssertionError):  # no CUDA after all: the run says so
            return None
    return ram_available()


def ram_available() -> int | None:
    """MemAvailable from /proc/meminfo (Linux: what can be had without swapping), else
    the free pages sysconf reports, else the physical memory (macOS has no free count)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as file:
            found = re.search(r"^MemAvailable:\s+(\d+)\s*kB", file.read(), re.MULTILINE)
        if found:
            return int(found.group(1)) * 1024
    except OSError:
        pass
    for pages in ("SC_AVPHYS_PAGES", "SC_PHYS_PAGES"):
        try:
            count, size = os.sysconf(pages), os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, ValueError, OSError):
            continue
        if count > 0 and size > 0:
            return count * size
    return None


# ----- the check -----------------------------------------------------------------------
def over_limit(estimate: MemoryEstimate, limit: int | None, where: str) -> str | None:
    """One line saying the model does not fit, naming its three biggest layers; None
    when it fits (or the limit is unknown)."""
    if limit is None or estimate.total <= limit:
        return None
    layers = ", ".join(layer.describe() for layer in estimate.biggest())
    return (f"the model needs {format_bytes(estimate.total)} for one batch of "
            f"{estimate.batch_size} but {format_bytes(limit)} {where}: {layers}; lower "
            f"the units or batch size, or {LIMIT_HINT}")


def check_memory(graph: Graph, settings: TrainSettings, device: str,
                 report: ShapeReport | None = None) -> MemoryEstimate:
    """Refuse (TrainingError) a run whose one batch would not fit in memory."""
    estimate = estimate_for(graph, settings, report)
    limit, where = memory_limit(settings, device)
    problem = over_limit(estimate, limit, where)
    if problem is not None:
        raise TrainingError(problem)
    return estimate


def format_bytes(count: int) -> str:
    """1536 -> '1.5 kB'; decimal units, as disks and the limit setting count them."""
    value = float(count) if count < 10**300 else float("inf")
    for unit in ("bytes", "kB", "MB", "GB", "TB", "PB", "EB"):
        if value < 1000 or unit == "EB":
            break
        value /= 1000
    if unit == "bytes":
        return f"{count} bytes"
    return f"{value:,.1f} {unit}" if value < 1e6 else f"{value:.2g} {unit}"
