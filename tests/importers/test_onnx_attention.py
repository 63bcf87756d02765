"""Attention in ONNX files: torch's exporter writes it as MatMul/Reshape/Softmax pieces and
marks each node with its module; the importer reads each attention module back as one
layer with its weights, and refuses, naming the module or the operator, what it cannot."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime
import pytest
import torch
from torch import nn

from dlstudio.compile import compile_graph
from dlstudio.export import export_model
from dlstudio.export.exporter import build_model
from dlstudio.export.onnx_format import quiet_exporter
from dlstudio.graph import Graph
from dlstudio.importers import ImportedModel, ModelImportError, import_onnx


class AttentionModel(nn.Module):
    """What a PyTorch user writes: a projection, self-attention with a skip connection
    (need_weights left on, as by default) and a post-norm encoder layer."""

    def __init__(self, mask: bool = False) -> None:
        super().__init__()
        self.embed = nn.Linear(8, 16)
        self.attn = nn.MultiheadAttention(16, 4, batch_first=True)
        self.encoder = nn.TransformerEncoderLayer(16, 2, 24, dropout=0.0, batch_first=True,
                                                  layer_norm_eps=1e-6)
        self.mask = torch.triu(torch.full((5, 5), float("-inf")), 1) if mask else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embed(x)
        x = x + self.attn(x, x, x, attn_mask=self.mask)[0]
        return self.encoder(x)


def export_module(module: nn.Module, path, steps: int = 5) -> torch.Tensor:
    """`module` written by torch.onnx.export(dynamo=True) with a free batch axis; an
    example input."""
    x = torch.randn(3, steps, 8, generator=torch.Generator().manual_seed(4))
    with quiet_exporter():
        program = torch.onnx.export(module.eval(), (x,), None, dynamo=True, opset_version=18,
                                    dynamic_shapes=({0: torch.export.Dim("batch")},))
    program.save(str(path))
    return x


def outputs(imported: ImportedModel, x: torch.Tensor) -> np.ndarray:
    model = compile_graph(imported.graph)
    model.load_state_dict(imported.state)
    with torch.no_grad():
        return model.eval()(x).numpy()


def runtime(path, x: torch.Tensor) -> np.ndarray:
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (result,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    return result


def test_pytorch_attention_and_encoder_come_back_as_layers(tmp_path):
    path = tmp_path / "attention.onnx"
    module = AttentionModel()
    for parameter in module.parameters():  # no zero biases: every weight must be read
        nn.init.normal_(parameter, std=0.3)
    x = export_module(module, path)
    imported = import_onnx(path)
    layers = {n.name: (n.type, n.params) for n in imported.graph.nodes.values()}
    assert layers["attn"] == ("MultiheadAttention", {"num_heads": 4, "dropout": 0.0,
                                                     "bias": True, "trainable": True})
    kind, params = layers["encoder"]
    assert kind == "TransformerEncoderLayer"
    assert params | {"dropout": 0.0} == {
        "nhead": 2, "dim_feedforward": 24, "dropout": 0.0, "activation": "relu",
        "layer_norm_eps": 1e-6, "norm_first": False, "bias": True, "trainable": True}
    assert any("no dropout rate: encoder" in note for note in imported.notes)
    got = outputs(imported, x)
    with torch.no_grad():
        assert np.abs(got - module(x).numpy()).max() < 1e-5
    assert np.abs(got - runtime(path, x)).max() < 1e-5


def attention_graph() -> Graph:
    """DL Studio's attention layers with their non-default settings: one head, no biases,
    gelu, post-norm."""
    graph = Graph()
    nodes = [("Input", "series", {"kind": "sequence", "shape": (6, 8)}),
             ("Dense", "project", {"units": 12}),
             ("PositionEmbedding", "positions", {}),
             ("MultiheadAttention", "attend", {"num_heads": 1, "bias": False}),
             ("TransformerEncoderLayer", "block", {"nhead": 3, "dim_feedforward": 20,
                                                   "activation": "gelu", "bias": False,
                                                   "layer_norm_eps": 1e-4}),
             ("MultiheadAttention", "attend_again", {"num_heads": 6}),
             ("Flatten", "flatten", {}), ("Dense", "fc", {"units": 1}),
             ("Output", "output", {"loss": "mse"})]
    previous = None
    for type_name, name, params in nodes:
        node = graph.add_node(type_name, name=name, params=params)
        if previous is not None:
            graph.connect(previous, node.id)
        previous = node.id
    return graph


def structure(graph: Graph) -> tuple[dict, set]:
    nodes = {n.name: (n.type, n.params) for n in graph.nodes.values()}
    names = {n.id: n.name for n in graph.nodes.values()}
    wires = {(names[e.src], e.src_port, names[e.dst], e.dst_port) for e in graph.edges.values()}
    return nodes, wires


def test_dlstudio_attention_layers_round_trip(tmp_path):
    graph = attention_graph()
    weights = build_model(graph, None, seed=2).state_dict()
    for key, value in weights.items():  # torch starts attention biases at zero
        if key.endswith("bias"):
            value.normal_(std=0.3)
    path = tmp_path / "model.onnx"
    export_model(graph, weights, "onnx", path)
    imported = import_onnx(path)
    assert structure(imported.graph) == structure(graph)
    x = torch.randn(2, 6, 8, generator=torch.Generator().manual_seed(1))
    got = outputs(imported, x)
    with torch.no_grad():
        assert np.abs(got - build_model(graph, weights)(x).numpy()).max() < 1e-5
    assert np.abs(got - runtime(path, x)).max() < 1e-5


def test_without_the_exporters_metadata_the_operator_is_named(tmp_path):
    path = tmp_path / "plain.onnx"
    export_module(AttentionModel(), path)
    model = onnx.load(str(path))
    for node in model.graph.node:
        del node.metadata_props[:]
    onnx.save(model, str(path))
    with pytest.raises(ModelImportError, match=r"plain.onnx cannot be imported: ONNX MatMul"
                                               r".* at node 'node_MatMul_\d+'"):
        import_onnx(path)


def test_masked_attention_is_refused_naming_the_module(tmp_path):
    path = tmp_path / "masked.onnx"
    export_module(AttentionModel(mask=True), path)
    with pytest.raises(ModelImportError, match=r"nn.MultiheadAttention \(.*mask.*\) at "
                                               r"module 'attn'"):
        import_onnx(path)
