"""Which tensor of a weights file goes into which layer of a graph.

Two ways to pair them, and the one that loads more tensors wins (names on a tie):
- **by name**: the file's key is the compiled model's key (`block1_conv1.weight`), as in
  DL Studio's own checkpoints and state_dict exports;
- **by structure**: the file's modules (key prefixes such as `features.0`, in file order)
  are aligned with the graph's layers in order, pairing layers with the same tensors
  (names and ranks) and preferring equal shapes. This is how torchvision's
  `features.0.weight` lands on `block1_conv1` and `layer2.0.downsample.0` on
  `layer2_0_down_conv`. The alignment keeps order, so the last layer pairs with the
  file's last layer: a replaced head (vgg16-transfer's fc2) meets the old head
  (`classifier.6`), not a middle layer.

A layer whose shapes differ is an error when it must load: it is frozen (it would stay
random and never learn), or a layer after it loaded (the file is another architecture,
not another head). Otherwise it is a new layer, reported and left as initialised. For
the same reason a frozen layer the file has nothing for at all is an error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from dlstudio.compile import CompileError, GraphModule, compile_graph
from dlstudio.graph import Graph
from dlstudio.graph.shape_text import format_shape
from dlstudio.weights.errors import WeightsError

Shape = tuple[int, ...]
# A module's tensors: (name within the module, shape), in state_dict order.
Tensors = tuple[tuple[str, Shape], ...]
# num_batches_tracked is bookkeeping that older files lack; it loads when present.
OPTIONAL = "num_batches_tracked"
_EXACT, _SAME_INPUT, _SAME_KIND = 4.0, 2.0, 1.0


@dataclass
class WeightMatch:
    """The outcome of matching a file to a graph. Tensor names are the compiled model's
    (`<node name>.<tensor>`), except `unexpected`, which are the file's.

    `state` is ready for `load_state_dict(strict=False)`; `mismatched` holds
    (tensor, shape in the file, shape in the graph); `new_layers` are the nodes whose
    shapes differ but need not load (a replaced head); `sources` says which file tensor
    each paired tensor (loaded or mismatched) came from. A layer loads whole or not at
    all: when one of its tensors differs, all of them are in `mismatched`.
    """

    state: dict[str, torch.Tensor]
    loaded: list[str]
    missing: list[str]
    unexpected: list[str]
    mismatched: list[tuple[str, Shape, Shape]]
    new_layers: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    by: str = "name"  # "name" or "structure"
    source: str = "the weights"

    def summary_line(self) -> str:
        """One line for the log and the status bar."""
        layers = sorted({key.rsplit(".", 1)[0] for key in self.loaded})
        parts = [f"loaded {len(self.loaded)} tensors into {len(layers)} layers from "
                 f"{self.source} (matched by {self.by})"]
        if self.new_layers:
            parts.append(f"new layers (shapes differ, left as initialised): "
                         f"{', '.join(self.new_layers)}")
        if self.missing:
            parts.append(f"{len(self.missing)} tensors not in the file")
        if self.unexpected:
            parts.append(f"{len(self.unexpected)} tensors of the file unused")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "matched_by": self.by,
            "loaded": [{"tensor": key, "from": self.sources.get(key, key)}
                       for key in self.loaded],
            "missing": list(self.missing), "unexpected": list(self.unexpected),
            "mismatched": [{"tensor": key, "file_shape": list(file), "graph_shape": list(graph)}
                           for key, file, graph in self.mismatched],
            "new_layers": list(self.new_layers), "summary": self.summary_line(),
        }

    def format_report(self) -> str:
        """The whole report in plain text: one section per outcome."""
        lines = [self.summary_line()]
        if self.loaded:
            lines.append("loaded:")
            lines += [f"  {key}" + (f" <- {self.sources[key]}"
                                    if self.sources.get(key, key) != key else "")
                      for key in self.loaded]
        if self.mismatched:
            lines.append("not loaded, shapes differ (file -> graph):")
            lines += [f"  {key}: {format_shape(file)} -> {format_shape(graph)}"
                      for key, file, graph in self.mismatched]
        for title, keys in (("missing from the file:", self.missing),
                            ("in the file, unused:", self.unexpected)):
            if keys:
                lines.append(title)
                lines += [f"  {key}" for key in keys]
        return "\n".join(lines)


def match_weights(graph: Graph, state: Mapping[str, torch.Tensor], *,
                  source: str = "the weights") -> WeightMatch:
    """Pair the tensors of `state` with the graph's layers (see the module's notes).
    WeightsError when nothing pairs, or a layer that must load has other shapes;
    `source` names the file in messages."""
    layers = _graph_layers(graph)
    file_modules = _group(state)
    candidates = [_by_name(layers, file_modules)]
    for order in _orders(graph, layers):
        candidates.append(_by_structure(order, layers, file_modules))
    pairs, by = max(candidates, key=lambda c: (_loaded_count(c[0], layers, file_modules),
                                               c[1] == "name"))
    match = _build(pairs, layers, file_modules, state, by, source)
    _check(match, graph, layers, state)
    return match


def apply_weights(model: GraphModule, match: WeightMatch) -> None:
    """Copy the matched tensors into `model` (the rest stays as it is)."""
    try:
        model.load_state_dict(match.state, strict=False)
    except RuntimeError as error:
        raise WeightsError(f"{match.source}: cannot load into the model: "
                           f"{str(error).strip().splitlines()[-1].strip()}") from None


# ----- what each side holds ---------------------------------------------------------------
def _graph_layers(graph: Graph) -> dict[str, Tensors]:
    """Node name -> its tensors, in the compiled model's order, built on the meta device
    so that even VGG16 costs no memory."""
    try:
        with torch.device("meta"):
            model = compile_graph(graph)
    except CompileError as error:
        raise WeightsError(str(error)) from None
    return _group(model.state_dict())


def _group(state: Mapping[str, torch.Tensor]) -> dict[str, Tensors]:
    """Module prefix -> its tensors, in the mapping's order."""
    modules: dict[str, list[tuple[str, Shape]]] = {}
    for key, tensor in state.items():
        prefix, _, name = key.rpartition(".")
        modules.setdefault(prefix, []).append((name, tuple(tensor.shape)))
    return {prefix: tuple(tensors) for prefix, tensors in modules.items()}


