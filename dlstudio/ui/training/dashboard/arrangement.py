"""How the dashboard's panels share its space: all at once when there is room, one job a
tab when there is not.

Tall enough (a 1920×1080 screen), the Live tab shows the curves above the confusion
matrix, the mistakes and the layer norms, each plot over 200 px tall. Shorter (a
1366×768 screen), the same panels go to tabs of their own (Curves, Classes, Layers), so
no plot is squashed and the matrix and its table are never clipped. The panels are the
same widgets in both arrangements: they are moved, never rebuilt, and keep their data.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QTabWidget, QWidget

OVERVIEW_MIN_HEIGHT = 860  # px of dashboard: two rows of curves and a row of panels
OVERVIEW_MIN_WIDTH = 1100


def wants_overview(width: int, height: int) -> bool:
    return width >= OVERVIEW_MIN_WIDTH and height >= OVERVIEW_MIN_HEIGHT


class Arrangement:
    """Puts `curves`, `confusion`, `mistakes`, `layers` and `runs` into `tabs`."""

    def __init__(self, tabs: QTabWidget, curves: QWidget, confusion: QWidget,
                 mistakes: QWidget, layers: QWidget, runs: QWidget) -> None:
        self.tabs = tabs
        self.curves, self.confusion, self.mistakes = curves, confusion, mistakes
        self.layers, self.runs = layers, runs
        self.overview: bool | None = None
        self.live_split = QSplitter(Qt.Orientation.Vertical)
        self.lower = QSplitter(Qt.Orientation.Horizontal)
        self.classes = QSplitter(Qt.Orientation.Horizontal)
        for splitter in (self.live_split, self.lower, self.classes):
            splitter.setChildrenCollapsible(False)

    def fit(self, width: int, height: int) -> None:
        """Choose the arrangement for a dashboard of `width` × `height` pixels."""
        overview = wants_overview(width, height)
        if overview == self.overview:
            return
        showing_runs = self.tabs.currentWidget() is self.runs
        self.overview = overview
        self.tabs.blockSignals(True)
        while self.tabs.count():
            self.tabs.removeTab(0)
        if overview:
            for panel in (self.confusion, self.mistakes, self.layers):
                self.lower.addWidget(panel)
            self.lower.setSizes([380, 330, 380])
            self.live_split.addWidget(self.curves)
            self.live_split.addWidget(self.lower)
            self.live_split.setSizes([540, 400])
            self.tabs.addTab(self.live_split, "Live")
        else:
            self.classes.addWidget(self.confusion)
            self.classes.addWidget(self.mistakes)
            self.classes.setSizes([560, 440])
            self.tabs.addTab(self.curves, "Curves")
            self.tabs.addTab(self.classes, "Classes")
            self.tabs.addTab(self.layers, "Layers")
        self.tabs.addTab(self.runs, "Runs")
        in_splitters = ((self.curves, self.confusion, self.mistakes, self.layers) if overview
                        else (self.confusion, self.mistakes))
        for panel in in_splitters:
            panel.show()  # a page taken out of the tabs was left hidden; the tabs show theirs
        self.tabs.setCurrentWidget(self.runs if showing_runs else self.tabs.widget(0))
        self.tabs.blockSignals(False)

    def live_pages(self) -> list[QWidget]:
        """The pages that show the live run (for a picture of it)."""
        return [self.tabs.widget(i) for i in range(self.tabs.count())
                if self.tabs.widget(i) is not self.runs]
