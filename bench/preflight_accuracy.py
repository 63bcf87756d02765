"""Pre-flight plan accuracy: the plan's predicted time per epoch and memory of one batch
against what a real run measures, for the templates that train quickly on a CPU.

Time: `measure_time` (a warm-up step, `--steps` timed steps, a validation batch and the
checkpoint, scaled by the batches of an epoch) against the real Trainer's epochs on the
same data and settings, checkpoints written to a temporary folder; the fastest of the
epochs after the first counts (the first pays one-off warm-up costs the plan leaves out).
Plan and run are repeated `--repeats` times, interleaved, and the fastest of each counts:
on a busy machine (this one has 2 cores shared by several jobs) a single timing of either
can be several times too slow.

Memory: memory.py's estimate against a measurement.
- CUDA: torch.cuda.max_memory_allocated over building the model and one training step,
  less what was allocated before (the data already on the device): everything a batch
  really holds at its peak, allocator rounding and cuDNN workspaces included.
- CPU: the allocator keeps no count, so the measure is the one tests/train/test_memory.py
  uses: the exact bytes of the weights, gradients and optimizer state after one real
  step, plus every tensor autograd saves for the backward pass of one real batch (unique
  storages, weights left out) and the output. The process's RSS is too coarse here (the
  small models' batches are below the allocator's page-level noise).

Ratios are predicted / measured: 1.0 is exact, above 1 the plan is on the safe side.
Goal: time within 0.5-2x, memory at or above the measure (at most 4x).

Run: .venv/bin/python bench/preflight_accuracy.py [--device cpu|cuda] [--epochs N]
     [--steps N] [--templates a,b,...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import torch

from dlstudio.compile import training_loss
from dlstudio.graph.templates import build_template
from dlstudio.train import Trainer, TrainSettings, defaults_for_template
from dlstudio.train.devices import resolve_device
from dlstudio.train.feed import make_feed
from dlstudio.train.memory import estimate_for, format_bytes, measure_kept_bytes
from dlstudio.train.optim import build_optimizer
from dlstudio.train.plan import measure_time
from dlstudio.train.preflight import load_training_data

TEMPLATES = ("xor", "logistic-regression", "mlp", "cnn-compact", "cnn-small",
             "cnn-two-block", "lenet5", "lstm-text")
TIME_GOAL = (0.5, 2.0)
MEMORY_GOAL = (1.0, 4.0)


def settings_for(name: str, device: str, epochs: int) -> TrainSettings:
    return replace(defaults_for_template(name), device=device, epochs=epochs)


def measured_epoch(name: str, settings: TrainSettings) -> tuple[float, int]:
    """The fastest epoch after the first of a real run, and its batches."""
    graph = build_template(name)
    data = load_training_data(graph, settings)
    with tempfile.TemporaryDirectory() as folder:
        result = Trainer(graph, data, settings, out_dir=Path(folder)).run()
    seconds = [stats.seconds for stats in result.history[1:]] or [result.history[0].seconds]
    return min(seconds), len(result.history)


def measured_memory(name: str, settings: TrainSettings) -> int:
    graph = build_template(name)
    trainer = Trainer(graph, load_training_data(graph, settings), settings)
    device = resolve_device(settings.device)
    feed = make_feed(trainer.data.train, device)
    # gathered, as a shuffled epoch gathers it (a slice would be a view of the whole set)
    order = torch.randperm(len(feed), generator=torch.Generator().manual_seed(0))
    x, y = next(iter(feed.batches(settings.batch_size, order[:settings.batch_size])))
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        model = trainer.model.to(device)
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = build_optimizer(settings, params, device)
        training_loss(model, 0.0)(model(x), y).backward()
        optimizer.step()
        torch.cuda.synchronize(device)
        return torch.cuda.max_memory_allocated(device) - before
    model = trainer.model
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = build_optimizer(settings, params, device)
    loss_fn = training_loss(model, 0.0)
    loss_fn(model(x), y).backward()
    optimizer.step()
    kept = sum(p.numel() * p.element_size() for p in model.parameters())
    kept += sum(p.grad.numel() * p.grad.element_size() for p in params if p.grad is not None)
    kept += sum(v.numel() * v.element_size() for state in optimizer.state.values()
                for key, v in state.items() if isinstance(v, torch.Tensor) and key != "step")
    return kept + measure_kept_bytes(model, lambda: model(x))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--templates", default=",".join(TEMPLATES))
    args = parser.parse_args()
    names = [name for name in args.templates.split(",") if name]
    print(f"pre-flight plan vs a real run on {args.device} ({args.epochs} epochs, "
          f"{args.steps} timed steps, fastest of {args.repeats}; predicted / measured)")
    print(f"{'template':<20}{'batches':>8}{'plan s/epoch':>14}{'real s/epoch':>14}"
          f"{'time ratio':>12}{'plan memory':>13}{'measured':>12}{'mem ratio':>11}")
    time_ratios, memory_ratios = [], []
    for name in names:
        settings = settings_for(name, args.device, args.epochs)
        graph = build_template(name)
        data = load_training_data(graph, settings)
        plans, reals = [], []
        for _ in range(args.repeats):  # interleaved; the fastest of each counts
            plans.append(measure_time(graph, data, settings, steps=args.steps))
            reals.append(measured_epoch(name, settings)[0])
        predicted = min(plans, key=lambda plan: plan.epoch_seconds)
        real = min(reals)
        estimate = estimate_for(graph, settings).total
        measured = measured_memory(name, settings)
        time_ratio, memory_ratio = predicted.epoch_seconds / real, estimate / measured
        time_ratios.append(time_ratio)
        memory_ratios.append(memory_ratio)
        print(f"{name:<20}{predicted.train_batches:>8}{predicted.epoch_seconds:>14.3f}"
              f"{real:>14.3f}{time_ratio:>12.2f}{format_bytes(estimate):>13}"
              f"{format_bytes(measured):>12}{memory_ratio:>11.2f}", flush=True)
    what = "max_memory_allocated" if args.device.startswith("cuda") else \
        "weights+gradients+optimizer state+autograd-saved tensors"
    print(f"time ratio: median {statistics.median(time_ratios):.2f}, range "
          f"{min(time_ratios):.2f}-{max(time_ratios):.2f} (goal {TIME_GOAL[0]}-{TIME_GOAL[1]})")
    print(f"memory ratio ({what}): median {statistics.median(memory_ratios):.2f}, range "
          f"{min(memory_ratios):.2f}-{max(memory_ratios):.2f} "
          f"(goal {MEMORY_GOAL[0]}-{MEMORY_GOAL[1]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
