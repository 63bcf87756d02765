"""The confusion matrix of the last epoch as a heat map with counts, and per-class
precision and recall beside it, so the classes the model mixes up stand out."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dlstudio.ui.theme import heat_map, is_theme_change, readable_text, style_plot
from dlstudio.ui.training.dashboard.series import setup_plot

MAX_COUNT_LABELS = 20  # more classes than this: the colours alone, no numbers in cells


def precision_recall(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per class (rows = true class, columns = predicted): precision, recall and support.
    A class never predicted (or never present) gets NaN, shown as "–"."""
    matrix = matrix.astype(np.float64)
    correct = np.diag(matrix)
    predicted = matrix.sum(axis=0)
    support = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, correct / predicted, np.nan)
        recall = np.where(support > 0, correct / support, np.nan)
    return precision, recall, support



SPECIAL_NAMES = {" ": "space", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def readable_name(name: str) -> str:
    """A class name a person can read: a character model's classes include the space,
    the newline and control characters, which a font draws as nothing or a box."""
    if len(name) != 1 or (name.isprintable() and not name.isspace()):
        return name
    return SPECIAL_NAMES.get(name, f"U+{ord(name):04X}")


def axis_name(name: str) -> str:
    """A class name short enough for a tick beside its neighbours: a control character
    has none (its row in the table names it)."""
    shown = readable_name(name)
    return "" if shown.startswith("U+") and len(name) == 1 else shown


class CountsItem(pg.GraphicsObject):
    """Every cell's count, drawn by one item in one paint call (a text item per cell
    costs a thousand times more to create). Text stays upright and readable at any
    zoom; it is left out when the cells are too small to hold it. Each count is black
    or white, whichever reads on its cell's colour in `colour_map`."""

    def __init__(self, colour_map: pg.ColorMap) -> None:
        super().__init__()
        self.counts: np.ndarray | None = None
        self.shares: np.ndarray | None = None
        self.colour_map = colour_map
        self.text_colours: list[QColor] = []  # per cell, row by row

    def set_counts(self, counts: np.ndarray, shares: np.ndarray) -> None:
        self.prepareGeometryChange()
        self.counts, self.shares = counts, shares
        self._pick_text_colours()
        self.update()

    def set_colour_map(self, colour_map: pg.ColorMap) -> None:
        self.colour_map = colour_map
        self._pick_text_colours()
        self.update()

    def _pick_text_colours(self) -> None:
        self.text_colours = []
        if self.shares is not None and 0 < len(self.shares) <= MAX_COUNT_LABELS:
            cells = self.colour_map.map(self.shares.ravel(), mode=pg.ColorMap.QCOLOR)
            self.text_colours = [readable_text(cell) for cell in cells]

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt override)
        size = 0 if self.counts is None else len(self.counts)
        return QRectF(0, 0, size, size)

    def paint(self, painter: QPainter, *args: object) -> None:
        if self.counts is None or self.shares is None or len(self.counts) > MAX_COUNT_LABELS:
            return
        transform = painter.transform()
        origin, corner = transform.map(QPointF(0, 0)), transform.map(QPointF(1, 1))
        cell = min(abs(corner.x() - origin.x()), abs(corner.y() - origin.y()))
        if cell < 12:
            return
        painter.save()
        painter.resetTransform()
        font = QFont()
        font.setPixelSize(int(min(13, cell * 0.4)))
        painter.setFont(font)
        size = len(self.counts)
        for (true, pred), count in np.ndenumerate(self.counts):
            if not count:
                continue
            centre = transform.map(QPointF(pred + 0.5, true + 0.5))
            painter.setPen(self.text_colours[true * size + pred])
            painter.drawText(QRectF(centre.x() - cell / 2, centre.y() - cell / 2, cell, cell),
                             Qt.AlignmentFlag.AlignCenter, str(int(count)))
        painter.restore()


