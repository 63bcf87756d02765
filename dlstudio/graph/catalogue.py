"""The layer catalogue: one `LayerSpec` per layer type, read by everything else.

The palette, the inspector, shape inference, the parameter counter, the compiler and the
code generator all read the same entry, so a layer type is defined in exactly one place.
Building the torch module is described as data (`ModuleRecipe`: a class name and its
keyword arguments) so this package never imports torch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dlstudio.graph.params import ParamSpec, bool_param
from dlstudio.graph.shape_text import Shape

Params = Mapping[str, Any]
ShapeRule = Callable[[Params, list[Shape]], Shape]
RecipeRule = Callable[[Params, list[Shape]], "ModuleRecipe | None"]
CountRule = Callable[[Params, list[Shape]], int]

CATEGORIES = (
    "inputs", "core", "convolution", "pooling", "normalisation", "activations",
    "recurrent", "attention", "merge", "output",
)


@dataclass(frozen=True)
class ModuleRecipe:
    """How to build a node's module: `nn.<Name>` or a DL Studio module from
    `dlstudio.compile.modules`, called with `kwargs` (plain Python literals only)."""

    cls: str
    kwargs: dict[str, Any] = field(default_factory=dict)


def _no_params(params: Params, shapes: list[Shape]) -> int:
    return 0


def _single_input(params: Params) -> tuple[str, ...]:
    return ("in",)


@dataclass(frozen=True)
class LayerSpec:
    """Everything DL Studio knows about one layer type."""

    type: str
    category: str
    help: str
    params: tuple[ParamSpec, ...]
    infer: ShapeRule
    recipe: RecipeRule
    count_params: CountRule = _no_params
    input_ports: Callable[[Params], tuple[str, ...]] = _single_input
    has_output: bool = True
    key_params: tuple[str, ...] = ()
    # Other names a learner may search for: PyTorch's class, Keras' and the textbook's.
    search_words: tuple[str, ...] = ()

    def param(self, name: str) -> ParamSpec:
        for spec in self.params:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        return {spec.name: spec.default for spec in self.params}

    @property
    def has_weights(self) -> bool:
        return any(spec.name == "trainable" for spec in self.params)


TRAINABLE = bool_param("trainable", True, "Update these weights in training (off = frozen)")

_CATALOGUE: dict[str, LayerSpec] = {}


def register(spec: LayerSpec) -> LayerSpec:
    if spec.category not in CATEGORIES:
        raise ValueError(f'unknown category "{spec.category}" for {spec.type}')
    _CATALOGUE[spec.type] = spec
    return spec


def layer_spec(type_name: str) -> LayerSpec:
    _load_layers()
    try:
        return _CATALOGUE[type_name]
    except KeyError:
        raise KeyError(f'unknown layer type "{type_name}"') from None


def all_layer_specs() -> list[LayerSpec]:
    """Every layer type, in palette order (by category, then as defined)."""
    _load_layers()
    order = {name: i for i, name in enumerate(CATEGORIES)}
    return sorted(_CATALOGUE.values(), key=lambda s: order[s.category])


def layer_types() -> list[str]:
    return [spec.type for spec in all_layer_specs()]


def _load_layers() -> None:
    # The definitions register themselves on import; imported lazily to avoid a cycle.
    from dlstudio.graph import layers  # noqa: F401
