"""Draws a DataPreview: a grid of sample pictures with labels (or the first table rows)
and a bar chart of the class balance."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QLabel,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dlstudio.ui.theme import curve_colour, is_theme_change, style_plot
from dlstudio.ui.training.dashboard.mistakes import to_pixmap
from dlstudio.ui.training.dashboard.series import setup_plot
from dlstudio.ui.training.preview import DataPreview

COLUMNS = 8
TILE = 40


class PreviewView(QWidget):
    """Samples above, class balance below."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setSpacing(2)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.samples = QStackedWidget()
        self.samples.addWidget(self.grid_host)
        self.samples.addWidget(self.table)
        self.balance = pg.PlotWidget()
        self.balance.setMinimumHeight(130)
        setup_plot(self.balance.getPlotItem(), "Class balance (training samples)", "samples",
                   "class", legend=False)
        self.bars: pg.BarGraphItem | None = None
        self.tiles: list[QLabel] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.samples, 1)
        layout.addWidget(self.balance)
        self.balance.hide()

    def show_preview(self, preview: DataPreview) -> None:
        self._clear_tiles()
        if preview.images is not None:
            for index, (image, label) in enumerate(zip(preview.images, preview.labels,
                                                       strict=True)):
                tile = QLabel()
                tile.setPixmap(to_pixmap(image, TILE))
                tile.setToolTip(f"label: {label}")
                caption = QLabel(label)
                caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
                row, column = divmod(index, COLUMNS)
                self.grid.addWidget(tile, 2 * row, column)
                self.grid.addWidget(caption, 2 * row + 1, column)
                self.tiles += [tile, caption]
            self.samples.setCurrentWidget(self.grid_host)
        else:
            self.table.clear()
            self.table.setColumnCount(len(preview.columns))
            self.table.setHorizontalHeaderLabels(preview.columns)
            self.table.setRowCount(len(preview.rows))
            for row, cells in enumerate(preview.rows):
                for column, text in enumerate(cells):
                    self.table.setItem(row, column, QTableWidgetItem(text))
            self.table.resizeColumnsToContents()
            self.samples.setCurrentWidget(self.table)
        self._show_balance(preview.class_counts)

    def clear(self) -> None:
        """Show nothing (the data failed to load)."""
        self._clear_tiles()
        self.table.clear()
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        self._show_balance([])

    def _show_balance(self, counts: list[tuple[str, int]]) -> None:
        plot = self.balance.getPlotItem()
        if self.bars is not None:
            plot.removeItem(self.bars)
            self.bars = None
        self.balance.setVisible(bool(counts))
        if not counts:
            return
        self.bars = pg.BarGraphItem(x=list(range(len(counts))),
                                    height=[count for _, count in counts], width=0.7,
                                    brush=curve_colour("train"))
        plot.addItem(self.bars)
        step = max(1, len(counts) // 20)
        plot.getAxis("bottom").setTicks([[(i, name) for i, (name, _) in
                                          enumerate(counts)][::step]])

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        if is_theme_change(event):
            style_plot(self.balance.getPlotItem())
            if self.bars is not None:
                self.bars.setOpts(brush=curve_colour("train"))

    def _clear_tiles(self) -> None:
        for tile in self.tiles:
            self.grid.removeWidget(tile)
            tile.hide()  # gone from the screen now, not when the event loop deletes it
            tile.deleteLater()
        self.tiles = []
