"""Class probabilities of a classifier trained against one-hot targets (mse, l1, huber).

Such a model was taught to output the one-hot of the class, so its outputs are already
on the probability scale (after a Softmax they are probabilities); a softmax over them
would flatten every answer towards 1/C. Its scores are clipped at 0 and divided by their
sum instead; a single output (two classes) is the chance of the second class.
"""

from __future__ import annotations

import torch

ONE_HOT_LOSSES = ("mse", "l1", "huber")


def one_hot_probabilities(scores: torch.Tensor) -> torch.Tensor:
    """Scores (..., C) -> probabilities (..., C); (..., 1) -> (..., 2)."""
    if scores.shape[-1] == 1:
        p = scores.clamp(0.0, 1.0)
        return torch.cat([1.0 - p, p], dim=-1)
    positive = scores.clamp_min(0.0)
    total = positive.sum(dim=-1, keepdim=True)
    uniform = torch.full_like(positive, 1.0 / scores.shape[-1])
    return torch.where(total > 0, positive / total.clamp_min(1e-12), uniform)
