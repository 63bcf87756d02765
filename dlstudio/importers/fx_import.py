"""`trace_module`: an nn.Module -> a graph with its weights, through torch.fx.

fx records the module's forward as calls; each call becomes one catalogue layer
(modules_map, functions_map), and ShapeProp's shapes fill in what the calls leave
implicit (a view's target shape). Every call with no layer is collected with its place
in the source, and the import fails listing all of them: nothing is dropped. At the end
the graph is compiled with the imported weights and run against the module on the same
input, so a mapping mistake can never pass unnoticed.
"""

from __future__ import annotations

import contextlib
import io
import operator
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import fx, nn
from torch.fx.passes.shape_prop import ShapeProp, TensorMetadata

from dlstudio.compile import CompileError, compile_graph
from dlstudio.graph.layers.inputs_outputs import LOSSES
from dlstudio.importers.errors import (
    ModelImportError,
    Unsupported,
    UnsupportedPart,
    unsupported_error,
)
from dlstudio.importers.functions_map import PASS_THROUGH, label, map_function
from dlstudio.importers.imported import (
    GraphBuilder,
    ImportedModel,
    guess_loss,
    input_name,
)
from dlstudio.importers.modules_map import EMBEDDINGS, class_label, is_helper, map_module

Shape = tuple[int, ...]
EXAMPLE_BATCH = 2
TOLERANCE = 1e-4  # relative to the output's largest value: float32 reordering, not a bug
TORCH_FOLDER = str(Path(torch.__file__).parent)
_FRAME = re.compile(r'File "([^"]+)", line (\d+)')


@dataclass
class _Recurrent:
    """A plain nn.LSTM/GRU/RNN call: (output, state); `[0]` is the output sequence."""

    node_id: str


@dataclass
class _State:
    """The final state of a plain recurrent layer: `h` (layers × directions, batch,
    units), or an LSTM's `(h, c)` (`pair`), whose `[0]` is h."""

    node_id: str
    pair: bool = False


@dataclass
class _Attention:
    """A plain nn.MultiheadAttention call: (output, attention weights)."""

    node_id: str


_RAW = (_Recurrent, _State, _Attention)  # results that are not one tensor


class _Tracer(fx.Tracer):
    """torch.nn modules and DL Studio's helper modules stay whole (one call each)."""

    def is_leaf_module(self, module: nn.Module, qualified_name: str) -> bool:
        return is_helper(module) or super().is_leaf_module(module, qualified_name)


def trace_module(module: nn.Module, input_shapes: list[tuple[int, ...]] | None = None,
                 name: str = "Net") -> ImportedModel:
    """`module` as a graph with its weights. `input_shapes`: one sample shape per input
    (batch left out); by default the module's own `input_shapes` attribute."""
    shapes = _input_shapes(module, input_shapes, name)
    tracer = _Tracer()
    tracer.record_stack_traces = True
    try:
        traced = fx.GraphModule(module, tracer.trace(module), name)
    except (Exception, SystemExit) as error:  # fx raises many types for code it cannot follow
        raise ModelImportError(f"{name} cannot be traced by torch.fx: "
                               f"{_first_line(error)}") from None
    traced.graph.eliminate_dead_code()  # `out, (h, c) = lstm(x)` with c unused
    traced.recompile()
    placeholders = [n for n in traced.graph.nodes if n.op == "placeholder"]
    if len(placeholders) != len(shapes):
        raise ModelImportError(f"{name}.forward takes {len(placeholders)} input(s) but "
                               f"{len(shapes)} input shape(s) were given")
    kinds = [_input_kind(traced, node, shape) for node, shape in zip(placeholders, shapes,
                                                                     strict=True)]
    examples = _examples(traced, placeholders, shapes, kinds)
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            expected = module(*examples)
            with contextlib.redirect_stderr(io.StringIO()):  # ShapeProp prints tracebacks
                ShapeProp(traced).propagate(*examples)
    except (Exception, SystemExit) as error:
        raise ModelImportError(f"{name} does not run on inputs of shape "
                               f"{', '.join(map(str, shapes))}: {_first_line(error)}") from None
    finally:
        module.train(was_training)
    walk = _Walk(traced, name)
    imported = walk.run(placeholders, shapes, kinds, _declared_loss(module))
    _check_same_outputs(imported, examples, expected, name)
    return imported


def _input_shapes(module: nn.Module, given: list[tuple[int, ...]] | None,
                  name: str) -> list[Shape]:
    shapes = given if given is not None else getattr(module, "input_shapes", None)
    if shapes is None:
        raise ModelImportError(f"{name} does not say its input shape: give one per input, "
                               "e.g. --input-shape 3,224,224")
    try:
        result = [tuple(int(d) for d in shape) for shape in shapes]
    except (TypeError, ValueError):
        raise ModelImportError(f"{name}: input shapes must be lists of sizes, got "
                               f"{shapes!r}") from None
    if not result or any(not s or min(s) < 1 for s in result):
        raise ModelImportError(f"{name}: input shapes must be positive sizes, got {result}")
    return result


