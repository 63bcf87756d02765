"""Training throughput: DL Studio's Trainer against a hand-written PyTorch loop.

Same data (the built-in 28×28 digits, same split and normalisation), same architecture
(the `mlp` / `cnn-small` templates compiled by DL Studio; the reference writes them by
hand with nn.Sequential and gets the same initial weights), same optimizer (Adam), batch
size and device. The reference is the loop most tutorials teach: a shuffled
DataLoader(TensorDataset) over normalised tensors, then a validation pass each epoch,
loss and accuracy tracked like the Trainer does. Warm-up epochs are excluded and the
fastest epoch of `--repeats` interleaved runs counts (robust to a busy machine). Peak
memory (what training adds to the loaded data) is measured in a fresh process per side.
Goal: ratio (DL Studio / reference) >= 1.0 everywhere and >= 1.3 on these small models.

Run: .venv/bin/python bench/train_throughput.py [--device cpu|cuda|mps] [--epochs N]
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from dlstudio.compile import compile_graph
from dlstudio.data import DataBundle, DataSplit, load_data
from dlstudio.graph.templates import build_template
from dlstudio.train.settings import TrainSettings
from dlstudio.train.trainer import Trainer

MODELS = ("mlp", "cnn-small")
GOAL_ALL, GOAL_SMALL = 1.0, 1.3  # every model here is small, so 1.3 applies
LR = 1e-3


def hand_written(name: str) -> nn.Sequential:
    """The template's architecture as a PyTorch user writes it (logits out: the
    template's final Softmax is folded into CrossEntropyLoss, as DL Studio does)."""
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    if name == "cnn-small":
        return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(32 * 13 * 13, 128), nn.ReLU(), nn.Linear(128, 10))
    raise ValueError(f"no hand-written version of {name!r}")


def same_weights(reference: nn.Module, name: str) -> None:
    """Copy the compiled template's initial weights into the hand-written model."""
    torch.manual_seed(0)
    compiled = compile_graph(build_template(name))
    ours = [p for p in compiled.parameters()]
    theirs = [p for p in reference.parameters()]
    assert [p.shape for p in ours] == [p.shape for p in theirs], name
    with torch.no_grad():
        for mine, other in zip(ours, theirs, strict=True):
            other.copy_(mine)


