"""Light and dark themes for the widgets around the canvas.

The Fusion style with a palette of our own looks the same on every platform and follows
the palette completely, so a theme is one QPalette plus the few colours panels use for
messages, and the colours of plots (pyqtgraph draws with colours of its own, not the
palette's). The canvas keeps its own colours (`canvas.colors`); the window tells it which
theme is on.

Switching: `apply_theme` sets the application palette, and Qt sends every widget a
PaletteChange event. Widgets that paint with the palette follow by themselves; those that
hold plots restyle them in `changeEvent` when `is_theme_change(event)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
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


def current_is_dark() -> bool:
    """Whether the application shows the dark theme now."""
    app = QApplication.instance()
    return isinstance(app, QApplication) and is_dark_palette(app.palette())


def current_ui_colors() -> UiColors:
    """The message colours of the theme the application shows now."""
    return ui_colors(current_is_dark())


def preferred_theme(saved: str | None) -> str:
    """The theme to start with: the user's saved choice, else the system's colour scheme."""
    if saved in THEMES:
        return str(saved)
    scheme = QGuiApplication.styleHints().colorScheme()
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def is_theme_change(event: QEvent) -> bool:
    """True for the event a widget receives when the theme (the palette) changes."""
    return event.type() == QEvent.Type.PaletteChange


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


# ----- plots -----------------------------------------------------------------------------
@dataclass(frozen=True)
class PlotColors:
    """What pyqtgraph plots and the painted views draw with in one theme. Curve colours
    are Okabe-Ito (colour-blind safe); the dark theme takes their lighter partners, as
    the deep blue and vermilion sink into a dark background."""

    background: str
    foreground: str  # axes, tick text, titles, legend text
    frame: str  # legend frame, the drawing pad's border
    legend: str  # legend background, over the curves
    train: str
    val: str
    extras: tuple[str, ...]  # layers, runs: one each, in order
    heat: tuple[str, ...]  # confusion matrix cells, share 0 to 1
    bar_track: str  # probability bars: the empty part
    bar: str  # probability bars: all but the top class


_LIGHT_PLOT = PlotColors(
    background="#ffffff", foreground="#303030", frame="#9a9a9a", legend="#ffffffc8",
    train="#0072B2", val="#D55E00",
    extras=("#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C564B", "#7F7F7F"),
    heat=("#ffffff", "#9ecae1", "#3182bd", "#08306b"),
    bar_track="#ececec", bar="#a8a8a8")
_DARK_PLOT = PlotColors(
    background="#1f2024", foreground="#d4d6da", frame="#6a6e76", legend="#1f2024c8",
    train="#56B4E9", val="#F5793A",
    extras=("#2EC49A", "#E39AC4", "#F0E442", "#C8A27C", "#B0B0B0", "#9D8CFF"),
    heat=("#1f2024", "#1d4f7a", "#3d8fd1", "#bfe3ff"),
    bar_track="#34373d", bar="#6a6e76")


def plot_colors(dark: bool) -> PlotColors:
    return _DARK_PLOT if dark else _LIGHT_PLOT


def current_plot_colors() -> PlotColors:
    """The plot colours of the theme the application shows now."""
    return plot_colors(current_is_dark())


CurveKey = str | int  # "train", "val", or the index of an extra curve


def curve_colour(key: CurveKey, colors: PlotColors | None = None) -> str:
    """The colour of a curve by its role, in the current theme (or `colors`)."""
    colors = colors or current_plot_colors()
    if key == "train":
        return colors.train
    if key == "val":
        return colors.val
    index = int(key)
    if index < len(colors.extras):
        return colors.extras[index]
    return pg.intColor(index, hues=12).name()


def heat_map(colors: PlotColors | None = None) -> pg.ColorMap:
    """Low shares in the background's colour, high ones far from it."""
    stops = (colors or current_plot_colors()).heat
    return pg.ColorMap([i / (len(stops) - 1) for i in range(len(stops))],
                       [QColor(stop) for stop in stops])


def readable_text(background: QColor) -> QColor:
    """Black or white, whichever reads on `background`."""
    red, green, blue = background.redF(), background.greenF(), background.blueF()
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return QColor("#202020") if luminance > 0.45 else QColor("#ffffff")


def style_plot(plot: pg.PlotItem) -> None:
    """Give a plot the current theme's colours: its view's background, axes, tick text,
    grid, title, axis labels and legend. Called when a plot is made and again on every
    theme change; it keeps the texts and the curves, only their colours change."""
    colors = current_plot_colors()
    view = plot.scene().views()[0] if plot.scene() is not None else None
    if view is not None:
        view.setBackground(colors.background)
    title = plot.titleLabel
    if title.text:
        title.setText(title.text, color=colors.foreground)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(colors.foreground)  # the grid takes this colour with its own alpha
        axis.setTextPen(colors.foreground)
    legend = plot.legend
    if legend is not None:
        legend.setPen(colors.frame)
        legend.setBrush(colors.legend)
        legend.setLabelTextColor(colors.foreground)
        for _, label in legend.items:  # a label takes a new colour when set again
            label.setText(label.text)
