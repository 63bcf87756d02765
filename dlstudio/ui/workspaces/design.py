"""The Design workspace: the layer palette, the canvas, the inspector, the model summary
and the problems under the canvas."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from dlstudio.ui.workspaces.base import Area, PanelPlace, Workspace

KEY = "design"
TITLE = "Design"
TIP = "Draw the network: layers, wires, parameters"

PLACES = {
    "Layers": PanelPlace(Area.LeftDockWidgetArea, share=0.14, least=170, most=260),
    "Inspector": PanelPlace(Area.RightDockWidgetArea, share=0.24, least=280, most=420),
    "Model summary": PanelPlace(below="Inspector", share=0.36, least=170, most=420),
    "Problems": PanelPlace(Area.BottomDockWidgetArea, share=0.16, least=90, most=200),
}


def build_design(workspace: Workspace, canvas: QWidget, panels: dict[str, QWidget]) -> None:
    """Put the canvas in the middle and `panels` (by the names of PLACES) around it."""
    workspace.set_central(canvas)
    for name, place in PLACES.items():
        workspace.add_panel(name, panels[name], place)
