"""Activations on the canvas: chosen nodes show their output for the current sample.

The overlay keeps which nodes show (a node's menu toggles one, View > Show all outputs /
Hide outputs all of them), the sample (what is drawn on the Try it pad, or a chosen
validation sample) and Try it's current model, and keeps an `ActivationItem` beside each
chosen node's card up to date. Only the previews some visible view shows are computed
when the sample changes; the others are marked stale and computed when they are next
painted, so a pen stroke costs one forward pass and the pictures on screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import torch
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import QGraphicsView

from dlstudio.compile import GraphModule
from dlstudio.data import DataBundle, DataError
from dlstudio.graph import Graph, Node
from dlstudio.infer import Predictor
from dlstudio.infer.activations import capture, preview, split_sample
from dlstudio.ui.canvas.activation_item import ActivationItem
from dlstudio.ui.canvas.scene import CanvasScene
from dlstudio.ui.tryit import TryItPanel
from dlstudio.ui.tryit.threads import one_torch_thread

if TYPE_CHECKING:
    from dlstudio.ui.main_window import MainWindow

PAD, VALIDATION = "pad", "validation"
NO_MODEL = "No trained model yet: train, then draw on the Try it pad"
NO_SAMPLE = "Draw on the Try it pad (Evaluate) to see this output"
NOT_TRAINED = "Not in the trained model: train again to see it"
NOT_IMAGE = "Outputs follow the drawing pad: Try it has no pad for this model"


class ActivationOverlay(QObject):
    """Which nodes show their output, for which sample and model; keeps the items."""

    updated = Signal()  # the visible previews show the current sample
    sample_described = Signal(str)  # what the sample is ("validation #3: class 7")
    shown_changed = Signal()

    def __init__(self, try_panel: TryItPanel,
                 load_data: Callable[[], DataBundle] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.try_panel = try_panel
        self._load_data = load_data
        self._bundle: DataBundle | None = None
        self.scene: CanvasScene | None = None
        self.shown: set[str] = set()  # node ids
        self.items: dict[str, ActivationItem] = {}
        self.source = PAD
        self.index = 0
        self._pad_sample: tuple[torch.Tensor, ...] | None = None
        self._sample: tuple[torch.Tensor, ...] | None = None
        self._late = QTimer(self)  # pictures asked for by items painted while stale
        self._late.setSingleShot(True)
        self._late.setInterval(0)
        self._late.timeout.connect(self._on_late_timeout)
        self._replaced: set[str] = set()  # removed now; back at the next turn = replaced
        try_panel.image_panel.sample_changed.connect(self._on_pad_sample_changed)
        try_panel.model_changed.connect(self._on_try_panel_model_changed)

    # ----- what shows -------------------------------------------------------------------
    def follow(self, scene: CanvasScene) -> None:
        """Draw on `scene` (the open project's); a new project starts with none shown."""
        if scene is self.scene:
            return
        if self.scene is not None:
            self.scene.document.graph.events.node_removed.disconnect(self._on_node_removed)
            for item in self.items.values():
                if item.scene() is not None:
                    item.scene().removeItem(item)
        self.scene, self.items, self.shown = scene, {}, set()
        self.try_panel.image_panel.record_names = set()
        scene.document.graph.events.node_removed.connect(self._on_node_removed)
        self.shown_changed.emit()

    def is_shown(self, node_id: str) -> bool:
        return node_id in self.shown

    def set_shown(self, node_id: str, on: bool) -> None:
        """Show or hide one node's output."""
        self.show_only(self.shown | {node_id} if on else self.shown - {node_id})

    def show_all(self) -> None:
        if self.scene is not None:
            self.show_only(set(self.scene.nodes))

    def hide_all(self) -> None:
        self.show_only(set())

    def show_only(self, node_ids: set[str]) -> None:
        scene = self.scene
        if scene is None:
            return
        node_ids = {n for n in node_ids if n in scene.nodes}
        for node_id in self.shown - node_ids:
            item = self.items.pop(node_id, None)
            if item is not None and item.scene() is not None:
                item.scene().removeItem(item)
        for node_id in node_ids - self.shown:
            item = ActivationItem(scene.nodes[node_id], self._text_colour)
            item.on_paint_stale = self._late.start
            item.stale = True
            self.items[node_id] = item
        self.shown = node_ids
        graph = scene.document.graph
        self.try_panel.image_panel.record_names = {_value_name(graph, n) for n in node_ids}
        self.refresh()
        self.shown_changed.emit()

    # ----- the sample -------------------------------------------------------------------
    def set_source(self, source: str, index: int = 0) -> None:
        """Follow the pad (PAD) or show validation sample `index` (VALIDATION)."""
        self.source, self.index = source, index
        self._choose_sample()
        self.refresh()

    def _choose_sample(self) -> None:
        if self.source == PAD:
            self._sample = self._pad_sample
            self.sample_described.emit("what is drawn on the pad")
            return
        self._sample = None
        try:
            bundle = self._data()
        except DataError as error:
            self.sample_described.emit(f"cannot load the data: {error}")
            return
        split = bundle.val or bundle.test or bundle.train
        which = "validation" if bundle.val is not None else \
            "test" if bundle.test is not None else "training"
        index = min(self.index, len(split) - 1)
        x, y = split_sample(split, index)
        self._sample = (x,)
        names = bundle.info.class_names
        label = names[int(y)] if y.dim() == 0 and 0 <= int(y) < len(names) else ""
        self.sample_described.emit(f"{which} sample #{index} of {len(split)}"
                                   + (f": {label}" if label else ""))

    def validation_size(self) -> int:
        """How many samples the chooser may pick from (0 when the data cannot load)."""
        try:
            bundle = self._data()
        except DataError:
            return 0
        return len(bundle.val or bundle.test or bundle.train)

    def _data(self) -> DataBundle:
        if self._bundle is None:
            if self._load_data is None:
                raise DataError("no data is chosen")
            self._bundle = self._load_data()
        return self._bundle

    def forget_data(self) -> None:
        """The data choice changed: load it again when a sample is next asked for."""
        self._bundle = None
        if self.source == VALIDATION:
            self.set_source(VALIDATION, self.index)

    # ----- drawing ----------------------------------------------------------------------
    def refresh(self) -> None:
        """Bring the previews on screen up to date; mark the rest stale."""
        if not self.items:
            return
        visible = self._visible_ids()
        for node_id, item in self.items.items():
            item.stale = node_id not in visible
        self._draw([n for n in self.items if n in visible])
        self.updated.emit()

    def _draw(self, node_ids: list[str]) -> None:
        # One torch thread for all of it: a small tensor split between two threads waits
        # for the slower one, which on a busy machine is most of the time (threads.py).
        with one_torch_thread():
            self._draw_pictures(node_ids)

    def _draw_pictures(self, node_ids: list[str]) -> None:
        if not node_ids or self.scene is None:
            return
        predictor = self.try_panel.predictor
        message = self._missing(predictor)
        if message:
            for node_id in node_ids:
                self.items[node_id].set_message(message)
            return
        assert predictor is not None and self._sample is not None
        graph = self.scene.document.graph
        names = {node_id: _value_name(graph, node_id) for node_id in node_ids}
        values: dict[str, torch.Tensor] = {}
        if self.source == PAD:  # what Try it's own forward pass kept, and the input
            values.update(self.try_panel.image_panel.recorded)
            values.update(zip(predictor.model.input_names, self._sample, strict=False))
        missing = _run_single_steps(predictor.model, graph, values,
                                    set(names.values()) - set(values))
        try:
            if missing:
                values.update(capture(predictor.model, self._sample, missing))
        except (RuntimeError, ValueError, TypeError) as error:
            for node_id in node_ids:
                self.items[node_id].set_message(f"The model cannot take this sample: "
                                                f"{str(error).splitlines()[0]}")
            return
        for node_id, name in names.items():
            item = self.items[node_id]
            if name in values:
                item.set_preview(preview(name, values[name].cpu()))
            else:
                item.set_message(NOT_TRAINED)

    def _missing(self, predictor: Predictor | None) -> str:
        if predictor is None:
            return NO_MODEL
        if self.source == PAD and self.try_panel.kind() != "image":
            return NOT_IMAGE
        if self._sample is None:
            return NO_SAMPLE if self.source == PAD else "No validation sample to show"
        return ""

    def _visible_ids(self) -> set[str]:
        """Nodes whose preview lies in a visible view of the scene."""
        if self.scene is None:
            return set()
        areas = [view.mapToScene(view.viewport().rect()).boundingRect()
                 for view in self.scene.views()
                 if isinstance(view, QGraphicsView) and view.isVisible()]
        return {node_id for node_id, item in self.items.items()
                if any(area.intersects(item.sceneBoundingRect()) for area in areas)}

    def _text_colour(self) -> QColor:
        return self.scene.colors.color("text_dim") if self.scene is not None \
            else QColor("gray")

    # ----- slots ------------------------------------------------------------------------
    def _on_pad_sample_changed(self, sample: torch.Tensor | None) -> None:
        self._pad_sample = None if sample is None else (sample,)
        if self.source == PAD:
            self._sample = self._pad_sample
            self.refresh()

    def _on_try_panel_model_changed(self) -> None:
        if self.source == VALIDATION:
            self._choose_sample()
        self.refresh()

    def _on_late_timeout(self) -> None:
        stale = [node_id for node_id, item in self.items.items() if item.stale]
        self._draw(stale)

    def _on_node_removed(self, node: Node) -> None:
        node_id = node.id
        if node_id in self.shown:
            self.shown.discard(node_id)
            self.items.pop(node_id, None)  # went with its node's item
            self.shown_changed.emit()
            # A replace (a health fix's "Use LeakyReLU", and its undo) removes the node
            # and adds one with the same id in the same step: its preview stays.
            self._replaced.add(node_id)
            QTimer.singleShot(0, self._on_replaced_settled)

    def _on_replaced_settled(self) -> None:
        back = {n for n in self._replaced if self.scene is not None and n in self.scene.nodes}
        self._replaced.clear()
        if back:
            self.show_only(self.shown | back)


def _run_single_steps(model: GraphModule, graph: Graph, values: dict[str, torch.Tensor],
                      missing: set[str]) -> set[str]:
    """Compute the missing outputs of one-input layers whose input is known (the final
    Softmax that Try it's prediction leaves to the loss, typically) instead of a
    second forward pass; returns what is still missing."""
    modules = dict(model.named_children())
    by_name = {node.name: node for node in graph.nodes.values()}
    sources: dict[str, str] = {}
    for name in missing:
        edges = graph.edges_into(by_name[name].id) if name in by_name else []
        if name in modules and len(edges) == 1:
            sources[name] = graph.nodes[edges[0].src].name
    progress = True
    while progress:  # a chain of such layers, in any order
        progress = False
        for name, source in sources.items():
            if name not in values and source in values:
                with torch.inference_mode():
                    values[name] = modules[name](values[source][None])[0]
                progress = True
    return missing - set(values)


def _value_name(graph: Graph, node_id: str) -> str:
    """The model value a node's output is: its own submodule (named after it), an
    Input's tensor, or for an Output node, what flows into it."""
    node = graph.nodes[node_id]
    if node.type == "Output":
        edges = graph.edges_into(node_id)
        if edges:
            return graph.nodes[edges[0].src].name
    return node.name


def install_activations(window: MainWindow, try_panel: TryItPanel,
                        load_data: Callable[[], DataBundle] | None = None
                        ) -> ActivationOverlay:
    """Activations for `window`'s canvas: the overlay, its View-menu actions and the
    node menu's "Show output" (the canvas view finds the overlay as an attribute)."""
    overlay = ActivationOverlay(try_panel, load_data, window)
    view = window.view
    view.activation_overlay = overlay
    overlay.follow(view.canvas_scene)
    window.document_changed.connect(lambda _document: overlay.follow(view.canvas_scene))
    menu = window.workspaces.menu
    if menu is not None:
        menu.addSeparator()
        for text, slot, tip in (
                ("Show all outputs", overlay.show_all,
                 "Show every node's output for the current sample beside its card"),
                ("Hide outputs", overlay.hide_all, "Hide the outputs shown on the canvas")):
            action = QAction(text, menu)
            action.setObjectName("action_" + text.lower().replace(" ", "_"))
            action.setStatusTip(tip)
            action.triggered.connect(lambda _=False, s=slot: s())
            menu.addAction(action)
    return overlay
