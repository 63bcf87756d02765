"""Stand-ins that the compiler builds in place of some torch classes.

Each one computes what the torch class computes, forwards and backwards, and keeps its
constructor, attributes and (empty) state_dict, so checkpoints load into either and the
generated source names the torch class (a TorchScript trace and the module's repr name
the stand-in). Only how memory is laid out differs. Being a custom autograd Function
while it trains, it does not go through torch.func transforms, and its output may not
be changed in place: no DL Studio layer does either.

Flatten: the trainer runs image models channels-last on the CPU (`train/devices.py`
says why). nn.Flatten's backward hands back a gradient in the default layout, and the
layers before it (pooling, ReLU, convolution) then mix two layouts in their backward
kernels, which is slower than either. This Flatten gives the gradient back in the
layout its input had.
"""

from __future__ import annotations

import torch
from torch import nn


class _FlattenKeepingLayout(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, start_dim: int, end_dim: int) -> torch.Tensor:  # type: ignore[override]
        ctx.shape = x.shape
        ctx.channels_last = x.dim() == 4 and not x.is_contiguous() \
            and x.is_contiguous(memory_format=torch.channels_last)
        return x.flatten(start_dim, end_dim)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:  # type: ignore[override]
        grad = grad.reshape(ctx.shape)
        if ctx.channels_last:
            grad = grad.contiguous(memory_format=torch.channels_last)
        return grad, None, None


class LayoutKeepingFlatten(nn.Flatten):
    """nn.Flatten whose gradient keeps the input's memory layout (see the module docs)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (torch.is_grad_enabled() and x.requires_grad) or torch.jit.is_tracing() \
                or torch.compiler.is_compiling():
            return super().forward(x)
        return _FlattenKeepingLayout.apply(x, self.start_dim, self.end_dim)


FASTER: dict[type[nn.Module], type[nn.Module]] = {nn.Flatten: LayoutKeepingFlatten}
