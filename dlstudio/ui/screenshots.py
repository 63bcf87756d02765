"""Regenerate the README screenshots: ``python -m dlstudio.ui.screenshots [FOLDER]``.

Runs offscreen with temporary settings (the user's are never touched): the window at
1400×900 with the cnn-small template, conv1 selected, in the light and the dark theme,
saved as main-window-light.png and main-window-dark.png (default: docs/screenshots).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from dlstudio.ui.main_window import MainWindow
from dlstudio.ui.workbench import install_workbench

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ZOOM = 0.62  # the text on the nodes stays readable


def _settle(app: QApplication) -> None:
    for _ in range(10):
        app.processEvents()


def take_screenshots(folder: Path) -> list[Path]:
    app = QApplication.instance() or QApplication(sys.argv)
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    with tempfile.TemporaryDirectory() as scratch:
        settings = QSettings(str(Path(scratch) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings, recovery_dir=Path(scratch) / "recovery")
        bench = install_workbench(window)  # the docks the real app has
        window.resize(1400, 900)
        window.show()
        window.files.new_from_template("cnn-small")
        window.status.wait_for_device()
        _settle(app)
        graph = window.document.graph
        window.document.set_selection([graph.node_by_name("conv1").id])
        view = window.view
        view.set_zoom(ZOOM)
        first = view.canvas_scene.nodes[graph.node_by_name("image").id].sceneBoundingRect()
        half_width = view.viewport().width() / 2 / ZOOM
        view.centerOn(first.left() - 40 / ZOOM + half_width, first.center().y() + 40)
        for theme in ("light", "dark"):
            window.set_theme(theme)
            _settle(app)
            path = folder / f"main-window-{theme}.png"
            window.grab().save(str(path))
            saved.append(path)
        window.set_theme("light")
        bench.training.session.shutdown()
        window.close()
    return saved


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    for written in take_screenshots(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FOLDER):
        print(written)