def _orders(graph: Graph, layers: dict[str, Tensors]) -> list[list[str]]:
    """The graph's layers in the order they were added (which follows how the network
    is written, as a file's modules do) and in the compiled plan's order."""
    added = [node.name for node in graph.nodes.values() if node.name in layers]
    planned = list(layers)
    return [added] if added == planned else [added, planned]


# ----- pairing ----------------------------------------------------------------------------
Pairs = dict[str, str]  # graph layer -> file module


def _by_name(layers: dict[str, Tensors], file_modules: dict[str, Tensors]
             ) -> tuple[Pairs, str]:
    return {name: name for name in layers if name in file_modules}, "name"


def _kind(tensors: Tensors) -> tuple[tuple[str, int], ...]:
    return tuple((name, len(shape)) for name, shape in tensors if name != OPTIONAL)


def _score(graph_tensors: Tensors, file_tensors: Tensors) -> float:
    """How well two modules pair: 0 (different kinds of layer) to _EXACT."""
    if _kind(graph_tensors) != _kind(file_tensors):
        return 0.0
    shapes = [s for n, s in graph_tensors if n != OPTIONAL]
    others = [s for n, s in file_tensors if n != OPTIONAL]
    if shapes == others:
        return _EXACT
    # The same input side (a Dense with other units on the same features) pairs better.
    if shapes and shapes[0][1:] == others[0][1:]:
        return _SAME_INPUT
    return _SAME_KIND


