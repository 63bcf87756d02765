"""Graph -> torch: the compiled module, its training loss, and standalone source code."""

from dlstudio.compile.codegen import generate_source
from dlstudio.compile.compiler import CompileError, GraphModule, compile_graph
from dlstudio.compile.loss import training_loss

__all__ = ["CompileError", "GraphModule", "compile_graph", "generate_source", "training_loss"]
