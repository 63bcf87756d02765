"""Export a graph and its weights: ONNX, TorchScript, a state_dict, or PyTorch source.

`export_model` writes the files with a model card beside them, checks them first, and
refuses with an `ExportError` that names the problem. See docs/export.md.
"""

from dlstudio.export.card import card_path_for, run_facts
from dlstudio.export.errors import ExportCancelled, ExportError
from dlstudio.export.exporter import FORMATS, ExportResult, build_model, export_model
from dlstudio.export.graphs import graph_differences
from dlstudio.export.onnx_format import missing_packages

__all__ = ["FORMATS", "ExportCancelled", "ExportError", "ExportResult", "build_model",
           "card_path_for", "export_model", "graph_differences", "missing_packages",
           "run_facts"]
