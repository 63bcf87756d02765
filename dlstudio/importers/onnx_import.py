"""`import_onnx`: an ONNX file -> a graph with its weights. Runs nothing from the file.

The file is read with the onnx package; weights come from its initializers (external
data only from beside the file). Small constant computations that exporters leave in the
graph (reordering a recurrent layer's gate weights, the zeros of an initial state, a
reshape's target) are folded with onnx's reference operators, which are plain numpy;
everything else maps operator by operator to catalogue layers (onnx_ops), except the
attention modules torch's exporter marks on their nodes, which are read a module at a
time (onnx_attention). Every operator with no layer is named with its node and op type,
and the import fails.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from onnx.external_data_helper import uses_external_data
from onnx.reference import ReferenceEvaluator

from dlstudio.graph import infer_shapes
from dlstudio.importers.errors import (
    ModelImportError,
    Unsupported,
    UnsupportedPart,
    unsupported_error,
)
from dlstudio.importers.imported import (
    GraphBuilder,
    ImportedModel,
    guess_loss,
    input_name,
    legacy_name,
)
from dlstudio.importers.onnx_attention import rebuild_module
from dlstudio.importers.onnx_modules import ModuleGroup, module_groups, module_name
from dlstudio.importers.onnx_ops import Lazy, Missing, OnnxNode
from dlstudio.importers.onnx_structure import MAPPERS

FOLD_BATCH = 3  # the batch size a folded shape computation assumes; only its rank matters
STANDARD_DOMAINS = ("", "ai.onnx")


def import_onnx(path: Path) -> ImportedModel:
    """The ONNX model at `path` as a graph with its weights."""
    path = Path(path)
    model = _load(path)
    reader = _Reader(model, path.name)
    return reader.run()


def _load(path: Path) -> onnx.ModelProto:
    if not path.is_file():
        raise ModelImportError(f"no ONNX file at {path}")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as error:  # protobuf reports a damaged file in several ways
        raise ModelImportError(f"{path.name} is not an ONNX model, or damaged "
                               f"({type(error).__name__})") from None
    folder = path.resolve().parent
    external = [t for t in model.graph.initializer if uses_external_data(t)]
    for tensor in external:
        location = {e.key: e.value for e in tensor.external_data}.get("location", "")
        target = (folder / location).resolve()
        if not location or target.parent != folder or not target.is_file():
            raise ModelImportError(f"{path.name}: the weights of {tensor.name!r} are in "
                                   f"{location!r}, which is not a file beside the model; "
                                   "only data files in the model's own folder are read")
    if external:
        onnx.external_data_helper.load_external_data_for_model(model, str(folder))
    return model


class _Reader:
    """One pass over the ONNX nodes (they are stored in topological order)."""

    def __init__(self, model: onnx.ModelProto, name: str) -> None:
        self.model, self.name = model, name
        self.builder = GraphBuilder()
        self.constants: dict[str, np.ndarray] = {
            t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
        self.values: dict[str, Any] = {}  # ONNX value name -> node id, Lazy or Missing
        self.origins = {name: name for name in self.constants}  # folded -> initializer
        self.readers: dict[str, int] = {}  # ONNX value name -> how many nodes read it
        for proto in model.graph.node:
            for name in proto.input:
                self.readers[name] = self.readers.get(name, 0) + 1
        self.groups = module_groups(list(model.graph.node))
        self.modules = {module_name(proto) for proto in model.graph.node}
        self.rebuilt_encoders: list[str] = []
        self.fixed_batch: int | None = None  # the inputs' batch size, when the file fixes it
        self.unsupported: list[UnsupportedPart] = []
        self.notes: list[str] = []

    def run(self) -> ImportedModel:
        self._inputs()
        for index, proto in enumerate(self.model.graph.node):
            group = self.groups.get(index)
            if group is not None:
                if index == group.indices[0]:
                    self._module(group)
                continue
            node = OnnxNode(proto)
            try:
                self._node(node)
            except Unsupported as part:
                self.unsupported.append(UnsupportedPart(part.what, f"node {node.label!r}"))
        if self.unsupported:
            raise unsupported_error(self.name, self.unsupported)
        if self.rebuilt_encoders:
            layers = ", ".join(self.rebuilt_encoders)
            self.notes.append(f"an ONNX file keeps no dropout rate: {layers} take the "
                              "TransformerEncoderLayer default (0.1); change it on the node "
                              "before training if the original used another")
        outputs = list(self.model.graph.output)
        if len(outputs) != 1:
            raise ModelImportError(f"{self.name} has {len(outputs)} outputs; a DL Studio "
                                   "graph has one")
        result = self.values.get(outputs[0].name)
        if not isinstance(result, str):
            raise ModelImportError(f"{self.name}: its output {outputs[0].name!r} is not the "
                                   "result of a layer")
        shape = self.shape(result)
        loss = guess_loss(self.builder.graph, result, shape, self.notes)
        return self.builder.finish(result, loss, self.name, self.notes)

    # ----- inputs ------------------------------------------------------------------------
    def _inputs(self) -> None:
        for value in self.model.graph.input:
            if value.name in self.constants:
                continue  # old exporters list initializers as inputs too
            tensor = value.type.tensor_type
            dims = [d.dim_value if d.HasField("dim_value") else None
                    for d in tensor.shape.dim]
            if len(dims) < 2 or any(d is None or d < 1 for d in dims[1:]):
                raise ModelImportError(f"{self.name}: input {value.name!r} needs a fixed "
                                       f"shape after its batch axis, got {dims}")
            shape = tuple(dims[1:])
            self.fixed_batch = dims[0] if dims[0] and self.fixed_batch in (None, dims[0]) \
                else None
            integer = tensor.elem_type in (onnx.TensorProto.INT64, onnx.TensorProto.INT32)
            kind = "tokens" if integer and len(shape) == 1 else \
                {3: "image", 2: "sequence", 1: "vector"}.get(len(shape))
            if kind is None:
                raise ModelImportError(f"{self.name}: input {value.name!r} has shape {shape}; "
                                       "DL Studio takes images, sequences, vectors or tokens")
            self.values[value.name] = self.builder.add(
                "Input", input_name(value.name, kind), {"kind": kind, "shape": shape}, [])

    # ----- nodes -------------------------------------------------------------------------
    def _module(self, group: ModuleGroup) -> None:
        """One attention module's nodes as one layer; if they do not fit, the module is
        named with the reason."""
        try:
            rebuild_module(self, group)
        except Unsupported as part:
            self.unsupported.append(UnsupportedPart(part.what, f"module {group.path!r}"))
            return
        if group.kind == "TransformerEncoderLayer":
            self.rebuilt_encoders.append(group.path)

    def _node(self, node: OnnxNode) -> None:
        if node.domain not in STANDARD_DOMAINS:
            raise Unsupported(f"ONNX {node.op_type} (domain {node.domain})")
        if self.fold_constant(node):
            return
        if node.op_type == "Shape" and node.inputs[0] in self.values:
            self.constants[node.outputs[0]] = self._shape_value(node)
            return
        if any(name and name not in self.constants and name not in self.values
               for name in node.inputs):
            if node.op_type not in MAPPERS and node.op_type != "Shape":
                raise Unsupported(f"ONNX {node.op_type}")
            return  # fed by a part that is already reported
        for name in node.inputs:
            if isinstance(self.values.get(name), Missing):
                raise Unsupported(f"ONNX {node.op_type}", f"reads {self.values[name].what}")
        mapper = MAPPERS.get(node.op_type)
        if mapper is None:
            raise Unsupported(f"ONNX {node.op_type}")
        results = mapper(self, node)
        for index, name in enumerate(node.outputs):
            if name:
                self.values[name] = results[index] if index < len(results) else \
                    Missing(f"output {index} of ONNX {node.op_type}")

    def fold_constant(self, node: OnnxNode) -> bool:
        """Keep a Constant's value, or compute a node that reads only constants; False
        for a node that reads a tensor computed from the inputs."""
        if node.op_type == "Constant":
            self.constants[node.outputs[0]] = numpy_helper.to_array(node.attrs["value"]) \
                if "value" in node.attrs else np.array(next(iter(node.attrs.values())))
            return True
        if all(not name or name in self.constants for name in node.inputs):
            self._fold(node)
            return True
        return False

    def _fold(self, node: OnnxNode) -> None:
        try:
            outputs = ReferenceEvaluator(node.proto).run(
                None, {name: self.constants[name] for name in node.inputs if name})
        except Exception as error:  # the reference operators raise many types
            raise Unsupported(f"ONNX {node.op_type}", f"on constants: "
                              f"{type(error).__name__}") from None
        origin = next((self.origins[n] for n in node.inputs if n in self.origins), None)
        for name, value in zip(node.outputs, outputs, strict=False):
            if name:
                self.constants[name] = np.asarray(value)
                if origin:
                    self.origins[name] = origin

    def _shape_value(self, node: OnnxNode) -> np.ndarray:
        full = self.full_shape(node.inputs[0])
        start = int(node.attrs.get("start", 0))
        end = node.attrs.get("end")
        return np.array(full[start:None if end is None else int(end)], dtype=np.int64)

    # ----- what the op mappers use -------------------------------------------------------
    def constant(self, name: str, what: str) -> np.ndarray:
        if name not in self.constants:
            raise Unsupported(what, "needs a constant here, not a computed tensor")
        return self.constants[name]

    def has_constant(self, name: str) -> bool:
        return bool(name) and name in self.constants

    def value(self, name: str) -> Any:
        return self.values[name]

    def shape(self, node_id: str) -> tuple[int, ...]:
        """A graph node's output sample shape (batch left out)."""
        report = infer_shapes(self.builder.graph)
        if node_id not in report.shapes:
            raise Unsupported("a layer", f"its shape cannot be worked out: "
                              f"{'; '.join(p.message for p in report.errors)[:200]}")
        return tuple(report.shapes[node_id])

    def full_shape(self, name: str) -> tuple[int, ...]:
        """An ONNX value's whole shape, batch included (as FOLD_BATCH, where it is)."""
        value = self.values[name]
        if isinstance(value, Lazy):
            return value.full_shape(self.shape(value.node_id), FOLD_BATCH)
        return (FOLD_BATCH, *self.shape(value))

    def node_input(self, name: str, node: OnnxNode) -> str:
        """The graph node behind a batch-first ONNX value."""
        value = self.values[name]
        if isinstance(value, Lazy):
            raise Unsupported(f"ONNX {node.op_type}", "on a time-major tensor (only "
                              "recurrent operators read those here)")
        if not isinstance(value, str):
            raise Unsupported(f"ONNX {node.op_type}", f"inside the operators of a layer "
                              f"({type(value).__name__}) that it does not belong to")
        return value

    def readable(self, node: OnnxNode) -> str:
        """A node name from the module the exporter says the node came from (unless its
        weights are named after a module with no operator of its own left, as a
        convolution with the batch norm folded into it), else from its weights' names
        (`conv1.weight` -> conv1), else from its output's name."""
        module = module_name(node.proto)
        for name in node.inputs[1:]:  # a module whose operator was merged into another's
            owner = self.origins.get(name, "").rpartition(".")[0]
            if owner and owner != module and owner not in self.modules:
                return owner
        if module:
            return module
        for name in node.inputs[1:]:
            origin = self.origins.get(name, "")
            if "." in origin:
                return origin.rsplit(".", 1)[0]
        return legacy_name(node.outputs[0], node.op_type) if node.outputs and node.outputs[0] else \
            node.label

    def reshape_target(self, target: np.ndarray, in_shape: tuple[int, ...],
                       allow_zero: bool) -> tuple[int, ...]:
        """ONNX Reshape's output shape for a full input shape (0 copies an axis unless
        allowzero, -1 takes the rest). In a file exported with a fixed batch size, the
        exporter writes that size as the first entry (`x.view(x.size(0), -1)` becomes
        [1, -1]): it stands for the batch axis."""
        dims = [int(d) for d in target]
        if dims and self.fixed_batch is not None and dims[0] == self.fixed_batch:
            dims[0] = in_shape[0]
        if not allow_zero:
            dims = [in_shape[i] if d == 0 and i < len(in_shape) else d
                    for i, d in enumerate(dims)]
        if -1 in dims:
            known = math.prod(d for d in dims if d != -1)
            dims[dims.index(-1)] = math.prod(in_shape) // max(known, 1)
        return tuple(dims)

    def add(self, type_name: str, node: OnnxNode, params: dict[str, Any], inputs: list[str],
            weights: dict[str, np.ndarray] | None = None, name: str | None = None) -> str:
        tensors = {k: torch.from_numpy(np.array(v, copy=True)) for k, v in
                   (weights or {}).items()}
        return self.builder.add(type_name, name or self.readable(node), params, inputs, tensors)
