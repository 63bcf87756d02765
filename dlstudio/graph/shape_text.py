"""How shapes read in messages and on wires: 32×13×13, batch dimension left out."""

from __future__ import annotations

Shape = tuple[int, ...]


def format_shape(shape: Shape | None) -> str:
    if shape is None:
        return "?"
    if len(shape) == 0:
        return "scalar"
    return "×".join(str(d) for d in shape)
