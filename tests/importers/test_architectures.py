"""Real architectures written in plain PyTorch with torchvision's module names and random
weights: imported, then compared output for output with the original module."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlstudio.compile import compile_graph
from dlstudio.importers import ImportedModel, trace_module


def same_outputs(module: nn.Module, imported: ImportedModel, x: torch.Tensor) -> float:
    model = compile_graph(imported.graph)
    model.load_state_dict(imported.state)
    with torch.no_grad():
        return (model.eval()(x) - module.eval()(x)).abs().max().item()


def names(imported: ImportedModel) -> set[str]:
    return {node.name for node in imported.graph.nodes.values()}


def counts(imported: ImportedModel) -> dict[str, int]:
    found: dict[str, int] = {}
    for node in imported.graph.nodes.values():
        found[node.type] = found.get(node.type, 0) + 1
    return found


def randomise_statistics(module: nn.Module) -> nn.Module:
    """Batch norms with non-trivial running statistics, so folding them would show."""
    generator = torch.Generator().manual_seed(2)
    for layer in module.modules():
        if isinstance(layer, nn.BatchNorm2d):
            layer.running_mean.copy_(torch.randn(layer.num_features, generator=generator))
            layer.running_var.copy_(torch.rand(layer.num_features, generator=generator) + 0.5)
    return module


def test_resnet18(arch):
    module = randomise_statistics(arch.ResNet18(num_classes=10))
    imported = trace_module(module, [(3, 64, 64)], name="ResNet18")
    assert counts(imported)["Conv2d"] == 20 and counts(imported)["Add"] == 8
    assert counts(imported)["BatchNorm2d"] == 20
    assert {"conv1", "layer1_0_conv1", "layer2_0_downsample_0", "fc"} <= names(imported)
    params = sum(p.numel() for p in module.parameters())
    assert sum(t.numel() for k, t in imported.state.items() if "running" not in k
               and "num_batches" not in k) == params
    x = torch.randn(2, 3, 64, 64)
    assert same_outputs(module, imported, x) < 1e-5


def test_vgg_style(arch):
    module = arch.VGG(cfg=(16, "M", 32, "M", 64, 64, "M"), num_classes=10, hidden=64, pool=2)
    imported = trace_module(module, [(3, 32, 32)], name="VGG")
    assert counts(imported)["Conv2d"] == 4 and counts(imported)["Dropout"] == 2
    assert counts(imported)["AdaptiveAvgPool2d"] == 1
    assert {"features_0", "avgpool", "classifier_6"} <= names(imported)
    assert same_outputs(module, imported, torch.randn(2, 3, 32, 32)) < 1e-5


def test_mobilenet_inverted_residual(arch):
    module = randomise_statistics(arch.MobileNetBlocks())
    imported = trace_module(module, name="MobileNetBlocks")  # its input_shapes attribute
    depthwise = [n for n in imported.graph.nodes.values()
                 if n.type == "Conv2d" and n.params["groups"] > 1]
    assert [n.params["groups"] for n in depthwise] == [96, 144]
    assert counts(imported)["ReLU6"] == 5 and counts(imported)["Add"] == 1
    assert same_outputs(module, imported, torch.randn(2, 3, 32, 32)) < 1e-5


def test_lstm_text_model(arch):
    module = arch.CharLSTM()
    imported = trace_module(module, name="CharLSTM")
    (lstm,) = imported.graph.nodes_of_type("LSTM")
    assert lstm.params["num_layers"] == 2 and lstm.params["return_sequences"]
    assert imported.graph.nodes_of_type("Input")[0].params["kind"] == "tokens"
    assert counts(imported)["Select"] == 1
    x = torch.randint(0, 50, (3, 20))
    assert same_outputs(module, imported, x) < 1e-6


def test_recurrent_final_state(arch):
    module = arch.GRUState()
    imported = trace_module(module, name="GRUState")
    assert imported.graph.nodes_of_type("Output")[0].params["loss"] == "binary_cross_entropy"
    assert any("loss is a guess" in note for note in imported.notes)
    assert same_outputs(module, imported, torch.randn(4, 12, 4)) < 1e-6


def test_transformer_encoder_and_functions():
    class Classifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0,
                                                      activation="gelu", batch_first=True)
            self.fc = nn.Linear(16, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.encoder(x.permute(0, 2, 1))
            return torch.log_softmax(self.fc(torch.relu(x[:, 0])), dim=-1)

    module = Classifier()
    imported = trace_module(module, [(16, 5)])
    assert counts(imported)["Permute"] == 1 and counts(imported)["LogSoftmax"] == 1
    (encoder,) = imported.graph.nodes_of_type("TransformerEncoderLayer")
    assert encoder.params["activation"] == "gelu" and encoder.params["nhead"] == 2
    assert same_outputs(module, imported, torch.randn(2, 16, 5)) < 1e-5


@pytest.mark.parametrize("frozen", [True, False])
def test_frozen_layers_stay_frozen(frozen):
    module = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    module[0].requires_grad_(not frozen)
    imported = trace_module(module, [(4,)])
    assert imported.graph.node_by_name("n0").params["trainable"] is not frozen
