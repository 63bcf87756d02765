"""Saliency maps point at the pixels that decide the class."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlstudio.compile import compile_graph
from dlstudio.graph.templates import build_template
from dlstudio.infer.saliency import class_score, saliency

PAPER = -0.5  # the model-input value of blank paper


class HalfSums(nn.Module):
    """Class 0 scores the ink in the left half of the image, class 1 the right half."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ink = x - PAPER
        width = x.shape[-1]
        left = ink[..., : width // 2].sum(dim=(1, 2, 3))
        right = ink[..., width // 2:].sum(dim=(1, 2, 3))
        return torch.stack([left, right], dim=1)


class OneLogit(nn.Module):
    """A sigmoid classifier's score: the ink in the top half."""

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return (x[..., : x.shape[-2] // 2, :] - PAPER).sum(dim=(1, 2, 3))[:, None]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(x))


def two_blots() -> torch.Tensor:
    """A 1×28×28 input: paper with one blot of ink on each side."""
    x = torch.full((1, 28, 28), PAPER)
    x[0, 10:16, 3:9] = 1.0
    x[0, 10:16, 19:25] = 1.0
    return x


@pytest.mark.parametrize("method", ["gradient", "occlusion"])
def test_saliency_lights_up_the_ink_that_scores_the_class(method: str) -> None:
    x = two_blots()
    for target, side in ((0, slice(0, 14)), (1, slice(14, 28))):
        heat = saliency(HalfSums(), x, target, method, paper=PAPER)
        assert heat.shape == (28, 28)
        assert float(heat.max()) == pytest.approx(1.0)
        assert float(heat.min()) >= 0.0
        share = float(heat[:, side].sum() / heat.sum())
        assert share > 0.9, f"{method} for class {target}: {share:.2f} on its side"
        assert float(heat[0:5].sum()) < 0.02 * float(heat.sum())  # blank paper, far away


def test_gradients_without_paper_give_plain_sensitivity() -> None:
    heat = saliency(HalfSums(), two_blots(), 0, "gradient", paper=None)
    assert float(heat[:, :12].min()) > 0.5  # every left pixel counts, inked or not
    assert float(heat[:, 16:].max()) == 0.0


def test_a_single_sigmoid_output_scores_both_classes() -> None:
    model = OneLogit()
    x = two_blots()[None]
    assert torch.allclose(class_score(model, x, 0), -class_score(model, x, 1))
    heat = saliency(model, two_blots(), 0, "occlusion", paper=PAPER)
    assert float(heat[14:].sum()) == 0.0  # the bottom half never changes the answer


def test_a_model_that_ignores_its_input_gives_a_blank_map() -> None:
    class Constant(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bias = nn.Parameter(torch.tensor([1.0, 2.0]))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.bias.expand(len(x), 2) + 0 * x.sum()

    for method in ("gradient", "occlusion"):
        assert float(saliency(Constant(), two_blots(), 1, method).abs().max()) == 0.0


def test_compiled_graphs_use_their_logits_and_keep_their_weights_clean() -> None:
    torch.manual_seed(0)
    model = compile_graph(build_template("cnn-small")).eval()
    x = torch.randn(1, 28, 28)
    for method in ("gradient", "occlusion"):
        heat = saliency(model, x, 3, method)
        assert heat.shape == (28, 28) and float(heat.max()) == pytest.approx(1.0)
    assert all(p.grad is None for p in model.parameters())


def test_unknown_method_is_named() -> None:
    with pytest.raises(ValueError, match="'smooth'"):
        saliency(HalfSums(), two_blots(), 0, "smooth")
