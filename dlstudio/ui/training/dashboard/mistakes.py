"""A grid of validation samples the model gets wrong, with the true and predicted labels,
refreshed each epoch."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from dlstudio.ui.training.probe import Mistake, MistakeReport

COLUMNS = 6
TILE = 64  # pixels per side of a sample picture


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
    """One wrong sample: its picture (or its values) over 'true → predicted'."""

    def __init__(self, mistake: Mistake, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(1)
        if mistake.image is not None:
            picture = QLabel()
            picture.setPixmap(to_pixmap(mistake.image))
            picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(picture)
        else:
            values = QLabel(mistake.text)
            values.setWordWrap(True)
            values.setStyleSheet("font-family: monospace;")
            layout.addWidget(values)
        self.caption = QLabel(f"{mistake.true} → <b>{mistake.predicted}</b>")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setToolTip(f"Validation sample {mistake.index}: truly {mistake.true}, "
                                f"predicted {mistake.predicted} with "
                                f"{mistake.confidence:.0%} confidence")
        layout.addWidget(self.caption)


class MistakesPanel(QWidget):
    """The latest epoch's mistakes among the first validation samples."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self._grid_host = QWidget()
        self._grid = QGridLayout(self._grid_host)
        self._grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._grid_host)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(scroll, 1)
        self.tiles: list[MistakeTile] = []
        self.reset(classification=True)

    def reset(self, classification: bool) -> None:
        self._clear()
        self.caption.setText("Wrong predictions appear after the first epoch." if
                             classification else
                             "A regression run has no labels to get wrong.")

    def set_report(self, report: MistakeReport) -> None:
        self._clear()
        if not report.checked:
            self.caption.setText("This model's output cannot be read as one class per "
                                 "sample, so there are no mistakes to show.")
            return
        shown = len(report.mistakes)
        more = f"; the first {shown} are shown" if shown < report.wrong else ""
        self.caption.setText(f"Epoch {report.epoch}: {report.wrong} of the first "
                             f"{report.checked} validation samples are wrong{more}.")
        for position, mistake in enumerate(report.mistakes):
            tile = MistakeTile(mistake)
            self._grid.addWidget(tile, *divmod(position, COLUMNS))
            self.tiles.append(tile)

    def _clear(self) -> None:
        for tile in self.tiles:
            self._grid.removeWidget(tile)
            tile.deleteLater()
        self.tiles = []
