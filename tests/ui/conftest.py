"""UI tests: a 1920×1080 virtual screen, and garbage collected between tests while no
worker thread runs.

Qt's offscreen platform has an 800×600 screen by default, smaller than any screen the
app is used on: the window keeps itself on its screen, so tests of 1366×768 and
1920×1080 layouts need a screen of that size (the offscreen plugin reads it from a
JSON file named in the platform argument).

Left to chance, a collection can start on the main thread in the middle of a later test
while a worker thread runs torch's ONNX export, and free objects of earlier tests there;
that crashed the interpreter (segmentation fault) on this machine.
"""

import gc
import json
import os

import pytest

SCREEN = {"name": "Virtual", "x": 0, "y": 0, "width": 1920, "height": 1080,
          "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}


@pytest.fixture(scope="session")
def qapp_args(tmp_path_factory):
    if os.environ.get("QT_QPA_PLATFORM", "").split(":")[0] != "offscreen":
        return ["dlstudio-tests"]  # a real display keeps its own screen
    config = tmp_path_factory.mktemp("screen") / "screen.json"
    config.write_text(json.dumps({"screens": [SCREEN]}))
    return ["dlstudio-tests", "-platform", f"offscreen:configfile={config}"]


@pytest.fixture(autouse=True)
def _collect_garbage_between_tests():
    yield
    gc.collect()


def _main_window(qtbot, tmp_path, monkeypatch):
    """A shown main window whose runs, settings and recovery copies stay in tmp_path;
    "save changes?" answers Discard."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMessageBox

    from dlstudio.ui.main_window import MainWindow

    monkeypatch.setenv("DLSTUDIO_RUNS_DIR", str(tmp_path / "runs"))
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                        recovery_dir=tmp_path / "recovery")
    window.files.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(window)
    return window


@pytest.fixture
def gui(qtbot, tmp_path, monkeypatch):
    """A main window with training installed; runs go to a temporary folder."""
    from dlstudio.ui.training import install_training

    window = _main_window(qtbot, tmp_path, monkeypatch)
    ui = install_training(window)
    window.show()
    yield window, ui
    ui.session.shutdown()


@pytest.fixture
def workbench(qtbot, tmp_path, monkeypatch):
    """The assembled window (every workspace, as the app builds it); runs go to a
    temporary folder."""
    from dlstudio.ui.workbench import install_workbench

    window = _main_window(qtbot, tmp_path, monkeypatch)
    bench = install_workbench(window)
    window.show()
    yield window, bench
    bench.training.session.shutdown()
