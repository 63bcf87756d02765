"""Node names become attributes of the compiled module: none may shadow one it has."""

from __future__ import annotations

from torch import nn

from dlstudio.compile import compile_graph
from dlstudio.graph import Graph
from dlstudio.graph.names import RESERVED


def public(names: list[str]) -> set[str]:
    return {name for name in names if not name.startswith("_")}


def test_reserved_names_cover_every_public_nn_module_attribute() -> None:
    assert public(dir(nn.Module)) - RESERVED == set()


def test_reserved_names_cover_the_graph_modules_own_attributes(resnet_graph: Graph) -> None:
    model = compile_graph(resnet_graph)
    layers = {name for name, _ in model.named_children()}
    assert public(dir(model)) - layers - RESERVED == set()
