"""The layer palette: every catalogue layer type, grouped, searchable, dragged onto the canvas.

The palette reads the catalogue, so a new layer type appears here with no UI change.
`layer_mime_data` is the one place a drag's payload is built (the tests build theirs with
it too), and `layer_type_from_mime` the one place it is read.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dlstudio.graph import all_layer_specs, layer_spec
from dlstudio.graph.catalogue import CATEGORIES, LayerSpec

LAYER_MIME = "application/x-dlstudio-layer"
TYPE_ROLE = Qt.ItemDataRole.UserRole


def layer_mime_data(type_name: str) -> QMimeData:
    """The payload of dragging one layer type out of the palette."""
    mime = QMimeData()
    mime.setData(LAYER_MIME, type_name.encode("utf-8"))
    mime.setText(type_name)
    return mime


def layer_type_from_mime(mime: QMimeData | None) -> str | None:
    """The layer type a drag carries, or None if it carries no known layer type."""
    if mime is None or not mime.hasFormat(LAYER_MIME):
        return None
    type_name = bytes(mime.data(LAYER_MIME)).decode("utf-8", errors="replace")
    try:
        return layer_spec(type_name).type
    except KeyError:
        return None


def search_text(spec: LayerSpec) -> str:
    """What a search looks in: the type, its group, its help and its other names
    (linear, fc, bn, nn.Conv2d...), so a learner finds a layer by the name they know."""
    return " ".join((spec.type, spec.category, spec.help, *spec.search_words)).lower()


def layer_tooltip(spec: LayerSpec) -> str:
    names = ", ".join(p.name for p in spec.params if p.name != "trainable") or "none"
    return f"{spec.type}: {spec.help}\nParameters: {names}\nDrag onto the canvas to add it."


class _LayerTree(QTreeWidget):
    """A tree whose layer entries drag out as layer mime data."""

    def mimeTypes(self) -> list[str]:
        return [LAYER_MIME]

    def mimeData(self, items: Sequence[QTreeWidgetItem]) -> QMimeData:
        types = [i.data(0, TYPE_ROLE) for i in items if i.data(0, TYPE_ROLE)]
        return layer_mime_data(types[0]) if types else QMimeData()


class PaletteWidget(QWidget):
    """Grouped list of layer types with a search box; drag or double-click to add."""

    layer_activated = Signal(str)  # type name, on double-click or Enter

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search layers…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._on_search_text_changed)
        self.tree = _LayerTree()
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.itemActivated.connect(self._on_tree_item_activated)
        self.no_match = QLabel()
        self.no_match.setWordWrap(True)
        self.no_match.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.no_match)
        layout.addWidget(self.tree)
        self._groups: dict[str, QTreeWidgetItem] = {}
        self._entries: dict[str, QTreeWidgetItem] = {}
        self._fill()

    def _fill(self) -> None:
        for category in CATEGORIES:
            group = QTreeWidgetItem(self.tree, [category.capitalize()])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self._groups[category] = group
        for spec in all_layer_specs():
            entry = QTreeWidgetItem(self._groups[spec.category], [spec.type])
            entry.setData(0, TYPE_ROLE, spec.type)
            entry.setToolTip(0, layer_tooltip(spec))
            entry.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                           | Qt.ItemFlag.ItemIsDragEnabled)
            self._entries[spec.type] = entry
        for category, group in list(self._groups.items()):
            if group.childCount() == 0:
                self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(group))
                del self._groups[category]
        self.tree.expandAll()

    def entry(self, type_name: str) -> QTreeWidgetItem:
        return self._entries[type_name]

    def visible_types(self) -> list[str]:
        """Layer types the search currently shows, in palette order."""
        return [t for t, item in self._entries.items() if not item.isHidden()]

    def _on_search_text_changed(self, text: str) -> None:
        words = text.lower().split()
        for type_name, item in self._entries.items():
            haystack = search_text(layer_spec(type_name))
            item.setHidden(not all(w in haystack for w in words))
        for group in self._groups.values():
            children = [group.child(i) for i in range(group.childCount())]
            group.setHidden(all(child.isHidden() for child in children))
        self.tree.expandAll()
        nothing = bool(words) and not self.visible_types()
        self.no_match.setText(f"No layer matches '{text.strip()}'. Try a PyTorch name "
                              "such as linear or conv, or clear the search." if nothing else "")
        self.no_match.setVisible(nothing)

    def _on_tree_item_activated(self, item: QTreeWidgetItem, column: int) -> None:
        type_name = item.data(0, TYPE_ROLE)
        if type_name:
            self.layer_activated.emit(type_name)
