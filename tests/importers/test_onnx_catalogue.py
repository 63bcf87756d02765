"""Every catalogue layer that ONNX export supports comes back from DL Studio's own ONNX
file, with the same outputs; the few the file merges or drops are listed here and in
docs/import.md."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

from dlstudio.compile import compile_graph
from dlstudio.export import export_model
from dlstudio.export.exporter import build_model
from dlstudio.importers import import_onnx


def _graphs():
    path = Path(__file__).with_name("catalogue_graphs.py")
    spec = importlib.util.spec_from_file_location("import_catalogue_graphs", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


GRAPHS = _graphs()
# What an inference file drops or merges: the layer comes back as another, or not at all.
CHANGED = {"Dropout", "Dropout2d", "Identity", "BatchNorm1d", "SiLU", "AdaptiveAvgPool2d"}


@pytest.mark.parametrize("name", ["image_graph", "sequence_graph", "signal_graph"])
def test_onnx_round_trip_of_every_catalogue_layer(name, tmp_path):
    graph = getattr(GRAPHS, name)()
    weights = build_model(graph, None, seed=5).state_dict()
    path = tmp_path / "model.onnx"
    export_model(graph, weights, "onnx", path)
    imported = import_onnx(path)
    sent = {n.type for n in graph.nodes.values()}
    back = {n.type for n in imported.graph.nodes.values()}
    assert sent - back <= CHANGED
    model = compile_graph(imported.graph)
    model.load_state_dict(imported.state)
    reference = build_model(graph, weights)
    shape = tuple(graph.nodes_of_type("Input")[0].params["shape"])
    x = torch.randint(0, 20, (3, *shape)) if name == "sequence_graph" else \
        torch.randn(3, *shape)
    with torch.no_grad():
        assert (model.eval()(x) - reference(x)).abs().max().item() < 1e-5
