"""The canvas's context menus: right-click a node (or press the Menu key or Shift+F10 with
one selected) for its actions, right-click the empty canvas for the canvas's own.

"Show output" toggles the node's activation preview (canvas/activation_overlay.py).
A node with a training health badge lists the badge's fixes first (health/install.py),
so Shift+F10 or the Menu key reaches them without the mouse.
"Freeze up to here" and "Train from here" are the transfer-learning gestures: the graph
rule (dlstudio.graph.freeze) says which layers change, the editor records them as one
undo step, and the summary's trainable count follows at once. The menu is shown with
`popup()`, so it never blocks (tests trigger its actions directly).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from dlstudio.graph.freeze import Change, freeze_until, train_from
from dlstudio.graph.summary import summarize
from dlstudio.ui.canvas import clipboard
from dlstudio.ui.canvas.node_item import NodeItem, PortItem

if TYPE_CHECKING:
    from dlstudio.ui.canvas.view import CanvasView


def node_at(view: CanvasView, pos: QPoint) -> str | None:
    """The id of the node under a viewport pixel (its ports count as the node)."""
    for item in view.items(pos):
        if isinstance(item, PortItem):
            return item.node_id
        if isinstance(item, NodeItem):
            return item.node_id
    return None


def open_context_menu(view: CanvasView, pos: QPoint, keyboard: bool) -> QMenu | None:
    """The menu for what is at `pos` (viewport pixels); from the keyboard, for the
    selected node, shown under its card. Returns the menu, already shown; None while
    the canvas takes no edits (a run is training)."""
    if not view.isInteractive():
        return None
    scene = view.canvas_scene
    node_id = None
    if keyboard:
        selected = scene.selected_node_ids()
        node_id = selected[0] if selected else None
        if node_id is not None:
            view.ensureVisible(scene.nodes[node_id], 60, 60)
            card = scene.nodes[node_id].sceneBoundingRect()
            pos = view.mapFromScene(card.center().x(), card.bottom())
    else:
        node_id = node_at(view, pos)
    if node_id is not None and node_id not in scene.selected_node_ids():
        scene.select_nodes([node_id])
    menu = node_menu(view, node_id) if node_id is not None else canvas_menu(view)
    menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    menu.popup(view.viewport().mapToGlobal(pos))
    return menu


def node_menu(view: CanvasView, node_id: str) -> QMenu:
    """Rename, the freezing gestures, then the editing of the selection."""
    graph = view.document.graph
    node = graph.node(node_id)
    menu = QMenu(view)
    menu.setObjectName("node_menu")
    menu.setToolTipsVisible(True)
    health = getattr(view, "health_fixes", None)  # set by install_health
    if health is not None and health.add_fixes(menu, node_id):
        menu.addSeparator()  # a health badge's fixes first: the keyboard's way to them
    _add(menu, "&Rename…", "F2", lambda: view.rename_node(node_id))
    menu.addSeparator()
    for text, rule, tip in (
            ("&Freeze up to here", freeze_until,
             f"Keep the weights of {node.name} and of every layer before it fixed; the "
             "layers after it train"),
            ("&Train from here", train_from,
             f"Train {node.name} and every layer after it; the layers before it are "
             "frozen")):
        changes = rule(graph, node_id)
        label = text.replace("&", "").lower()
        action = _add(menu, text, "", lambda c=changes, w=label: _apply(view, c, w), tip)
        action.setEnabled(bool(changes))
    frozen = [(n.id, True) for n in graph.nodes.values()
              if n.spec.has_weights and n.params.get("trainable", True) is False]
    unfreeze = _add(menu, "&Unfreeze all", "", lambda: _apply(view, frozen, "unfreeze all"),
                    "Train every layer again")
    unfreeze.setEnabled(bool(frozen))
    overlay = getattr(view, "activation_overlay", None)  # set by install_activations
    if overlay is not None:
        menu.addSeparator()
        shown = overlay.is_shown(node_id)
        action = _add(menu, "Show &output", "",
                      lambda: overlay.set_shown(node_id, not shown),
                      f"Draw what {node.name} outputs for the current sample (the Try it "
                      "pad or a validation sample) beside its card")
        action.setCheckable(True)
        action.setChecked(shown)
    menu.addSeparator()
    _add(menu, "&Copy", "Ctrl+C", view.copy)
    _add(menu, "D&uplicate", "Ctrl+D", view.duplicate)
    _add(menu, "&Delete", "Delete", view.delete_selected)
    return menu


def canvas_menu(view: CanvasView) -> QMenu:
    """What a right-click on the empty canvas offers."""
    menu = QMenu(view)
    menu.setObjectName("canvas_menu")
    paste = _add(menu, "&Paste", "Ctrl+V", view.paste)
    paste.setEnabled(clipboard.get_nodes() is not None)
    _add(menu, "Select &all", "Ctrl+A", view.select_all)
    menu.addSeparator()
    _add(menu, "Auto &layout", "Ctrl+L", view.auto_layout)
    _add(menu, "&Fit to view", "F", view.fit_all)
    return menu


def _add(menu: QMenu, text: str, shortcut: str, slot: Callable[[], object],
         tip: str = "") -> QAction:
    action = menu.addAction(text)
    action.setObjectName("menu_" + text.replace("&", "").rstrip("…").lower().replace(" ", "_"))
    if shortcut:  # shown as a reminder; the window's own action does the work
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
    if tip:
        action.setToolTip(tip)
        action.setStatusTip(tip)
    action.triggered.connect(lambda _=False: slot())
    return action


def _apply(view: CanvasView, changes: list[Change], what: str) -> None:
    """One undo step, then say in the status bar what it did to the trainable count."""
    frozen = sum(1 for _id, trainable in changes if not trainable)
    thawed = len(changes) - frozen
    view.document.editor.set_trainable(changes, what[0].upper() + what[1:])
    summary = summarize(view.document.graph)
    parts = ([f"froze {_layers(frozen)}"] if frozen else []) + (
        [f"unfroze {_layers(thawed)}"] if thawed else [])
    view.message_shown.emit(f"{' and '.join(parts).capitalize()}: "
                            f"{summary.trainable_params:,} trainable of "
                            f"{summary.total_params:,} parameters")


def _layers(count: int) -> str:
    return f"{count} layer{'s' if count != 1 else ''}"
