"""A small helper that writes templates as readable chains of named layers."""

from __future__ import annotations

from typing import Any

from dlstudio.graph.model import Graph


class Builder:
    """Adds named layers one after another, wiring each to the one added before it.

    `after=` wires from another node instead (branches); `wire` adds the extra inputs of
    merge nodes (the skip connection into an Add).
    """

    def __init__(self) -> None:
        self.graph = Graph()
        self.last: str | None = None

    def add(self, type_name: str, name: str, *, after: str | None = None,
            **params: Any) -> str:
        node = self.graph.add_node(type_name, name=name, params=params)
        source = after or self.last
        if source is not None and node.input_ports:
            self.graph.connect(source, node.id, dst_port=node.input_ports[0])
        self.last = node.id
        return node.id

    def wire(self, src: str, dst: str, port: str) -> None:
        self.graph.connect(src, dst, dst_port=port)

    def classifier_end(self, loss: str = "cross_entropy") -> None:
        """Softmax then Output: drawn as users expect; the compiler pairs it with the loss."""
        self.add("Softmax", "softmax")
        self.add("Output", "output", loss=loss)
