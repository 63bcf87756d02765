"""The network as data: graph model, layer catalogue, shape inference, project files.

No torch and no Qt here: this package runs anywhere, including the tests.
"""

from dlstudio.graph.catalogue import LayerSpec, ModuleRecipe, all_layer_specs, layer_spec
from dlstudio.graph.errors import GraphError, ParamError, ShapeError
from dlstudio.graph.inference import Problem, ShapeReport, infer_shapes
from dlstudio.graph.model import Edge, Graph, Node
from dlstudio.graph.shape_text import Shape, format_shape

__all__ = [
    "Edge", "Graph", "GraphError", "LayerSpec", "ModuleRecipe", "Node", "ParamError",
    "Problem", "Shape", "ShapeError", "ShapeReport", "all_layer_specs", "format_shape",
    "infer_shapes", "layer_spec",
]
