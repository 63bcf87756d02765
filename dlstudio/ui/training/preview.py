"""What the data panel shows of a loaded dataset: some samples with their labels (images,
or the first table rows) and how many samples each class has."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from dlstudio.data import DataBundle, DataSplit, Split

SAMPLES = 32
ROWS = 10
COLUMNS = 8  # table columns shown before the rest is summarised


@dataclass(frozen=True)
class DataPreview:
    """`images` (N, H, W) or (N, H, W, 3) in 0..1 with `labels`, or table `rows` under
    `columns`; `class_counts` (name, training samples) for classification data."""

    summary: str
    images: np.ndarray | None
    labels: list[str]
    columns: list[str]
    rows: list[list[str]]
    class_counts: list[tuple[str, int]]


def make_preview(bundle: DataBundle, count: int = SAMPLES) -> DataPreview:
    info, split = bundle.info, bundle.train
    x, y = _first_samples(split, count if info.kind == "image" else ROWS)
    labels = [_label(bundle, target) for target in y]
    images = None
    columns: list[str] = []
    rows: list[list[str]] = []
    if info.kind == "image":
        images = x.clamp(0.0, 1.0)
        images = images[:, 0] if images.shape[1] == 1 else images[:, :3].permute(0, 2, 3, 1)
        images = images.numpy()
    else:
        columns, rows = _table(bundle, x, labels)
    return DataPreview(bundle.summary(), images, labels, columns, rows, class_counts(bundle))


def _first_samples(split: Split, count: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The first `count` training samples, un-normalised (pixels in 0..1), on the CPU."""
    count = min(count, len(split))
    if isinstance(split, DataSplit):
        raw = split.pipeline.without_normalisation()
        return raw(split.x[:count]).cpu(), split.y[:count].cpu()
    inputs, targets = zip(*(split.dataset[i] for i in range(count)), strict=True)
    return torch.stack(inputs), torch.as_tensor(targets)


def _label(bundle: DataBundle, target: torch.Tensor) -> str:
    names = bundle.info.class_names
    if bundle.info.task == "classification":
        index = int(target)
        return names[index] if 0 <= index < len(names) else str(index)
    return ", ".join(f"{v:.4g}" for v in target.reshape(-1).tolist())


def _table(bundle: DataBundle, x: torch.Tensor, labels: list[str]
           ) -> tuple[list[str], list[list[str]]]:
    info = bundle.info
    flat = x.reshape(len(x), -1)
    width = flat.shape[1] if len(flat) else 0
    if info.kind == "tokens" and all(len(n) == 1 for n in info.class_names):
        text = ["".join(info.class_names[int(t)] for t in row) for row in flat]
        return ["input", "target"], [[repr(t), repr(label)] for t, label in
                                     zip(text, labels, strict=True)]
    names = list(info.feature_names) if len(info.feature_names) == width else \
        [f"x{i}" for i in range(width)]
    shown = names[:COLUMNS] + (["…"] if width > COLUMNS else [])
    rows = []
    for row, label in zip(flat.tolist(), labels, strict=True):
        cells = [f"{v:.4g}" for v in row[:COLUMNS]] + (["…"] if width > COLUMNS else [])
        rows.append(cells + [label])
    return shown + ["target"], rows


def class_counts(bundle: DataBundle) -> list[tuple[str, int]]:
    """Training samples per class; empty for regression or when the labels are not at
    hand without reading every file."""
    info, split = bundle.info, bundle.train
    if info.task != "classification":
        return []
    if isinstance(split, DataSplit):
        targets = split.y.reshape(-1).long().cpu()
    else:
        items = getattr(split.dataset, "items", None)
        if items is None:
            return []
        targets = torch.tensor([label for _, label in items], dtype=torch.long)
    counts = torch.bincount(targets, minlength=info.num_classes).tolist()
    return list(zip(info.class_names, counts[:info.num_classes], strict=True))
