"""Regenerate the README screenshots: ``python -m dlstudio.ui.screenshots [FOLDER]``.

Runs offscreen with temporary settings and a temporary runs folder (the user's are never
touched): the window at 1400×900 with the cnn-small template, conv1 selected, in the
light and the dark theme (main-window-light.png, main-window-dark.png); then a real
run of cnn-small on the built-in digits, the window during it (dashboard-window.png)
and the Metrics dock on its own after it (dashboard.png). Default folder:
docs/screenshots.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings
from PySide6.QtWidgets import QApplication

from dlstudio.train import defaults_for_template
from dlstudio.ui.main_window import MainWindow
from dlstudio.ui.training.worker import EpochReport
from dlstudio.ui.workbench import Workbench, install_workbench

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ZOOM = 0.62  # the text on the nodes stays readable


def _settle(app: QApplication, seconds: float = 0.4) -> None:
    """Let layouts and Qt's short animations (a dock tab sliding into place) finish:
    a picture taken mid-animation shows a tab twice."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


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
        saved += _training_screenshots(app, window, bench, folder, Path(scratch) / "runs")
        bench.training.session.shutdown()
        window.close()
    return saved


def _training_screenshots(app: QApplication, window: MainWindow, bench: Workbench,
                          folder: Path, runs: Path, epochs: int = 6) -> list[Path]:
    """A real run: the window at its middle epoch, the Metrics dock after it."""
    previous_runs = os.environ.get("DLSTUDIO_RUNS_DIR")
    os.environ["DLSTUDIO_RUNS_DIR"] = str(runs)
    try:
        training = bench.training
        window.resize(1600, 1050)
        window.files.new_from_template("cnn-small")  # an unsaved project: runs go to `runs`
        training.panel.form.set_settings(replace(defaults_for_template("cnn-small"),
                                                 epochs=epochs))
        controller = training.session.controller
        during = folder / "dashboard-window.png"

        def on_epoch_ended(report: EpochReport) -> None:
            if report.stats.epoch == epochs // 2 and not during.exists():
                training.dashboard.draw()
                _settle(app)
                window.grab().save(str(during))

        done = QEventLoop()
        controller.epoch_ended.connect(on_epoch_ended)
        controller.run_ended.connect(lambda run: done.quit())
        during.unlink(missing_ok=True)
        if not training.session.train():
            raise RuntimeError(f"training did not start: {training.panel.notice.text()}")
        done.exec()
        metrics = window.docks["Metrics"]
        metrics.setFloating(True)
        metrics.resize(1400, 900)
        _settle(app)
        after = folder / "dashboard.png"
        training.dashboard.grab().save(str(after))
        metrics.setFloating(False)
        return [during, after]
    finally:
        if previous_runs is None:
            os.environ.pop("DLSTUDIO_RUNS_DIR", None)
        else:
            os.environ["DLSTUDIO_RUNS_DIR"] = previous_runs


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    for written in take_screenshots(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FOLDER):
        print(written)