class ConfusionPanel(QWidget):
    """Heat map (true class down, predicted across) and a precision/recall table."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot_widget = pg.PlotWidget()
        self.plot = self.plot_widget.getPlotItem()
        setup_plot(self.plot, "Confusion matrix (validation)", "true class", "predicted class",
                   legend=False)
        self.plot.invertY(True)
        self.plot.setAspectLocked(True)
        colour_map = heat_map()
        self.image = pg.ImageItem()
        self.image.setColorMap(colour_map)
        self.plot.addItem(self.image)
        self.counts = CountsItem(colour_map)
        self.plot.addItem(self.counts)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["class", "precision", "recall", "n"])
        self.table.horizontalHeaderItem(3).setToolTip("validation samples of the class")
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.caption = QLabel("Shown after the first epoch of a classification run.")
        self.caption.setWordWrap(True)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.plot_widget)
        splitter.addWidget(self.table)
        splitter.setSizes([320, 240])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.caption)
        self._names: tuple[str, ...] = ()
        self.matrix: np.ndarray | None = None

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        if is_theme_change(event):
            style_plot(self.plot)
            colour_map = heat_map()
            self.image.setColorMap(colour_map)
            self.counts.set_colour_map(colour_map)

    def reset(self, class_names: Sequence[str]) -> None:
        """A new run: its classes name the axes and the table rows."""
        self._names = tuple(readable_name(name) for name in class_names)
        self.matrix = None
        self.image.clear()
        self.counts.set_counts(np.zeros((0, 0), dtype=np.int64), np.zeros((0, 0)))
        self.table.setRowCount(0)
        self.caption.setText("Shown after the first epoch." if self._names else
                             "A regression run has no classes to confuse.")
        ticks = [(i, axis_name(name)) for i, name in enumerate(class_names)]
        if len(ticks) > MAX_COUNT_LABELS:
            ticks = ticks[::max(1, len(ticks) // MAX_COUNT_LABELS)]
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).setTicks([[(i + 0.5, name) for i, name in ticks]])

    def set_matrix(self, confusion: Sequence[Sequence[int]], epoch: int) -> None:
        matrix = np.asarray(confusion, dtype=np.int64)
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            return
        self.matrix = matrix
        size = matrix.shape[0]
        # Colour by share of the true class (row), so small classes show their errors too.
        rows = matrix.sum(axis=1, keepdims=True)
        shares = np.divide(matrix, rows, out=np.zeros(matrix.shape), where=rows > 0)
        self.image.setImage(shares.T, levels=(0.0, 1.0))  # ImageItem is indexed [x, y]
        self.image.setRect(0, 0, size, size)
        # Centred in a panel of any shape (the locked aspect widens one axis both ways).
        self.plot.getViewBox().setRange(QRectF(0, 0, size, size), padding=0.02)
        self.counts.set_counts(matrix, shares)
        self._fill_table(matrix)
        total = int(matrix.sum())
        correct = int(np.trace(matrix))
        accuracy = correct / total if total else 0.0
        self.caption.setText(f"Epoch {epoch}: {correct:,} of {total:,} validation samples "
                             f"right ({accuracy:.1%}). Colour = share of the true class.")

    def _fill_table(self, matrix: np.ndarray) -> None:
        precision, recall, support = precision_recall(matrix)
        names = self._names or tuple(str(i) for i in range(len(matrix)))
        self.table.setRowCount(len(matrix))
        for row in range(len(matrix)):
            cells = (names[row] if row < len(names) else str(row), _share(precision[row]),
                     _share(recall[row]), f"{int(support[row]):,}")
            for column, text in enumerate(cells):
                item = self.table.item(row, column)  # kept from the last epoch: cheaper
                if item is not None:
                    if item.text() != text:
                        item.setText(text)
                    continue
                item = QTableWidgetItem(text)
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)


def _share(value: float) -> str:
    return "–" if np.isnan(value) else f"{value:.0%}"
