"""File > New from template: a gallery of every built-in template.

Each template shows a small picture drawn from the graph it builds (so it can never
drift from it): the shape profile of the network, one bar per layer. Pictures are
painted at the screen's pixel ratio, crisp at any DPI.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dlstudio.graph import Graph, infer_shapes
from dlstudio.graph.summary import summarize
from dlstudio.graph.templates import build_template, template_info, template_names
from dlstudio.ui.canvas.colors import canvas_colors
from dlstudio.ui.theme import is_dark_palette
from dlstudio.weights import pretrained_entry, pretrained_names

THUMB_SIZE = QSize(200, 88)
NAME_ROLE = Qt.ItemDataRole.UserRole


@dataclass(frozen=True)
class TemplateCard:
    """What the gallery shows of one template."""

    name: str
    title: str
    description: str
    category: str
    layers: int
    total_params: int
    graph: Graph


def template_cards() -> list[TemplateCard]:
    cards = []
    for name in template_names():
        info = template_info(name)
        graph = build_template(name)
        summary = summarize(graph)
        cards.append(TemplateCard(name, info.title, info.description, info.category,
                                  len(graph.nodes), summary.total_params, graph))
    return cards


def draw_graph_picture(graph: Graph, size: QSize, dark: bool, ratio: float) -> QPixmap:
    """The template's shape profile: one bar per layer in the order data flows, as tall
    as the layer's output is large (log scale), in the canvas's category colours. A CNN
    reads as a funnel, a wide Dense layer as a tall bar."""
    colors = canvas_colors(dark)
    pixmap = QPixmap(size * ratio)
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(colors.color("background"))
    report = infer_shapes(graph)
    order = report.order or list(graph.nodes)
    if not order:
        return pixmap
    volumes = [math.prod(report.shapes.get(node_id, (1,))) for node_id in order]
    largest = math.log1p(max(volumes))
    margin, lowest = 8.0, 4.0
    width, height = size.width() - 2 * margin, size.height() - 2 * margin
    gap = 1.0 if len(order) > 30 else 3.0
    bar = min(18.0, (width - gap * (len(order) - 1)) / len(order))
    left = margin + (width - (bar + gap) * len(order) + gap) / 2
    middle = size.height() / 2
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(colors.color("wire"), 1.0))
    painter.drawLine(QPointF(left, middle), QPointF(left + (bar + gap) * len(order) - gap, middle))
    painter.setPen(Qt.PenStyle.NoPen)
    for index, (node_id, volume) in enumerate(zip(order, volumes, strict=True)):
        share = math.log1p(volume) / largest if largest > 0 else 1.0
        tall = lowest + (height - lowest) * share
        painter.setBrush(colors.category(graph.nodes[node_id].spec.category))
        rect = QRectF(left + index * (bar + gap), middle - tall / 2, bar, tall)
        radius = min(2.0, bar / 3)
        painter.drawRoundedRect(rect, radius, radius)
    painter.end()
    return pixmap


class TemplateGallery(QDialog):
    """Pick a template: pictures on the left, what it is on the right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New from template")
        self.resize(1000, 600)
        self.cards = {card.name: card for card in template_cards()}
        self.list = QListWidget(self)
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(THUMB_SIZE)
        self.list.setGridSize(QSize(THUMB_SIZE.width() + 24, THUMB_SIZE.height() + 44))
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setWordWrap(True)
        self.list.setSpacing(4)
        dark = is_dark_palette(self.palette())
        ratio = self.devicePixelRatioF()
        for card in self.cards.values():
            picture = draw_graph_picture(card.graph, THUMB_SIZE, dark, ratio)
            item = QListWidgetItem(QIcon(picture), card.title)
            item.setData(NAME_ROLE, card.name)
            item.setToolTip(f"{card.description}\n\nPicture: one bar per layer, as tall as "
                            "its output is large, coloured by kind of layer.")
            self.list.addItem(item)
        self.details = QLabel(self)
        self.details.setWordWrap(True)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.details.setMinimumWidth(240)
        self.details.setMaximumWidth(280)
        self.pretrained = QCheckBox("Start from &ImageNet weights")
        self.pretrained.setObjectName("gallery_pretrained")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
            parent=self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.list.currentItemChanged.connect(self._on_list_current_item_changed)
        self.list.itemDoubleClicked.connect(self._on_list_item_double_clicked)
        body = QHBoxLayout()
        body.addWidget(self.list, 1)
        body.addWidget(self.details)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        footer = QHBoxLayout()
        footer.addWidget(self.pretrained)
        footer.addWidget(self.buttons, 1)
        layout.addLayout(footer)
        # Tab reaches the checkbox before Create: Space on Create would make the project
        # without the weights the user was about to ask for.
        QWidget.setTabOrder(self.list, self.pretrained)
        QWidget.setTabOrder(self.pretrained, self.buttons)
        self.list.setCurrentRow(0)

    def selected_name(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None else item.data(NAME_ROLE)

    def starts_pretrained(self) -> bool:
        """Whether the chosen template starts from its published ImageNet weights."""
        return self.pretrained.isEnabled() and self.pretrained.isChecked()

    def select(self, name: str) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(NAME_ROLE) == name:
                self.list.setCurrentRow(row)
                return
        raise KeyError(name)

    def _on_list_current_item_changed(self, item: QListWidgetItem | None,
                                      _previous: QListWidgetItem | None) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(item is not None)
        self._offer_pretrained(None if item is None else item.data(NAME_ROLE))
        if item is None:
            self.details.clear()
            return
        card = self.cards[item.data(NAME_ROLE)]
        self.details.setText(
            f"<h3>{escape(card.title)}</h3><p>{escape(card.description)}</p>"
            f"<p>Category: {card.category}<br>Layers: {card.layers}<br>"
            f"Parameters: {card.total_params:,}</p><p><code>{card.name}</code></p>")

    def _offer_pretrained(self, name: str | None) -> None:
        """The checkbox applies to templates with published weights only."""
        offered = name in pretrained_names()
        self.pretrained.setEnabled(offered)
        self.pretrained.setToolTip(
            f"{pretrained_entry(name).description}: downloaded once when training starts; "
            "images get ImageNet's mean and std" if offered else
            "Published ImageNet weights exist for " + ", ".join(pretrained_names()))

    def _on_list_item_double_clicked(self, item: QListWidgetItem) -> None:
        self.list.setCurrentItem(item)
        self.accept()
