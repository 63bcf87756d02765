"""A workspace: one full-window arrangement of panels around a central widget.

Each workspace is a QMainWindow used as a page of the real window, so its docks, their
sizes and its saved state are its own. Its default layout is not a saved picture of the
first launch but the same code run again (`apply_default_layout`): "Reset layout" gives
exactly the first-launch layout, at the window's size now. Sizes are fractions of the
window with bounds in pixels, so a default reads at 1366×768 as at 1920×1080.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

Area = Qt.DockWidgetArea
Orientation = Qt.Orientation
DOCK_FEATURES = (QDockWidget.DockWidgetFeature.DockWidgetClosable
                 | QDockWidget.DockWidgetFeature.DockWidgetMovable
                 | QDockWidget.DockWidgetFeature.DockWidgetFloatable)


@dataclass(frozen=True)
class PanelPlace:
    """Where a panel goes by default: an area, or below a panel placed before it; its
    share of the window's width (side areas) or height (top and bottom areas, or below
    another panel), kept within `least`..`most` pixels."""

    area: Area = Area.RightDockWidgetArea
    below: str = ""
    share: float = 0.25
    least: int = 160
    most: int = 10_000


def dock_object_name(name: str) -> str:
    return "dock_" + "".join(c if c.isalnum() else "_" for c in name.lower())


class Workspace(QMainWindow):
    """The panels of one job (designing, training, evaluating) around its central widget."""

    def __init__(self, key: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key, self.title = key, title
        self.setObjectName(f"workspace_{key}")
        self.setWindowFlags(Qt.WindowType.Widget)  # a page of the main window
        self.setDockNestingEnabled(True)
        self.setDocumentMode(True)
        self.docks: dict[str, QDockWidget] = {}
        self.places: dict[str, PanelPlace] = {}
        self._floating_hidden: list[QDockWidget] = []
        self.setCorner(Qt.Corner.BottomLeftCorner, Area.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Area.RightDockWidgetArea)

    def set_central(self, widget: QWidget) -> None:
        self.setCentralWidget(widget)

    def add_panel(self, name: str, widget: QWidget, place: PanelPlace) -> QDockWidget:
        """Show `widget` in the dock called `name` (made on first use) at `place`."""
        dock = self.docks.get(name)
        if dock is not None:
            dock.setWidget(widget)
            return dock
        dock = QDockWidget(name, self)
        dock.setObjectName(dock_object_name(name))
        dock.setFeatures(DOCK_FEATURES)
        dock.setWidget(widget)
        dock.topLevelChanged.connect(lambda floating, d=dock: self._on_dock_top_level_changed(
            d, floating))
        self.docks[name] = dock
        self.places[name] = place
        self._place(name)
        return dock

    def panel_signature(self) -> str:
        """The panels this workspace has, as saved beside its state: a state saved with
        another set of panels is dropped whole."""
        return ",".join(sorted(dock.objectName() for dock in self.docks.values()))

    # ----- default layout -----------------------------------------------------------
    def apply_default_layout(self) -> None:
        """Every panel docked, shown and sized as on the first launch."""
        for dock in self.docks.values():
            dock.setFloating(False)
            self.removeDockWidget(dock)
        for name in self.docks:
            self._place(name)
            self.docks[name].show()
        self.apply_default_sizes()

    def _place(self, name: str) -> None:
        dock, place = self.docks[name], self.places[name]
        if place.below and place.below in self.docks:
            self.splitDockWidget(self.docks[place.below], dock, Orientation.Vertical)
        else:
            self.addDockWidget(place.area, dock)

    def apply_default_sizes(self) -> None:
        """Each panel's share of the window, within its bounds."""
        width, height = max(self.width(), 800), max(self.height(), 500)
        across: tuple[list[QDockWidget], list[int]] = ([], [])
        down: tuple[list[QDockWidget], list[int]] = ([], [])
        for name, dock in self.docks.items():
            place = self.places[name]
            if dock.isFloating():
                continue
            side = place.area in (Area.LeftDockWidgetArea, Area.RightDockWidgetArea)
            vertical = bool(place.below) or not side
            total = height if vertical else width
            size = int(min(max(total * place.share, place.least), place.most))
            target = down if vertical else across
            target[0].append(dock)
            target[1].append(size)
        if across[0]:
            self.resizeDocks(across[0], across[1], Orientation.Horizontal)
        if down[0]:
            self.resizeDocks(down[0], down[1], Orientation.Vertical)

    # ----- saved state ------------------------------------------------------------------
    def save_layout(self, version: int) -> QByteArray:
        """The state, with floating panels that left with their workspace as shown."""
        for dock in self._floating_hidden:
            dock.setVisible(True)
        state = self.saveState(version)
        for dock in self._floating_hidden:
            dock.setVisible(False)
        return state

    def restore_layout(self, state: QByteArray, version: int) -> bool:
        """Apply a saved state; False (nothing applied that matters) when Qt refuses it."""
        if not self.restoreState(state, version):
            return False
        for dock in self.docks.values():  # a docked panel never comes back as a sliver
            if not dock.isFloating() and not dock.isHidden():
                self._ensure_room(dock)
        return True

    # ----- leaving and coming back ------------------------------------------------------
    def hide_floating(self) -> None:
        """Floating panels belong to this workspace: they leave with it."""
        self._floating_hidden = [d for d in self.docks.values()
                                 if d.isFloating() and d.isVisible()]
        for dock in self._floating_hidden:
            dock.hide()

    def show_floating(self) -> None:
        for dock in self._floating_hidden:
            dock.show()
        self._floating_hidden = []

    def bring_forward(self, name: str) -> None:
        """Show the panel `name` and put it in front of its tab group."""
        dock = self.docks[name]
        dock.show()
        dock.raise_()

    def _on_dock_top_level_changed(self, dock: QDockWidget, floating: bool) -> None:
        if floating:
            return
        # Docked again (by double-clicking its title or by dragging it back): it stays
        # visible, in front, and gets back the room its default gives it.
        dock.show()
        dock.raise_()
        self._ensure_room(dock)

    def _ensure_room(self, dock: QDockWidget) -> None:
        name = next(n for n, d in self.docks.items() if d is dock)
        place = self.places[name]
        area = self.dockWidgetArea(dock)
        side = area in (Area.LeftDockWidgetArea, Area.RightDockWidgetArea)
        orientation = Orientation.Horizontal if side else Orientation.Vertical
        current = dock.width() if side else dock.height()
        least = min(place.least, 120)
        if current < least:
            total = max(self.width() if side else self.height(), 500)
            size = int(min(max(total * place.share, place.least), place.most))
            self.resizeDocks([dock], [size], orientation)
