"""The canvas's colours, light and dark: one small record every canvas item reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtGui import QColor

# What flows through a port, told by the rank of its shape (tokens: an Input of token ids).
PORT_KINDS = ("image", "sequence", "vector", "tokens", "unknown")


@dataclass(frozen=True)
class CanvasColors:
    """Colours as '#rrggbb' strings; `color(name)` gives a QColor."""

    background: str
    grid_minor: str
    grid_major: str
    node_fill: str
    node_border: str
    node_selected: str
    text: str
    text_dim: str
    header_text: str
    wire: str
    wire_selected: str
    wire_label_fill: str
    wire_label_text: str
    error: str
    warning: str
    accept: str
    message_fill: str
    message_text: str
    categories: dict[str, str] = field(default_factory=dict)
    ports: dict[str, str] = field(default_factory=dict)

    def color(self, name: str) -> QColor:
        return QColor(getattr(self, name))

    def category(self, name: str) -> QColor:
        return QColor(self.categories.get(name, self.node_border))

    def port(self, kind: str) -> QColor:
        return QColor(self.ports.get(kind, self.ports["unknown"]))


_CATEGORIES_LIGHT = {
    "inputs": "#2e7d32", "core": "#1565c0", "convolution": "#6a1b9a", "pooling": "#00838f",
    "normalisation": "#ad6800", "activations": "#c2185b", "recurrent": "#4527a0",
    "attention": "#827717", "merge": "#455a64", "output": "#b71c1c",
}
_CATEGORIES_DARK = {
    "inputs": "#66bb6a", "core": "#64b5f6", "convolution": "#ce93d8", "pooling": "#4dd0e1",
    "normalisation": "#ffb74d", "activations": "#f48fb1", "recurrent": "#b39ddb",
    "attention": "#dce775", "merge": "#b0bec5", "output": "#ef9a9a",
}
_PORTS_LIGHT = {"image": "#8e24aa", "sequence": "#00897b", "vector": "#1e88e5",
                "tokens": "#f4511e", "unknown": "#9e9e9e"}
_PORTS_DARK = {"image": "#ce93d8", "sequence": "#4db6ac", "vector": "#64b5f6",
               "tokens": "#ff8a65", "unknown": "#8a8f98"}

LIGHT = CanvasColors(
    background="#f7f8fa", grid_minor="#eceef1", grid_major="#dfe2e7", node_fill="#ffffff",
    node_border="#9aa0a6", node_selected="#1a73e8", text="#202124", text_dim="#5f6368",
    header_text="#ffffff",
    wire="#80868b", wire_selected="#1a73e8", wire_label_fill="#ffffff",
    wire_label_text="#3c4043", error="#d93025", warning="#e37400", accept="#34a853",
    message_fill="#fce8e6", message_text="#a50e0e",
    categories=_CATEGORIES_LIGHT, ports=_PORTS_LIGHT,
)
DARK = CanvasColors(
    background="#1e1f22", grid_minor="#26282c", grid_major="#303338", node_fill="#2b2d31",
    node_border="#5f636b", node_selected="#6ea8ff", text="#e8eaed", text_dim="#9aa0a6",
    header_text="#17181b",
    wire="#8a8f98", wire_selected="#6ea8ff", wire_label_fill="#2b2d31",
    wire_label_text="#d0d3d8", error="#ff6b61", warning="#fbbc04", accept="#5bd778",
    message_fill="#5c1f1b", message_text="#ffdad6",
    categories=_CATEGORIES_DARK, ports=_PORTS_DARK,
)


def canvas_colors(dark: bool) -> CanvasColors:
    return DARK if dark else LIGHT
