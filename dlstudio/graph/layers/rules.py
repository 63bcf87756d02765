"""Small helpers the shape rules share: rank checks and convolution arithmetic."""

from __future__ import annotations

import math

from dlstudio.graph.errors import ShapeError
from dlstudio.graph.shape_text import Shape, format_shape
from dlstudio.graph.wording import with_article


def expect_rank(shape: Shape, ranks: tuple[int, ...], needs: str, hint: str = "") -> None:
    if len(shape) not in ranks:
        message = f"needs {needs} but gets {format_shape(shape)}"
        raise ShapeError(f"{message}: {hint}" if hint else message)


def conv_length(length: int, kernel: int, stride: int, padding: int | str, dilation: int = 1,
                axis: str = "input") -> int:
    """Output length of a convolution or pooling window along one axis (PyTorch rules)."""
    if padding == "same":
        if stride != 1:
            raise ShapeError("padding 'same' needs stride 1 (PyTorch rule); give a number instead")
        return length
    pad = 0 if padding == "valid" else int(padding)
    span = dilation * (kernel - 1) + 1
    if length + 2 * pad < span:
        raise ShapeError(
            f"kernel {kernel} (span {span}) is larger than its {axis} of {length}"
            + (f" plus padding {pad}" if pad else "")
            + ": use a smaller kernel or more padding"
        )
    return (length + 2 * pad - span) // stride + 1


def check_groups(in_channels: int, filters: int, groups: int) -> None:
    if in_channels % groups or filters % groups:
        raise ShapeError(
            f"groups={groups} must divide both the {in_channels} input channels "
            f"and the {filters} filters"
        )


def product(shape: Shape) -> int:
    return math.prod(shape)


def torch_dim(dim: int) -> int:
    """A sample axis (batch left out) as a torch axis (batch first)."""
    return dim + 1 if dim >= 0 else dim


def check_axis(dim: int, rank: int) -> int:
    if not -rank <= dim < rank:
        raise ShapeError(f"axis {dim} does not exist in {with_article(f'{rank}-dimensional')} "
                         "input")
    return dim % rank