# ----- peak memory ---------------------------------------------------------------------------
def training_peak_mib(train: Callable[[], object], device: torch.device) -> float:
    """What `train()` adds at its peak to the memory in use when it starts (data loaded):
    CUDA's allocator peak on a GPU, else the resident set size sampled every millisecond
    (Linux; elsewhere the growth of the process's lifetime peak)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        train()
        torch.cuda.synchronize(device)
        return (torch.cuda.max_memory_allocated(device) - base) / 2**20
    base = _rss()
    peak = [base]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.001):
            peak[0] = max(peak[0], _rss())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        train()
    finally:
        done.set()
        sampler.join()
    return (max(peak[0], _rss()) - base) / 2**20


def _rss() -> int:
    try:
        with open("/proc/self/statm") as stream:
            return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, else KiB
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def measure_memory(side: str, name: str, args: argparse.Namespace) -> float:
    """`training_peak_mib` of one side in a fresh process, so that memory the other side
    freed (and the allocator kept) does not hide this side's needs."""
    command = [sys.executable, __file__, "--memory-of", side, "--models", name,
               "--device", args.device, "--batch-size", str(args.batch_size),
               "--epochs", "1", "--warmup", "1", "--threads", str(args.threads)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


# ----- the two loops -------------------------------------------------------------------------
@dataclass
class Run:
    epoch_seconds: list[float]  # measured epochs only (training and validation pass)
    val_accuracy: float


def run_reference(name: str, bundle: DataBundle, device: torch.device, batch_size: int,
                  warmup: int, epochs: int) -> Run:
    train, val = bundle.train, bundle.val
    assert isinstance(train, DataSplit) and isinstance(val, DataSplit)
    x_train, x_val = train.inputs(), val.inputs()  # normalised once, up front
    train_loader = DataLoader(TensorDataset(x_train, train.y), batch_size=batch_size,
                              shuffle=True, generator=torch.Generator().manual_seed(0))
    val_loader = DataLoader(TensorDataset(x_val, val.y), batch_size=batch_size)
    model = hand_written(name)
    same_weights(model, name)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    criterion = nn.CrossEntropyLoss()
    history: list[tuple[float, float, float]] = []  # train loss, train and val accuracy
    ended: list[float] = []
    for _ in range(warmup + epochs):
        model.train()
        total_loss = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            optimizer.zero_grad(set_to_none=True)
            logits = model(x)
            loss = criterion(logits, y)
            loss.backward()
            optimizer.step()
            total_loss += loss.detach() * len(y)
            correct += (logits.argmax(1) == y).sum()
        model.eval()
        val_correct = 0
        with torch.no_grad():
            for x, y in val_loader:
                x, y = x.to(device), y.to(device)
                val_correct += int((model(x).argmax(1) == y).sum())
        history.append((total_loss.item() / len(train), correct.item() / len(train),
                        val_correct / len(val)))
        ended.append(_synced(device))
    return Run(_durations(ended)[warmup - 1:], history[-1][2])


def run_trainer(name: str, bundle: DataBundle, device: torch.device, batch_size: int,
                warmup: int, epochs: int) -> Run:
    settings = TrainSettings(epochs=warmup + epochs, batch_size=batch_size, lr=LR,
                             optimizer="adam", device=str(device), seed=0,
                             mixed_precision=False)
    trainer = Trainer(build_template(name), bundle, settings, out_dir=None)
    ended: list[float] = []
    trainer.events.epoch_ended.connect(lambda stats: ended.append(_synced(device)))
    result = trainer.run()
    return Run(_durations(ended)[warmup - 1:], float(result.final.get("accuracy", math.nan)))


def _durations(times: list[float]) -> list[float]:
    """Epoch lengths from epoch-end times: epoch 2 onwards (the first has no start)."""
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def _synced(device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


RUNNERS: dict[str, Callable[..., Run]] = {"reference": run_reference, "ours": run_trainer}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or mps")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=4, help="measured epochs per run")
    parser.add_argument("--warmup", type=int, default=1, choices=range(1, 10),
                        metavar="N", help="epochs left out of the timing (at least 1)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs per side")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(),
                        help="CPU threads for torch (1 gives steadier numbers on a busy "
                             "machine; default: torch's choice)")
    parser.add_argument("--memory-of", choices=list(RUNNERS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    bundle = load_data("builtin:digits28", seed=0).to(device)
    if args.memory_of:  # a child of measure_memory: one run, then its peak
        runner = RUNNERS[args.memory_of]
        peak = training_peak_mib(lambda: runner(args.models[0], bundle, device,
                                                args.batch_size, 1, 1), device)
        print(f"{peak:.2f}")
        return 0
    print(f"{bundle.summary()}; batch {args.batch_size}; the fastest of {args.epochs} "
          f"epochs (after {args.warmup} warm-up) x {args.repeats} runs; device {device}, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'model':<10} {'DL Studio':>11} {'reference':>11} {'ratio':>6}   "
          f"{'peak MiB ours / ref':>20}   val accuracy ours / ref")
    met = True
    for name in args.models:
        runs: dict[str, list[Run]] = {side: [] for side in RUNNERS}
        for _ in range(args.repeats):
            for side, runner in RUNNERS.items():
                runs[side].append(runner(name, bundle, device, args.batch_size,
                                         args.warmup, args.epochs))
        speed = {side: len(bundle.train) / min(s for run in side_runs
                                               for s in run.epoch_seconds)
                 for side, side_runs in runs.items()}
        memory = {side: measure_memory(side, name, args) for side in RUNNERS}
        ratio = speed["ours"] / speed["reference"]
        met = met and ratio >= GOAL_SMALL
        print(f"{name:<10} {speed['ours']:>9,.0f}/s {speed['reference']:>9,.0f}/s "
              f"{ratio:>6.2f}   {memory['ours']:>9.1f} / {memory['reference']:<8.1f}   "
              f"{runs['ours'][-1].val_accuracy:.3f} / {runs['reference'][-1].val_accuracy:.3f}")
    print(f"goal: ratio >= {GOAL_ALL} everywhere, >= {GOAL_SMALL} on these small models: "
          f"{'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
