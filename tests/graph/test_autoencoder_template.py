"""The autoencoder template: its shape, its count against plain PyTorch, its defaults."""

from __future__ import annotations

import torch
from torch import nn

from dlstudio.compile import compile_graph
from dlstudio.graph import infer_shapes
from dlstudio.graph.summary import summarize
from dlstudio.graph.templates import build_template, template_info, template_names
from dlstudio.train.settings import defaults_for_template


def test_autoencoder_gives_back_the_input_shape_with_the_plain_pytorch_count() -> None:
    assert "autoencoder" in template_names()
    assert template_info("autoencoder").category == "images"
    graph = build_template("autoencoder")
    report = infer_shapes(graph)
    assert report.ok and report.problems == []
    reference = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(),
                              nn.Linear(128, 32), nn.ReLU(), nn.Linear(32, 128), nn.ReLU(),
                              nn.Linear(128, 784), nn.Unflatten(1, (1, 28, 28)), nn.Sigmoid())
    expected = sum(p.numel() for p in reference.parameters())
    assert summarize(graph).total_params == expected == 209_968
    model = compile_graph(graph)
    assert sum(p.numel() for p in model.parameters()) == expected
    out = model(torch.rand(3, 1, 28, 28))
    assert out.shape == (3, 1, 28, 28) and out.min() >= 0 and out.max() <= 1
    assert model.loss_name == "mse" and model.final_activation is None


def test_autoencoder_defaults_train_on_digits_against_the_input() -> None:
    settings = defaults_for_template("autoencoder")
    assert settings.target == "input" and settings.data == "builtin:digits28"