def _by_structure(order: list[str], layers: dict[str, Tensors],
                  file_modules: dict[str, Tensors]) -> tuple[Pairs, str]:
    """An order-keeping alignment with the best total score (dynamic programming)."""
    files = list(file_modules)
    rows, cols = len(order), len(files)
    best = [[0.0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(1, rows + 1):
        for j in range(1, cols + 1):
            score = _score(layers[order[i - 1]], file_modules[files[j - 1]])
            paired = best[i - 1][j - 1] + score if score else -math.inf
            best[i][j] = max(paired, best[i - 1][j], best[i][j - 1])
    pairs: Pairs = {}
    i, j = rows, cols
    while i and j:  # from the end: on a tie the later modules pair (head with head)
        score = _score(layers[order[i - 1]], file_modules[files[j - 1]])
        if score and best[i][j] == best[i - 1][j - 1] + score:
            pairs[order[i - 1]] = files[j - 1]
            i, j = i - 1, j - 1
        elif best[i][j] == best[i][j - 1]:
            j -= 1
        else:
            i -= 1
    return pairs, "structure"


def _loaded_count(pairs: Pairs, layers: dict[str, Tensors],
                  file_modules: dict[str, Tensors]) -> int:
    return sum(len(layers[layer]) for layer, module in pairs.items()
               if _score(layers[layer], file_modules[module]) == _EXACT)


# ----- the outcome ------------------------------------------------------------------------
def _build(pairs: Pairs, layers: dict[str, Tensors], file_modules: dict[str, Tensors],
           state: Mapping[str, torch.Tensor], by: str, source: str) -> WeightMatch:
    match = WeightMatch({}, [], [], [], [], by=by, source=source)
    used: set[str] = set()
    for layer, tensors in layers.items():
        module = pairs.get(layer)
        if module is None:
            match.missing += [f"{layer}.{name}" for name, _ in tensors if name != OPTIONAL]
            continue
        file_shapes = dict(file_modules[module])
        differs = any(name in file_shapes and file_shapes[name] != shape
                      for name, shape in tensors)
        for name, shape in tensors:  # a layer loads whole or not at all
            key, file_key = f"{layer}.{name}", _key(module, name)
            if name not in file_shapes:
                if name != OPTIONAL:
                    match.missing.append(key)
                continue
            if differs:
                match.mismatched.append((key, file_shapes[name], shape))
            else:
                match.state[key] = state[file_key]
                match.loaded.append(key)
            match.sources[key] = file_key
            used.add(file_key)
    match.unexpected = [key for key in state if key not in used]
    return match


def _key(module: str, name: str) -> str:
    return f"{module}.{name}" if module else name


def _check(match: WeightMatch, graph: Graph, layers: dict[str, Tensors],
           state: Mapping[str, torch.Tensor]) -> None:
    if not match.loaded:
        raise WeightsError(f"{match.source}: no tensor fits this graph (the file has "
                           f"{_examples(list(state))}; the graph {_examples(_keys(layers))})")
    frozen = {node.name for node in graph.nodes.values()
              if node.params.get("trainable", True) is False}
    order = list(layers)
    last_loaded = max(order.index(key.rsplit(".", 1)[0]) for key in match.loaded)
    for key, file_shape, graph_shape in match.mismatched:
        layer = key.rsplit(".", 1)[0]
        if file_shape == graph_shape:
            continue  # a tensor of a layer that differs elsewhere
        if layer in frozen or order.index(layer) < last_loaded:
            why = "it is frozen" if layer in frozen else "layers after it load"
            raise WeightsError(
                f"{match.source}: {key} has shape {format_shape(file_shape)} in the file "
                f"({match.sources[key]})"
                f" but {format_shape(graph_shape)} in the graph, and it must load ({why})")
        if layer not in match.new_layers:
            match.new_layers.append(layer)
    loaded = {key.rsplit(".", 1)[0] for key in match.loaded}
    unloaded = [layer for layer in order if layer in frozen and layer not in loaded]
    if unloaded:
        count = "1 frozen layer gets" if len(unloaded) == 1 else \
            f"{len(unloaded)} frozen layers get"
        raise WeightsError(
            f"{match.source}: {unloaded[0]} is frozen but the file has no weights for it "
            f"({count} none), so it would stay random and never learn; unfreeze it or load "
            "a file that holds it")


def _keys(layers: dict[str, Tensors]) -> list[str]:
    return [f"{layer}.{name}" for layer, tensors in layers.items() for name, _ in tensors]


def _examples(keys: list[str]) -> str:
    shown = ", ".join(keys[:3])
    return f"{len(keys)} tensors such as {shown}" if keys else "no tensors"
