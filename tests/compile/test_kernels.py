"""The compiler's stand-ins compute what the torch classes compute, forwards and
backwards, and the generated source still names the torch classes."""

from __future__ import annotations

import torch
from torch import nn

from dlstudio.compile import compile_graph, generate_source
from dlstudio.compile.kernels import LayoutKeepingFlatten
from dlstudio.graph.templates import build_template


def _forward_backward(module: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    x = x.detach().clone().requires_grad_()
    out = module(x)
    out.backward(torch.arange(out.numel(), dtype=out.dtype).reshape(out.shape))
    assert x.grad is not None
    return out, x.grad


def test_flatten_matches_nn_flatten_and_keeps_a_channels_last_gradient_channels_last() -> None:
    images = torch.randn(4, 3, 5, 6)
    for x in (images, images.contiguous(memory_format=torch.channels_last)):
        ours, ours_grad = _forward_backward(LayoutKeepingFlatten(), x)
        theirs, theirs_grad = _forward_backward(nn.Flatten(), x)
        assert torch.equal(ours, theirs)
        assert torch.equal(ours_grad, theirs_grad)
        assert ours_grad.is_contiguous(memory_format=torch.channels_last) \
            == x.is_contiguous(memory_format=torch.channels_last)
    ours, _ = _forward_backward(LayoutKeepingFlatten(start_dim=2), torch.randn(2, 3, 4, 5))
    assert ours.shape == (2, 3, 20)


def test_compiled_models_use_the_stand_in_and_generated_source_names_torch() -> None:
    graph = build_template("cnn-small")
    assert isinstance(compile_graph(graph).flatten, LayoutKeepingFlatten)
    source = generate_source(graph)
    assert "nn.Flatten(" in source and "LayoutKeepingFlatten" not in source
