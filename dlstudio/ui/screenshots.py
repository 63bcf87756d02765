"""Take the README and user-guide pictures: ``python -m dlstudio.ui.screenshots [FOLDER]``.

Meant for a real window on a real (or virtual) screen: `scripts/screenshots.sh` runs it
under Xvfb with a window manager at 1366×768 and 1920×1080. The window is maximised with
temporary settings, runs and recovery folders (the user's are never touched), a
cnn-small project is saved, trained twice for a few epochs on the built-in digits (two
learning rates), evaluated, and a 3 is drawn on the pad. Each workspace is then pictured
in the light and the dark theme as `<workspace>-<width>x<height>-<theme>.png`, and the
two runs compared as `runs-<width>x<height>-light.png`, then Bring your own model's
menu and dialogs (dlstudio/ui/byom/screenshots.py), then the Lessons panel, Try it's
reconstruction and text generation and a run's test metrics
(dlstudio/ui/feature_screenshots.py): the whole screen where there is
one, so the window manager's frame shows; the window alone offscreen. Default folder:
docs/screenshots.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QEventLoop, QPointF, QSettings, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QMouseEvent, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

from dlstudio.train import defaults_for_template
from dlstudio.ui.main_window import MainWindow
from dlstudio.ui.workbench import Workbench, install_workbench

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
EPOCHS = 4
THEMES = ("light", "dark")
WORKSPACES = ("design", "train", "evaluate")


def _settle(app: QApplication, seconds: float = 0.6) -> None:
    """Let layouts, the window manager and Qt's short animations finish."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def _wait(app: QApplication, signal: object, seconds: float) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)  # type: ignore[attr-defined]
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def _picture(window: MainWindow) -> QPixmap:
    """The screen as a person sees it (frame and all) where there is one."""
    if QGuiApplication.platformName() == "offscreen":
        return window.grab()
    return window.screen().grabWindow(0)


def _three(size: float) -> list[list[tuple[float, float]]]:
    """One pen stroke shaped like a 3, in a pad of `size` pixels."""
    top = [(0.5 + 0.2 * np.cos(t), 0.32 + 0.14 * np.sin(t))
           for t in np.linspace(-2.6, 1.57, 24)]
    bottom = [(0.5 + 0.22 * np.cos(t), 0.64 + 0.17 * np.sin(t))
              for t in np.linspace(-1.57, 2.6, 26)]
    return [[(x * size, y * size) for x, y in top + bottom]]


def draw_on(pad: QWidget, strokes: list[list[tuple[float, float]]]) -> None:
    """Draw with mouse events, as a person does."""
    buttons, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    for stroke in strokes:
        for index, (x, y) in enumerate(stroke):
            point = QPointF(x, y)
            kind = QEvent.Type.MouseButtonPress if index == 0 else QEvent.Type.MouseMove
            QApplication.sendEvent(pad, QMouseEvent(kind, point, pad.mapToGlobal(point),
                                                    buttons, buttons, none))
        QApplication.sendEvent(pad, QMouseEvent(
            QEvent.Type.MouseButtonRelease, point, pad.mapToGlobal(point), buttons,
            Qt.MouseButton.NoButton, none))


@contextmanager
def scratch_window(folder: Path) -> Iterator[tuple[QApplication, MainWindow, Workbench, Path]]:
    """A maximised window with temporary settings, runs and recovery folders (the
    user's are never touched), closed without questions afterwards."""
    app = QApplication.instance() or QApplication(sys.argv)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["DLSTUDIO_RUNS_DIR"] = str(Path(scratch) / "runs")
        settings = QSettings(str(Path(scratch) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings, recovery_dir=Path(scratch) / "recovery")
        bench = install_workbench(window)
        window.showMaximized()
        _settle(app, 1.5)
        try:
            yield app, window, bench, Path(scratch)
        finally:
            bench.training.session.shutdown()
            bench.evaluation.shutdown()
            window.document.undo_stack.setClean()  # scratch work: no question on closing
            window.close()


def take_screenshots(folder: Path) -> list[Path]:
    with scratch_window(folder) as (app, window, bench, scratch):
        window.files.new_from_template("cnn-small")
        window.files.save_as(scratch / "cnn-small.dlstudio")
        window.status.wait_for_device()
        _prepare(app, window, bench)
        screen = window.screen().size()
        size = f"{screen.width()}x{screen.height()}"
        saved = []
        for theme in THEMES:
            window.set_theme(theme)
            for key in WORKSPACES:
                window.show_workspace(key)
                if key == "design":
                    window.view.fit_all()
                _settle(app, 1.0)
                path = folder / f"{key}-{size}-{theme}.png"
                _picture(window).save(str(path))
                saved.append(path)
        window.set_theme("light")
        window.show_workspace("train")
        dashboard = bench.training.dashboard
        dashboard.tabs.setCurrentWidget(dashboard.runs)
        _settle(app, 1.0)
        path = folder / f"runs-{size}-light.png"
        _picture(window).save(str(path))
        saved.append(path)
        from dlstudio.ui.byom.screenshots import take_byom_screenshots  # imports this

        saved += take_byom_screenshots(app, window, bench, folder, scratch)
        from dlstudio.ui.feature_screenshots import take_feature_screenshots  # imports this

        saved += take_feature_screenshots(app, window, bench, folder)
    return saved


def _prepare(app: QApplication, window: MainWindow, bench: Workbench) -> None:
    """A real run, its evaluation, and a digit on the pad; conv1 selected on the canvas."""
    training = bench.training
    training.panel.data.load()
    for lr in (3e-4, 1e-3):
        training.panel.form.set_settings(replace(defaults_for_template("cnn-small"),
                                                 epochs=EPOCHS, lr=lr))
        if not training.session.train():
            raise RuntimeError(f"training did not start: {training.panel.notice.text()}")
        _wait(app, training.session.controller.run_ended, 600)
    training.dashboard.draw()
    window.show_workspace("evaluate")
    _wait(app, bench.evaluation.evaluated, 120)
    pad = bench.try_panel.image_panel.pad
    draw_on(pad, _three(pad.width()))
    _settle(app, 1.0)
    graph = window.document.graph
    window.document.set_selection([graph.node_by_name("conv1").id])


if __name__ == "__main__":
    for written in take_screenshots(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FOLDER):
        print(written)
