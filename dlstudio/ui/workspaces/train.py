"""The Train workspace: data and settings at the side with a small view of the network
under them, and the live dashboard across the whole centre."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from dlstudio.ui.workspaces.base import Area, PanelPlace, Workspace

KEY = "train"
TITLE = "Train"
TIP = "Choose data and settings, train, and watch the run live"

PLACES = {
    "Data and training": PanelPlace(Area.LeftDockWidgetArea, share=0.28, least=420,
                                    most=480),
    "Network": PanelPlace(below="Data and training", share=0.24, least=130, most=280),
}


def build_train(workspace: Workspace, dashboard: QWidget, panels: dict[str, QWidget]) -> None:
    """The dashboard in the middle, `panels` (by the names of PLACES) at the side."""
    workspace.set_central(dashboard)
    for name, place in PLACES.items():
        workspace.add_panel(name, panels[name], place)
