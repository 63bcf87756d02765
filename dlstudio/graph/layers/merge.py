"""Merges: Add, Multiply and Concat join several branches (skip connections)."""

from __future__ import annotations

from dlstudio.graph.catalogue import LayerSpec, ModuleRecipe, register
from dlstudio.graph.errors import ShapeError
from dlstudio.graph.layers.rules import check_axis, torch_dim
from dlstudio.graph.params import int_param
from dlstudio.graph.shape_text import format_shape

INPUTS = int_param("inputs", 2, "Number of branches joined", 2, 8)


def merge_ports(params) -> tuple[str, ...]:
    return tuple(f"in{i}" for i in range(1, params["inputs"] + 1))


def _infer_elementwise(params, shapes):
    first = shapes[0]
    if any(shape != first for shape in shapes):
        listed = " and ".join(format_shape(s) for s in shapes)
        raise ShapeError(f"needs inputs of one shape but gets {listed}")
    return first


def _infer_concat(params, shapes):
    rank = len(shapes[0])
    if any(len(s) != rank for s in shapes):
        listed = " and ".join(format_shape(s) for s in shapes)
        raise ShapeError(f"needs inputs with the same number of axes but gets {listed}")
    axis = check_axis(params["axis"], rank)
    for shape in shapes[1:]:
        if any(a != b for i, (a, b) in enumerate(zip(shape, shapes[0], strict=True))
               if i != axis):
            listed = " and ".join(format_shape(s) for s in shapes)
            raise ShapeError(f"can only join along axis {params['axis']}, the other axes must "
                             f"match, but gets {listed}")
    joined = sum(s[axis] for s in shapes)
    return (*shapes[0][:axis], joined, *shapes[0][axis + 1:])


for _type, _help, _words in (
        ("Add", "Adds its inputs element by element (residual / skip connections)",
         ("merge", "join", "sum", "plus", "elementwise", "torch.add")),
        ("Multiply", "Multiplies its inputs element by element (gating)",
         ("merge", "join", "product", "times", "elementwise", "gate", "torch.mul"))):
    register(LayerSpec(
        type=_type,
        category="merge",
        help=_help,
        params=(INPUTS,),
        infer=_infer_elementwise,
        recipe=lambda p, s, _cls=_type: ModuleRecipe(_cls, {}),
        input_ports=merge_ports,
        search_words=_words,
    ))

register(LayerSpec(
    type="Concat",
    category="merge",
    help="Joins its inputs along one axis (channels of images by default)",
    params=(INPUTS, int_param("axis", 0, "Axis to join along (batch left out; 0 = channels)",
                              -8, 7)),
    infer=_infer_concat,
    recipe=lambda p, s: ModuleRecipe("Concat", {"dim": torch_dim(p["axis"])}),
    input_ports=merge_ports,
    key_params=("axis",),
    search_words=("merge", "join", "torch.cat", "cat", "concatenate", "stack"),
))
