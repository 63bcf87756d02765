"""One sample at a time runs fastest on one CPU thread.

A single drawing's tensors are too small to split between threads; with several, every
operation waits for the slowest thread, and on a busy machine that wait dominates
(bench/drawpad_latency.py, 2 cores under load: stroke-to-probabilities p50 13 ms with 2
threads, 1.8 ms with 1). PyTorch's thread count is process-wide, so it is lowered only
for the milliseconds of each prediction: a training run in another thread shares the
setting for that long.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def one_torch_thread() -> Iterator[None]:
    previous = torch.get_num_threads()
    if previous == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
