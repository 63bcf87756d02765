"""Small read-only views of a prediction: class probabilities as bars, and the model's
input as the model receives it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QImage, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from dlstudio.ui.theme import current_plot_colors

ROW_HEIGHT = 18
MAX_BARS = 12
PREVIEW_SIZE = 112


class ProbabilityBars(QWidget):
    """One horizontal bar per class with its percentage; the top class is highlighted.
    With more than `MAX_BARS` classes, the most likely ones, most likely first. Bars and
    tracks take the theme's colours at each paint (the palette's own greys are too close
    to each other in the dark theme)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._names: tuple[str, ...] = ()
        self._values: tuple[float, ...] = ()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def show_probabilities(self, names: Sequence[str],
                           values: Sequence[float] | None) -> tuple[float, ...]:
        """One probability per class name (None: the classes with empty bars); returns
        the probabilities shown, in the order shown."""
        names = tuple(names)
        if values is not None and len(values) != len(names):
            raise ValueError(f"{len(values)} probabilities for {len(names)} classes")
        if len(names) > MAX_BARS:
            if values is None:
                names, values = (), None
            else:
                order = np.argsort(np.asarray(values))[::-1][:MAX_BARS]
                names = tuple(names[i] for i in order)
                values = [values[i] for i in order]
        self._names = names
        self._values = () if values is None else tuple(float(v) for v in values)
        self.setFixedHeight(max(1, len(self._names)) * ROW_HEIGHT + 4)
        self.update()
        return self._values

    def names(self) -> tuple[str, ...]:
        return self._names

    def probabilities(self) -> tuple[float, ...]:
        """What the bars show now (empty when nothing is predicted)."""
        return self._values

    def top_index(self) -> int | None:
        return int(np.argmax(self._values)) if self._values else None

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(220, self.height())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        palette = self.palette()
        colors = current_plot_colors()
        metrics = QFontMetrics(self.font())
        label_w = max([metrics.horizontalAdvance(n) for n in self._names] + [8]) + 8
        value_w = metrics.horizontalAdvance("100.0%") + 6
        bar_w = max(10, self.width() - label_w - value_w)
        top = self.top_index()
        for row, name in enumerate(self._names):
            y = 2 + row * ROW_HEIGHT
            value = self._values[row] if self._values else 0.0
            highlighted = row == top
            text_role = QPalette.ColorRole.Text
            painter.setPen(palette.color(text_role))
            font = painter.font()
            font.setBold(highlighted)
            painter.setFont(font)
            painter.drawText(QRectF(0, y, label_w - 6, ROW_HEIGHT),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
            track = QRectF(label_w, y + 3, bar_w, ROW_HEIGHT - 6)
            painter.fillRect(track, QColor(colors.bar_track))
            bar = palette.color(QPalette.ColorRole.Highlight) if highlighted else colors.bar
            painter.fillRect(QRectF(track.x(), track.y(), bar_w * value, track.height()),
                             QColor(bar))
            if self._values:
                painter.drawText(QRectF(label_w + bar_w, y, value_w, ROW_HEIGHT),
                                 Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                                 f"{100 * value:.1f}%")
        painter.end()


class InputPreview(QWidget):
    """The model's input picture (H, W, C in 0..1), enlarged with square pixels."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self.setFixedSize(PREVIEW_SIZE, PREVIEW_SIZE)
        self.setToolTip("What the model receives, before normalisation")

    def set_picture(self, picture: np.ndarray | None) -> None:
        self._image = None if picture is None else picture_image(picture)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        if self._image is None:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no input")
        else:
            painter.drawImage(QRectF(self.rect()), self._image)  # no smoothing: real pixels
        painter.setPen(QColor(current_plot_colors().frame))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()


def picture_image(picture: np.ndarray) -> QImage:
    """(H, W, 1 or 3) floats in 0..1 as a gray or RGB image."""
    values = np.clip(np.asarray(picture, dtype=np.float32), 0.0, 1.0)
    data = np.ascontiguousarray(np.round(values * 255).astype(np.uint8))
    height, width, channels = data.shape
    if channels == 1:
        image = QImage(data.data, width, height, width, QImage.Format.Format_Grayscale8)
    else:
        data = np.ascontiguousarray(data[..., :3])
        image = QImage(data.data, width, height, width * 3, QImage.Format.Format_RGB888)
    return image.copy()
