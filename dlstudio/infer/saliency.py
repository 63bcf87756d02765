"""Which pixels drove a classifier's decision: input-gradient and occlusion saliency.

Both give an (H, W) map in 0..1 over the model's input, for one sample, so the drawing
pad can lay it over the drawing. Both measure against blank paper (`paper`, the input
value of an empty pixel): gradients times the difference from paper (one backward pass;
a first-order estimate of what erasing each pixel would do), and occlusion, which paints
paper over each patch and watches the class probability fall (one forward pass per
patch position, batched). Without `paper`, gradients give plain sensitivity |d score/dx|.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

METHODS = ("gradient", "occlusion")
_OCCLUSION_BATCH = 128


def saliency(model: nn.Module, x: torch.Tensor, target: int, method: str = "gradient",
             paper: float | torch.Tensor = 0.0) -> torch.Tensor:
    """Saliency of class `target` for one input `x` (C, H, W): an (H, W) map in 0..1.

    `paper` is the model-input value of blank paper (one number or one per channel).
    """
    if method == "gradient":
        return gradient_saliency(model, x, target, paper)
    if method == "occlusion":
        return occlusion_saliency(model, x, target, paper)
    raise ValueError(f"unknown saliency method {method!r}; use {' or '.join(METHODS)}")


def class_score(model: nn.Module, x: torch.Tensor, target: int) -> torch.Tensor:
    """The score (logit) of class `target` for a batch (N, ...) -> (N,).

    Scores come before a final Softmax/Sigmoid (`logits()` of a compiled graph), where
    gradients do not vanish for confident predictions. A single sigmoid output scores
    class 1 as its logit and class 0 as minus it.
    """
    out = _outputs(model, x)
    if out.shape[1] == 1:
        return out[:, 0] if target == 1 else -out[:, 0]
    return out[:, target]


def gradient_saliency(model: nn.Module, x: torch.Tensor, target: int,
                      paper: float | torch.Tensor | None = None) -> torch.Tensor:
    """|d score / d input × (input - paper)| summed over channels (|d score / d input|,
    the largest over channels, when `paper` is None), smoothed over ~1/28 of the side:
    raw gradients flicker from pixel to pixel and would hide the shape they outline."""
    sample = x.detach()[None].clone().requires_grad_(True)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(class_score(model, sample, target).sum(), sample)
    if paper is None:
        heat = grad[0].abs().amax(dim=0)
    else:
        blank = torch.as_tensor(paper, dtype=x.dtype).reshape(-1, 1, 1)
        heat = (grad[0] * (x.detach() - blank)).abs().sum(dim=0)
    return _scaled(_smoothed(heat))


def occlusion_saliency(model: nn.Module, x: torch.Tensor, target: int,
                       paper: float | torch.Tensor = 0.0) -> torch.Tensor:
    """How much the class probability drops when a patch (1/7 of the side, half-patch
    stride) is painted with `paper`, spread over the pixels of each patch."""
    channels, height, width = x.shape
    patch_h, patch_w = max(1, height // 7), max(1, width // 7)
    stride_h, stride_w = max(1, patch_h // 2), max(1, patch_w // 2)
    tops = range(0, max(1, height - patch_h + 1), stride_h)
    lefts = range(0, max(1, width - patch_w + 1), stride_w)
    places = [(top, left) for top in tops for left in lefts]
    fill_value = torch.as_tensor(paper, dtype=x.dtype).reshape(-1, 1, 1).expand(channels, 1, 1)
    with torch.inference_mode():
        base = _probability(model, x[None], target)[0]
        drop = torch.zeros(height, width, dtype=torch.float64)
        count = torch.zeros(height, width, dtype=torch.float64)
        for start in range(0, len(places), _OCCLUSION_BATCH):
            chunk = places[start:start + _OCCLUSION_BATCH]
            batch = x[None].repeat(len(chunk), 1, 1, 1)
            for i, (top, left) in enumerate(chunk):
                batch[i, :, top:top + patch_h, left:left + patch_w] = fill_value
            drops = (base - _probability(model, batch, target)).double()
            for (top, left), value in zip(chunk, drops.tolist(), strict=True):
                drop[top:top + patch_h, left:left + patch_w] += value
                count[top:top + patch_h, left:left + patch_w] += 1
    heat = (drop / count.clamp_min(1)).clamp_min(0).float()
    return _scaled(heat)


def _outputs(model: nn.Module, batch: torch.Tensor) -> torch.Tensor:
    """(N, classes) scores: `logits()` of a compiled graph, else the plain output."""
    logits_of = getattr(model, "logits", None)
    out = logits_of(batch) if callable(logits_of) else model(batch)
    return out.reshape(len(batch), -1)


def _probability(model: nn.Module, batch: torch.Tensor, target: int) -> torch.Tensor:
    out = _outputs(model, batch)
    if out.shape[1] == 1:
        p = torch.sigmoid(out[:, 0])
        return p if target == 1 else 1 - p
    return torch.softmax(out, dim=1)[:, target]


def _smoothed(heat: torch.Tensor) -> torch.Tensor:
    height, width = heat.shape
    sigma = max(0.5, min(height, width) / 28)
    radius = max(1, round(2 * sigma))
    offsets = torch.arange(-radius, radius + 1, dtype=heat.dtype)
    kernel = torch.exp(-(offsets ** 2) / (2 * sigma ** 2))
    kernel = kernel / kernel.sum()
    image = heat[None, None]
    image = F.conv2d(F.pad(image, (radius, radius, 0, 0), mode="replicate"),
                     kernel.view(1, 1, 1, -1))
    image = F.conv2d(F.pad(image, (0, 0, radius, radius), mode="replicate"),
                     kernel.view(1, 1, -1, 1))
    return image[0, 0]


def _scaled(heat: torch.Tensor) -> torch.Tensor:
    """0..1 by the map's own maximum (a flat map stays 0): only the shape matters."""
    top = float(heat.max())
    return heat / top if top > 0 else torch.zeros_like(heat)
