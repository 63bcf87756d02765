"""Light and dark themes for the widgets around the canvas.

The Fusion style with a palette of our own looks the same on every platform and follows
the palette completely, so a theme is one QPalette plus the few colours panels use for
messages. The canvas keeps its own colours (`canvas.colors`); the window tells it which
theme is on.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

THEMES = ("light", "dark")


@dataclass(frozen=True)
class UiColors:
    """Colours for text that must stand out from the palette: errors, warnings, hints."""

    error: str
    warning: str
    ok: str
    muted: str


_LIGHT_COLORS = UiColors(error="#c62828", warning="#a15c00", ok="#2e7d32", muted="#5f6368")
_DARK_COLORS = UiColors(error="#ff7b72", warning="#e3b341", ok="#56d364", muted="#9aa0a6")


def ui_colors(dark: bool) -> UiColors:
    return _DARK_COLORS if dark else _LIGHT_COLORS


def is_dark_palette(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def current_ui_colors() -> UiColors:
    """The message colours of the theme the application shows now."""
    app = QApplication.instance()
    dark = isinstance(app, QApplication) and is_dark_palette(app.palette())
    return ui_colors(dark)


def _dark_palette() -> QPalette:
    roles = QPalette.ColorRole
    palette = QPalette()
    colours = {
        roles.Window: "#2b2d31", roles.WindowText: "#e6e6e6", roles.Base: "#1f2024",
        roles.AlternateBase: "#2a2c30", roles.ToolTipBase: "#3a3d43",
        roles.ToolTipText: "#f0f0f0", roles.PlaceholderText: "#8a8f98", roles.Text: "#e6e6e6",
        roles.Button: "#34373d", roles.ButtonText: "#e6e6e6", roles.BrightText: "#ff7b72",
        roles.Light: "#4a4d55", roles.Midlight: "#3e4148", roles.Mid: "#2f3136",
        roles.Dark: "#1b1c1f", roles.Shadow: "#101113", roles.Highlight: "#3d7bd9",
        roles.HighlightedText: "#ffffff", roles.Link: "#6ea8ff", roles.LinkVisited: "#b58cff",
    }
    for role, value in colours.items():
        palette.setColor(role, QColor(value))
    disabled = QPalette.ColorGroup.Disabled
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        palette.setColor(disabled, role, QColor("#7a7e86"))
    palette.setColor(disabled, roles.Highlight, QColor("#4a4d55"))
    return palette


def apply_theme(app: QApplication, theme: str) -> None:
    """Switch every widget of the application to the light or dark theme."""
    if theme not in THEMES:
        raise ValueError(f"unknown theme {theme!r}; choose one of: {', '.join(THEMES)}")
    fusion = QStyleFactory.create("Fusion")
    if fusion is not None and app.style().name().lower() != "fusion":
        app.setStyle(fusion)
    palette = _dark_palette() if theme == "dark" else app.style().standardPalette()
    app.setPalette(palette)
