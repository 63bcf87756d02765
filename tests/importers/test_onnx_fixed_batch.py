"""Files exported the ordinary way, with one example of batch 1 and no dynamic axes: the
exporters write that batch size into reshape targets, where it stands for the batch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from dlstudio.compile import compile_graph
from dlstudio.export.onnx_format import quiet_exporter
from dlstudio.importers import import_onnx


class SmallCNN(nn.Module):
    def __init__(self, flatten: str) -> None:
        super().__init__()
        self.flatten = flatten
        self.conv = nn.Conv2d(1, 4, 3)
        self.fc = nn.Linear(4 * 6 * 6, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.conv(x))
        if self.flatten == "flatten":
            x = torch.flatten(x, 1)
        elif self.flatten == "view":
            x = x.view(x.size(0), -1)
        else:
            x = x.reshape(x.shape[0], -1)
        return self.fc(x)


@pytest.mark.parametrize(("dynamo", "flatten"), [(True, "flatten"), (False, "view"),
                                                 (False, "reshape")])
def test_a_batch_one_export_imports_and_takes_any_batch(tmp_path, dynamo, flatten):
    module = SmallCNN(flatten).eval()
    path = tmp_path / "cnn.onnx"
    with quiet_exporter():
        torch.onnx.export(module, (torch.randn(1, 1, 8, 8),), str(path), dynamo=dynamo)
    imported = import_onnx(path)
    assert [n.type for n in imported.graph.nodes.values()] == [
        "Input", "Conv2d", "ReLU", "Flatten", "Dense", "Output"]
    model = compile_graph(imported.graph)
    model.load_state_dict(imported.state)
    x = torch.randn(4, 1, 8, 8)
    with torch.no_grad():
        np.testing.assert_allclose(model.eval()(x), module(x), atol=1e-5)