def _input_kind(traced: fx.GraphModule, node: fx.Node, shape: Shape) -> str:
    for user in node.users:
        if user.op == "call_module" and \
                type(traced.get_submodule(user.target)).__name__ in EMBEDDINGS:
            return "tokens"
    kind = {3: "image", 2: "sequence", 1: "vector"}.get(len(shape))
    if kind is None:
        raise ModelImportError(f"input {node.name!r} has shape {shape}: DL Studio takes "
                               "images (C,H,W), sequences (T,F), vectors (F) or tokens (T)")
    return kind


def _examples(traced: fx.GraphModule, placeholders: list[fx.Node], shapes: list[Shape],
              kinds: list[str]) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    examples = []
    for node, shape, kind in zip(placeholders, shapes, kinds, strict=True):
        if kind == "tokens":
            vocab = min(traced.get_submodule(u.target).num_embeddings for u in node.users
                        if u.op == "call_module")
            examples.append(torch.randint(0, vocab, (EXAMPLE_BATCH, *shape),
                                          generator=generator))
        else:
            examples.append(torch.randn((EXAMPLE_BATCH, *shape), generator=generator))
    return examples


def _declared_loss(module: nn.Module) -> str | None:
    loss = getattr(module, "loss_name", None)
    return loss if loss in LOSSES else None


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:300]}" if text else type(error).__name__


def source_place(node: fx.Node) -> str:
    """`model.py:14` from the frame of the user's code that made this call."""
    frames = [(file, line) for file, line in _FRAME.findall(node.meta.get("stack_trace") or "")
              if not file.startswith(TORCH_FOLDER)]
    if not frames:
        return ""
    file, line = frames[-1]
    return f"{file.replace(chr(92), '/').rsplit('/', 1)[-1]}:{line}"


def _sample_shape(node: fx.Node) -> Shape | None:
    meta = node.meta.get("tensor_meta")
    shape = getattr(meta, "shape", None)
    return tuple(shape)[1:] if shape is not None else None


class _Walk:
    """One pass over the traced calls, building the graph and collecting what is not
    supported."""

    def __init__(self, traced: fx.GraphModule, name: str) -> None:
        self.traced, self.name = traced, name
        self.builder = GraphBuilder()
        self.values: dict[fx.Node, Any] = {}  # fx node -> node id, _Recurrent, _State
        self.unsupported: list[UnsupportedPart] = []
        self.notes: list[str] = []

    def run(self, placeholders: list[fx.Node], shapes: list[Shape], kinds: list[str],
            loss: str | None) -> ImportedModel:
        for node, shape, kind in zip(placeholders, shapes, kinds, strict=True):
            self.values[node] = self.builder.add(
                "Input", input_name(node.name, kind), {"kind": kind, "shape": shape}, [])
        result = None
        for node in self.traced.graph.nodes:
            if node.op == "output":
                result = self._output(node)
            elif node.op != "placeholder":
                try:
                    self._call(node)
                except Unsupported as part:
                    if part.why and self._fed_by_refused(node):
                        continue  # a consequence of a part already reported, not a cause
                    self.unsupported.append(UnsupportedPart(part.what, self._where(node)))
        if self.unsupported:
            raise unsupported_error(self.name, self.unsupported)
        self._note_shared_weights()
        if not isinstance(result, str):
            raise ModelImportError(f"{self.name}.forward must return one tensor")
        (out_node,) = [n for n in self.traced.graph.nodes if n.op == "output"]
        out_shape = _sample_shape(out_node.args[0]) or ()
        loss = loss or guess_loss(self.builder.graph, result, out_shape, self.notes)
        return self.builder.finish(result, loss, self.name, self.notes)

    def _note_shared_weights(self) -> None:
        calls: dict[str, int] = {}
        for node in self.traced.graph.nodes:
            if node.op == "call_module":
                calls[node.target] = calls.get(node.target, 0) + 1
        for target, count in calls.items():
            if count > 1 and any(True for _ in self.traced.get_submodule(target).parameters()):
                self.notes.append(f"self.{target} is called {count} times: each call is a node "
                                  "of its own with a copy of its weights (they now train "
                                  "separately)")

    def _fed_by_refused(self, node: fx.Node) -> bool:
        """A tensor input that became no node: refused, or fed by a refused part."""
        return any(self.values.get(a) is None for a in node.all_input_nodes
                   if "tensor_meta" in a.meta)

    def _where(self, node: fx.Node) -> str:
        place = source_place(node)
        if node.op == "call_module":
            return f"{place} (self.{node.target})" if place else f"self.{node.target}"
        return place or f"fx node {node.name}"

    def _output(self, node: fx.Node) -> Any:
        value = node.args[0]
        if not isinstance(value, fx.Node):
            raise ModelImportError(f"{self.name}.forward must return one tensor, not "
                                   f"{type(value).__name__}")
        return self.values.get(value)

    def _call(self, node: fx.Node) -> None:
        meta = node.meta.get("tensor_meta")
        if meta is None:
            return  # sizes (x.size(0)) and other plain values: read from the shapes later
        if node.op == "get_attr":
            raise Unsupported(f"the tensor self.{node.target}", "used directly, not a layer")
        tensors = [a for a in node.all_input_nodes if "tensor_meta" in a.meta]
        values = [self.values.get(a) for a in tensors]
        if values and isinstance(values[0], _RAW):
            self.values[node] = self._unpack(node, values[0])
            return
        if any(isinstance(v, _RAW) for v in values):
            raise Unsupported(self._label(node), "used on a layer's raw (tuple) result")
        if node.op in ("call_method", "call_function") and node.target in PASS_THROUGH:
            if values[0] is not None:
                self.values[node] = values[0]
            return
        in_shapes = [_sample_shape(a) or () for a in tensors]
        module = self.traced.get_submodule(node.target) if node.op == "call_module" else None
        if module is not None:
            layer = map_module(module, in_shapes)
            if layer.returns_weights:
                _check_self_attention(node)
        elif not isinstance(meta, TensorMetadata):
            raise Unsupported(self._label(node), "returns several tensors")
        else:
            layer = map_function(node, in_shapes, _sample_shape(node) or ())
        if any(v is None for v in values):
            return  # fed by a part that is already reported
        weights = module.state_dict() if module is not None else None
        node_id = self.builder.add(layer.type, str(node.target) if module else node.name,
                                   layer.params, values, weights)
        self.values[node] = _Recurrent(node_id) if layer.returns_state else \
            _Attention(node_id) if layer.returns_weights else node_id

    def _label(self, node: fx.Node) -> str:
        if node.op == "call_module":
            return class_label(self.traced.get_submodule(node.target))
        return label(node)

    def _unpack(self, node: fx.Node, value: Any) -> Any:
        """`out, state = lstm(x)`, `(h, c)[0]`, `h[-1]` or `h.squeeze(0)` (the last layer's
        final state, which is the sequence's last step: a Select after the layer), and
        `mha(x, x, x)[0]`."""
        graph_node = self.builder.graph.nodes[value.node_id]
        index = node.args[1] if node.target is operator.getitem else None
        if node.target in ("squeeze", torch.squeeze) and isinstance(value, _State) and \
                not value.pair and node.args[1:] in ((), (0,)):
            index = "squeeze"
        elif index is None:
            raise Unsupported(self._label(node), "used on a layer's raw (tuple) result")
        if isinstance(value, _Attention):
            if index == 0:
                return value.node_id
            raise Unsupported(f"the attention weights of {graph_node.name!r}",
                              "only its output, [0], is a layer")
        if isinstance(value, _Recurrent):
            return value.node_id if index == 0 else \
                _State(value.node_id, pair=graph_node.type == "LSTM")
        if value.pair:
            if index == 0:
                return _State(value.node_id)
            raise Unsupported(f"the cell state c of LSTM {graph_node.name!r}",
                              "only h[-1], its last step, is a layer")
        params = graph_node.params
        last = {-1, params["num_layers"] - 1} | ({"squeeze"} if params["num_layers"] == 1
                                                 else set())
        if index in last and not params["bidirectional"]:
            return self.builder.add("Select", f"{graph_node.name}_last",
                                    {"axis": 0, "index": -1}, [value.node_id])
        raise Unsupported(f"the state of {graph_node.type} {graph_node.name!r}",
                          "only h[-1] of a one-way layer, its last step")


