"""Models from elsewhere as editable graphs with their weights (torch, onnx; no Qt).

`import_python` traces a module class from a .py file with torch.fx (it runs that file:
the user asked for it); `import_torchvision` builds a torchvision model by name;
`import_onnx` reads an ONNX file and runs nothing; `write_imported` saves the graph as a
project and the weights as a checkpoint beside it.
"""

from dlstudio.importers.errors import ModelImportError
from dlstudio.importers.fx_import import trace_module
from dlstudio.importers.imported import ImportedModel
from dlstudio.importers.onnx_import import import_onnx
from dlstudio.importers.python_file import classes_in_file, import_python, import_torchvision
from dlstudio.importers.writer import write_imported

__all__ = [
    "ImportedModel", "ModelImportError", "classes_in_file", "import_onnx", "import_python",
    "import_torchvision", "trace_module", "write_imported",
]
