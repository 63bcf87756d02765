"""The wires of a graph, kept by id and indexed by the nodes at their ends.

A 10,000-node project asks "what feeds this node?" and "where does this node lead?"
for every node while it loads, checks and orders itself; scanning every wire for each
answer made opening such a file quadratic (and cubic with a path search per wire). The
table keeps both indexes up to date on every change, including changes made straight
to `graph.edges`, so a lookup costs the node's own wires only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dlstudio.graph.model import Edge

_MISSING: Any = object()


class EdgeTable(dict[str, "Edge"]):
    """`{edge id: Edge}` that also knows each node's incoming and outgoing wires."""

    def __init__(self, items: Mapping[str, Edge] | Iterable[tuple[str, Edge]] = ()) -> None:
        super().__init__()
        self.incoming: dict[str, dict[str, Edge]] = {}
        self.outgoing: dict[str, dict[str, Edge]] = {}
        self._stamps: dict[str, int] = {}
        self._count = 0
        self.update(items)

    def position(self, key: str) -> int:
        """Sorts wire ids as the table lists them (the order they were added)."""
        return self._stamps[key]

    def into(self, node_id: str) -> Iterable[Edge]:
        """The wires ending at `node_id`, in the order they were added."""
        return self.incoming.get(node_id, {}).values()

    def out_of(self, node_id: str) -> Iterable[Edge]:
        """The wires leaving `node_id`, in the order they were added."""
        return self.outgoing.get(node_id, {}).values()

    # ----- every way a dict can change goes through _index / _unindex ----------------------
    def __setitem__(self, key: str, edge: Edge) -> None:
        old = dict.get(self, key, _MISSING)
        if old is not _MISSING:
            self._unindex(key, old)
        else:
            self._stamps[key] = self._count
            self._count += 1
        super().__setitem__(key, edge)
        self.incoming.setdefault(edge.dst, {})[key] = edge
        self.outgoing.setdefault(edge.src, {})[key] = edge

    def __delitem__(self, key: str) -> None:
        edge = self[key]
        super().__delitem__(key)
        self._unindex(key, edge)
        del self._stamps[key]

    def pop(self, key: str, default: Any = _MISSING) -> Any:
        if key not in self:
            if default is _MISSING:
                raise KeyError(key)
            return default
        edge = self[key]
        del self[key]
        return edge

    def popitem(self) -> tuple[str, Edge]:
        key, edge = super().popitem()
        self._unindex(key, edge)
        del self._stamps[key]
        return key, edge

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *others: Any, **extra: Edge) -> None:
        for other in others:
            pairs = other.items() if isinstance(other, Mapping) else other
            for key, edge in pairs:
                self[key] = edge
        for key, edge in extra.items():
            self[key] = edge

    def __ior__(self, other: Any) -> EdgeTable:  # type: ignore[override,misc]
        self.update(other)
        return self

    def clear(self) -> None:
        super().clear()
        self._stamps.clear()
        self.incoming.clear()
        self.outgoing.clear()

    def copy(self) -> EdgeTable:  # type: ignore[override]
        return EdgeTable(self)

    def __reduce__(self) -> tuple[type[EdgeTable], tuple[dict[str, Edge]]]:
        # copy, deepcopy and pickle rebuild the indexes through __init__
        return EdgeTable, (dict(self),)

    def _unindex(self, key: str, edge: Edge) -> None:
        for index, end in ((self.incoming, edge.dst), (self.outgoing, edge.src)):
            wires = index.get(end)
            if wires is not None:
                wires.pop(key, None)
                if not wires:
                    del index[end]
