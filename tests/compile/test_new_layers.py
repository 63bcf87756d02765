"""The attention layers behave as their torch counterparts: imported nn.MultiheadAttention
weights load and give the same output; TransformerEncoderLayer's eval fast path computes
what training mode computes; and the transformer-text template learns the built-in text."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch
from torch import nn

from dlstudio.compile import compile_graph
from dlstudio.compile.modules import SelfAttention
from dlstudio.data import DataBundle, DataSplit, load_data
from dlstudio.graph.templates import build_template
from dlstudio.graph.templates.builder import Builder
from dlstudio.train import Trainer, defaults_for_template


@pytest.mark.parametrize("bias", [True, False])
def test_self_attention_takes_torch_weights_and_gives_torch_output(bias: bool) -> None:
    torch.manual_seed(0)
    reference = nn.MultiheadAttention(8, 2, bias=bias, batch_first=True).eval()
    layer = SelfAttention(8, 2, bias=bias).eval()
    assert set(layer.state_dict()) == set(reference.state_dict())
    layer.load_state_dict(reference.state_dict(), strict=True)
    x = torch.randn(3, 5, 8)
    with torch.no_grad():
        torch.testing.assert_close(layer(x), reference(x, x, x)[0], rtol=0, atol=1e-6)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_fast_path_computes_what_training_mode_computes(norm_first: bool
                                                                      ) -> None:
    """In eval mode without gradients torch takes a fused "fast path"; with dropout 0
    training mode takes the plain one. Exports and checks compare the two, so they agree."""
    b = Builder()
    b.add("Input", "series", kind="sequence", shape=(6, 8))
    b.add("TransformerEncoderLayer", "block", nhead=2, dim_feedforward=16, dropout=0.0,
          norm_first=norm_first, activation="gelu")
    b.add("Output", "output", loss="mse")
    torch.manual_seed(1)
    model = compile_graph(b.graph)
    x = torch.randn(4, 6, 8)
    plain = model.train()(x).detach()
    with torch.no_grad():
        fast = model.eval()(x)
    torch.testing.assert_close(fast, plain, rtol=0, atol=1e-5)


def first_windows(bundle: DataBundle, train: int, val: int) -> DataBundle:
    def part(split: DataSplit, count: int) -> DataSplit:
        return DataSplit(split.x[:count], split.y[:count], split.pipeline)

    return DataBundle(bundle.info, part(bundle.train, train), part(bundle.val, val), None)


def test_transformer_text_learns_the_builtin_text() -> None:
    """Two short epochs with the template's own settings on 1,024 windows of the text."""
    settings = replace(defaults_for_template("transformer-text"), device="cpu", epochs=2,
                       schedule="none", lr=3e-3)
    data = first_windows(load_data(settings.data, seed=0, val_fraction=settings.val_fraction),
                         1024, 256)
    result = Trainer(build_template("transformer-text"), data, settings).run()
    uniform = math.log(128)  # a uniform guess over the 128 character codes
    first, last = result.history[0], result.history[-1]
    assert first.train["loss"] < uniform
    assert last.train["loss"] < first.train["loss"]
    assert last.val["loss"] < 0.65 * uniform
