"""The current training health signs of one document: the latest epoch's, kept after the
run ends, cleared when a new run starts or another project opens.

A sign stays shown while what it is about is as it was when the sign came: its node and
what comes straight after it (type, parameters, wires out) and the settings its fixes
change. A fix, or any edit that changes those, takes the sign away; undoing the edit
brings it back, since the board keeps each sign with a picture of that state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from dlstudio.graph import Graph, GraphError
from dlstudio.train.health_signs import ADD_DROPOUT, EARLY_STOPPING, HALVE_LR, HealthSign
from dlstudio.ui.document import Document
from dlstudio.ui.health.fixes import fix_target
from dlstudio.ui.training.settings_form import SettingsForm

SETTINGS_OF_FIX = {HALVE_LR: "lr", EARLY_STOPPING: "early_stopping"}


@dataclass(frozen=True)
class ShownSign:
    """A sign with the node it belongs to (its id when it came; None for a run-wide one)
    and the picture of what it is about."""

    sign: HealthSign
    node_id: str | None
    state: str


def signs_of(stats: Any) -> tuple[HealthSign, ...]:
    """An epoch's signs (EpochStats.health); none from a trainer without checks."""
    return tuple(getattr(stats, "health", ()) or ())


class HealthBoard(QObject):
    """Holds the signs; `changed` when the ones that apply are different."""

    changed = Signal()

    def __init__(self, document: Document, form: SettingsForm,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document, self.form = document, form
        self._signs: list[ShownSign] = []
        self._shown: list[ShownSign] = []
        document.report_updated.connect(self._on_document_changed)  # once per burst
        form.changed.connect(self._on_document_changed)

    # ----- what is shown -------------------------------------------------------------
    def current(self) -> list[ShownSign]:
        """The signs that still apply, in the order the checks gave them."""
        return list(self._shown)

    def node_name(self, shown: ShownSign) -> str:
        """The node's name now (it may have been renamed since), or the sign's."""
        node = self.document.graph.nodes.get(shown.node_id or "")
        return node.name if node is not None else shown.sign.node

    # ----- what comes in -------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        self.document.report_updated.disconnect(self._on_document_changed)
        self.document = document
        document.report_updated.connect(self._on_document_changed)
        self.clear()

    def clear(self) -> None:
        """A new run or another project: no signs until its first epoch."""
        self._signs = []
        self._refresh()

    def take_epoch(self, stats: Any) -> None:
        """The newest epoch's signs replace the ones shown."""
        graph = self.document.graph
        signs = []
        for sign in signs_of(stats):
            node_id = _node_id(graph, sign.node)
            if sign.node and node_id is None:
                continue  # a node of a graph since replaced: nothing to point at
            signs.append(ShownSign(sign, node_id, self._state(sign, node_id)))
        self._signs = signs
        self._refresh()

    def _on_document_changed(self, *_: object) -> None:
        self._refresh()

    def _refresh(self) -> None:
        shown = [s for s in self._signs if self._state(s.sign, s.node_id) == s.state]
        if shown != self._shown:
            self._shown = shown
            self.changed.emit()

    def _state(self, sign: HealthSign, node_id: str | None) -> str:
        """What the sign is about, as it is now: its node and the nodes right after it,
        and the settings its fixes would change."""
        graph = self.document.graph
        picture: dict[str, Any] = {}
        if node_id is not None:
            picture["node"] = _node_picture(graph, node_id)
        elif ADD_DROPOUT in sign.fixes:  # a run-wide sign's Dropout goes before the top
            target = fix_target(graph, self.document.report, None, ADD_DROPOUT)
            picture["node"] = _node_picture(graph, target) if target else None
        values = self.form.values()
        picture["settings"] = {SETTINGS_OF_FIX[f]: values.get(SETTINGS_OF_FIX[f])
                               for f in sign.fixes if f in SETTINGS_OF_FIX}
        return json.dumps(picture, sort_keys=True, default=str)


def _node_id(graph: Graph, name: str) -> str | None:
    if not name:
        return None
    try:
        return graph.node_by_name(name).id
    except GraphError:
        return None


def _node_picture(graph: Graph, node_id: str) -> Any:
    node = graph.nodes.get(node_id)
    if node is None:
        return None
    after = sorted(graph.edges_out_of(node_id), key=lambda e: (e.dst, e.dst_port))
    return {"type": node.type, "params": node.params,
            "out": [(e.src_port, e.dst, e.dst_port, graph.nodes[e.dst].type,
                     graph.nodes[e.dst].params) for e in after]}
