"""Model inputs shown to a person: the mistakes grid of the live dashboard and of the
Evaluate view both draw samples this way."""

from __future__ import annotations

import numpy as np
import torch

from dlstudio.data import DataInfo
from dlstudio.data.textfile import info_layout


def class_name(names: tuple[str, ...], index: int) -> str:
    """The name of class `index`, or its number when the data names no classes."""
    return names[index] if 0 <= index < len(names) else str(index)


def displayable(inputs: torch.Tensor, info: DataInfo) -> np.ndarray | list[str]:
    """Model inputs back to something a person can look at: images un-normalised to
    0..1 as (N, H, W[, 3]); characters (ids or one-hot) decoded when the classes are
    characters; other data as its first values."""
    if info.kind == "image" and inputs.dim() == 4:
        images = inputs.float()
        norm = info.normalisation
        if norm is not None and len(norm.mean) == images.shape[1]:
            mean = torch.tensor(norm.mean).view(1, -1, 1, 1)
            std = torch.tensor(norm.std).view(1, -1, 1, 1)
            images = images * std + mean
        images = images.clamp(0.0, 1.0)
        if images.shape[1] == 1:
            return images[:, 0].numpy()
        return images[:, :3].permute(0, 2, 3, 1).numpy()
    layout = info_layout(info)
    if layout is not None and layout.one_hot and inputs.dim() == 3:
        inputs = inputs.argmax(dim=-1)  # one-hot characters back to their ids
    if (layout is not None or info.kind == "tokens") \
            and all(len(name) == 1 for name in info.class_names):
        return ["".join(class_name(info.class_names, int(t)) for t in row) for row in inputs]
    flat = inputs.float().reshape(len(inputs), -1)
    return [", ".join(f"{v:.3g}" for v in row[:6].tolist()) + (" …" if row.numel() > 6 else "")
            for row in flat]
