"""A grid of validation samples the model gets wrong, with the true and predicted labels,
refreshed each epoch."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from dlstudio.ui.training.probe import MISTAKES, Mistake, MistakeReport

TILE = 64  # pixels per side of a sample picture
VALUES_WIDTH = TILE + 12  # a vector sample's values, wrapped at this width


def to_pixmap(image: np.ndarray, side: int = TILE) -> QPixmap:
    """(H, W) gray or (H, W, 3) colour in 0..1 as a pixmap `side` pixels wide, scaled
    without smoothing so small digits stay crisp."""
    data = np.ascontiguousarray((np.clip(image, 0.0, 1.0) * 255).astype(np.uint8))
    height, width = data.shape[:2]
    if data.ndim == 2:
        qimage = QImage(data.data, width, height, width, QImage.Format.Format_Grayscale8)
    else:
        qimage = QImage(data.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    pixmap = QPixmap.fromImage(qimage.copy())  # copy: `data` is freed on return
    return pixmap.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                         Qt.TransformationMode.FastTransformation)


class MistakeTile(QWidget):
    """One wrong sample: its picture (or its values) over 'true → predicted'. Tiles are
    reused from epoch to epoch; only their contents change."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(1)
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.values = QLabel()
        self.values.setWordWrap(True)
        self.values.setStyleSheet("font-family: monospace;")
        self.caption = QLabel()
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for label in (self.picture, self.values, self.caption):
            layout.addWidget(label)

    def show_mistake(self, mistake: Mistake) -> None:
        if mistake.image is not None:
            self.picture.setPixmap(to_pixmap(mistake.image))
        self.values.setText(mistake.text)
        # A grid of word-wrapped labels gives a row the height of one line: the values
        # of a vector sample were cut and ran into the next row. The tile asks for the
        # height its wrapped text needs at the tile's width.
        self.values.setFixedWidth(VALUES_WIDTH)
        self.values.setMinimumHeight(max(0, self.values.heightForWidth(VALUES_WIDTH)))
        self.picture.setVisible(mistake.image is not None)
        self.values.setVisible(mistake.image is None)
        self.caption.setText(f"{mistake.true} → <b>{mistake.predicted}</b>")
        self.setToolTip(f"Validation sample {mistake.index}: truly {mistake.true}, "
                        f"predicted {mistake.predicted} with {mistake.confidence:.0%} "
                        "confidence")


class MistakesPanel(QWidget):
    """The latest epoch's mistakes among the first validation samples."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self._grid_host = QWidget()
        self._grid = QGridLayout(self._grid_host)
        self._grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self._grid_host)
        # The viewport gets its width after the panel's resizeEvent (and a hidden tab's
        # only when shown): the columns follow the viewport itself, or tiles ran off the
        # right edge of a tab shown after its report came.
        self.scroll.viewport().installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.scroll, 1)
        # Made with the panel, not in a run's first epoch; reused every epoch.
        self._pool: list[MistakeTile] = [MistakeTile() for _ in range(MISTAKES)]
        self.tiles: list[MistakeTile] = []  # those showing now
        self._columns = 0
        self._arrange()
        self.reset(classification=True)

    def reset(self, classification: bool) -> None:
        self._clear()
        self.caption.setText("Wrong predictions appear after the first epoch." if
                             classification else
                             "A regression run has no labels to get wrong.")

    def set_report(self, report: MistakeReport) -> None:
        if not report.checked:
            self._clear()
            self.caption.setText("This model's output cannot be read as one class per "
                                 "sample, so there are no mistakes to show.")
            return
        shown = len(report.mistakes)
        more = f"; the first {shown} are shown" if shown < report.wrong else ""
        self.caption.setText(f"Epoch {report.epoch}: {report.wrong} of the first "
                             f"{report.checked} validation samples are wrong{more}.")
        while len(self._pool) < shown:
            self._pool.append(MistakeTile())
            self._columns = 0  # place the new tiles
        for index, tile in enumerate(self._pool[:shown]):
            tile.show_mistake(report.mistakes[index])
        self.tiles = self._pool[:shown]
        self._arrange()  # a picture tile is narrower than a values tile: more columns
        for index, tile in enumerate(self._pool):  # a tile that stays shown is not hidden
            tile.setVisible(index < shown)          # first: that would redo the layout

    def tile_width(self) -> int:
        """The widest tile showing (a picture's is narrower than a vector's values)."""
        widths = [tile.sizeHint().width() for tile in self.tiles]
        return max(widths) if widths else VALUES_WIDTH + 4

    def _arrange(self) -> None:
        """As many columns as the viewport's width holds, from the tiles' own width and
        the grid's margins and spacing (a fixed guess left a column's gap at the right)."""
        margins = self._grid.contentsMargins()
        spacing = max(0, self._grid.horizontalSpacing())
        room = self.scroll.viewport().width() - margins.left() - margins.right() + spacing
        columns = max(1, room // (self.tile_width() + spacing))
        if columns == self._columns:
            return
        self._columns = columns
        for tile in self._pool:
            self._grid.removeWidget(tile)
        for index, tile in enumerate(self._pool):
            self._grid.addWidget(tile, *divmod(index, columns))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._arrange()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if watched is self.scroll.viewport() and event.type() == QEvent.Type.Resize:
            self._arrange()
        return super().eventFilter(watched, event)

    def _clear(self) -> None:
        for tile in self._pool:
            tile.hide()
        self.tiles = []
