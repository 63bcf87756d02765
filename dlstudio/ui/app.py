"""The desktop application: ``run(argv)`` builds the QApplication and the main window.

Set ``DLSTUDIO_QUIT_AFTER_MS=<ms>`` to make the app close itself after that many
milliseconds; tests use it to start and stop the real app in a subprocess.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from dlstudio.ui.canvas.clipboard import release_nodes
from dlstudio.ui.main_window import APP_NAME, ORGANIZATION, MainWindow
from dlstudio.ui.workbench import install_workbench

QUIT_AFTER_ENV = "DLSTUDIO_QUIT_AFTER_MS"


def _quit(app: QApplication) -> None:
    # Close windows first, then quit: leaving Qt objects alive to interpreter exit can abort.
    app.closeAllWindows()
    app.quit()


def _start(window: MainWindow, project: Path | None) -> None:
    """After the window is up: offer to restore a crashed session, then open the file."""
    if window.offer_recovery():
        return
    if project is not None:
        window.files.open(project)


def run(argv: Sequence[str] | None = None) -> int:
    """Start the app with ``sys.argv``-style arguments; return the process exit code."""
    argv = list(sys.argv if argv is None else argv)
    parser = argparse.ArgumentParser(prog="main.py", description="Start the DL Studio app.")
    parser.add_argument("project", nargs="?", help="a .dlstudio project file to open")
    args, _qt_args = parser.parse_known_args(argv[1:])

    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANIZATION)
    window = MainWindow()
    install_workbench(window)
    if window.has_saved_geometry:
        window.show()
    else:  # the first launch: the whole screen, whatever its size
        window.showMaximized()
    project = Path(args.project) if args.project else None
    QTimer.singleShot(0, partial(_start, window, project))

    quit_after = os.environ.get(QUIT_AFTER_ENV)
    if quit_after:
        QTimer.singleShot(int(quit_after), lambda: _quit(app))

    code = app.exec()
    window.close()
    del window
    release_nodes()
    return int(code)
