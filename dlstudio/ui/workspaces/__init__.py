"""Workspaces: Design, Train and Evaluate, each a full-window layout of panels built from
the shared widgets, and the switcher that owns their saved layouts."""

from dlstudio.ui.workspaces.base import PanelPlace, Workspace
from dlstudio.ui.workspaces.switcher import LAYOUT_VERSION, WorkspaceSwitcher

__all__ = ["LAYOUT_VERSION", "PanelPlace", "Workspace", "WorkspaceSwitcher"]