def _check_self_attention(node: fx.Node) -> None:
    """nn.MultiheadAttention called as self-attention (query = key = value), with no
    mask: what the MultiheadAttention layer computes."""
    names = ("query", "key", "value", "key_padding_mask", "need_weights", "attn_mask",
             "average_attn_weights", "is_causal")
    given = dict(zip(names, node.args, strict=False)) | dict(node.kwargs)
    what = f"nn.MultiheadAttention self.{node.target}"
    if not (given.get("query") is given.get("key") is given.get("value")):
        raise Unsupported(what, "query, key and value differ; the layer is self-attention, "
                          "called as mha(x, x, x)")
    for mask in ("key_padding_mask", "attn_mask"):
        if given.get(mask) is not None:
            raise Unsupported(what, f"called with {mask}; the layer takes no mask")
    if given.get("is_causal"):
        raise Unsupported(what, "is_causal=True; the layer takes no mask")


def _check_same_outputs(imported: ImportedModel, examples: list[torch.Tensor],
                        expected: Any, name: str) -> None:
    try:
        model = compile_graph(imported.graph)
        model.load_state_dict(imported.state)
    except (CompileError, RuntimeError) as error:
        raise ModelImportError(f"the graph imported from {name} does not build: "
                               f"{' '.join(str(error).split())}") from None
    with torch.no_grad():
        got = model.eval()(*examples)
    if not isinstance(expected, torch.Tensor) or got.shape != expected.shape:
        raise ModelImportError(f"the graph imported from {name} gives a different output "
                               "shape than the module")
    scale = max(1.0, float(expected.abs().max()))
    diff = float((got - expected).abs().max())
    if diff > TOLERANCE * scale:
        raise ModelImportError(f"the graph imported from {name} does not compute what the "
                               f"module computes (max difference {diff:.3g})")
    imported.notes.append(f"checked: the graph gives the module's outputs (max difference "
                          f"{diff:.1g})")

