"""The round trip for every template: PyTorch source out and back in gives the same graph
and the same outputs; ONNX out and back in gives the same outputs, and the same graph
where the file keeps the whole of it."""

from __future__ import annotations

import numpy as np
import onnxruntime
import pytest
import torch

from dlstudio.compile import compile_graph
from dlstudio.compile.codegen import generate_source
from dlstudio.export import export_model
from dlstudio.export.exporter import build_model
from dlstudio.graph import Graph
from dlstudio.graph.templates import build_template, template_names
from dlstudio.importers import import_onnx, import_python

# An inference file leaves out what only training uses, and torch's exporter merges some
# layers: these come back with the same outputs but another graph (docs/import.md).
ONNX_CHANGES_THE_GRAPH = {
    "cnn-compact": "no Dropout",
    "vgg16-narrow": "no Dropout",
    "resnet18": "each BatchNorm folded into its convolution",
    "lstm-text": "the LSTM's last step is an LSTM over every step + Select",
    "autoencoder": "ONNX keeps no loss: an Output after a Sigmoid reads as binary_cross_entropy",
}


def structure(graph: Graph) -> tuple[dict, set]:
    """Nodes by name (type, params) and wires by names and ports: what must survive."""
    nodes = {n.name: (n.type, n.params) for n in graph.nodes.values()}
    names = {n.id: n.name for n in graph.nodes.values()}
    wires = {(names[e.src], e.src_port, names[e.dst], e.dst_port) for e in graph.edges.values()}
    return nodes, wires


def example(graph: Graph, batch: int = 3) -> torch.Tensor:
    (node,) = graph.nodes_of_type("Input")
    shape = tuple(node.params["shape"])
    generator = torch.Generator().manual_seed(1)
    if node.params["kind"] == "tokens":
        return torch.randint(0, 20, (batch, *shape), generator=generator)
    return torch.randn((batch, *shape), generator=generator)


@pytest.mark.parametrize("name", template_names())
def test_python_source_round_trip(name, tmp_path):
    """At full size, VGG16 (138M parameters) included."""
    graph = build_template(name)
    reference = build_model(graph, None, seed=3)
    path = tmp_path / "model.py"
    path.write_text(generate_source(graph, "Model"), encoding="utf-8")
    imported = import_python(path, "Model")
    assert structure(imported.graph) == structure(graph)
    model = compile_graph(imported.graph)
    model.load_state_dict(imported.state)  # fresh weights here: the file's own
    model.load_state_dict(reference.state_dict())  # and the same keys as the original
    x = example(graph)
    with torch.no_grad():
        difference = (model.eval()(x) - reference(x)).abs().max().item()
    assert difference < 1e-6


def narrow_vgg16() -> Graph:
    """VGG16's graph with 1/16 of the filters, 1/64 of the hidden units and 32x32 inputs:
    the same layers and wires, small enough to export and import in seconds."""
    graph = build_template("vgg16")
    for node in graph.nodes.values():
        if node.type == "Conv2d":
            graph.set_param(node.id, "filters", node.params["filters"] // 16)
        elif node.type == "Dense" and node.params["units"] == 4096:
            graph.set_param(node.id, "units", 64)
        elif node.type == "Input":
            graph.set_param(node.id, "shape", (3, 32, 32))
    return graph


def onnx_cases() -> list:
    cases = [pytest.param(name, id=name) for name in template_names()
             if name not in ("vgg16", "vgg16-transfer")]
    return [*cases, pytest.param("vgg16-narrow", id="vgg16-narrow")]


@pytest.mark.parametrize("name", onnx_cases())
def test_onnx_round_trip(name, tmp_path):
    graph = narrow_vgg16() if name == "vgg16-narrow" else build_template(name)
    weights = build_model(graph, None, seed=5).state_dict()
    path = tmp_path / "model.onnx"
    export_model(graph, weights, "onnx", path)
    imported = import_onnx(path)
    assert (structure(imported.graph) == structure(graph)) is (name not in
                                                               ONNX_CHANGES_THE_GRAPH)
    model = compile_graph(imported.graph)
    model.load_state_dict(imported.state)
    reference = build_model(graph, weights)
    x = example(graph)
    with torch.no_grad():
        got = model.eval()(x)
        assert (got - reference(x)).abs().max().item() < 1e-5
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (runtime,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    assert np.abs(got.numpy() - runtime).max() < 1e-5

