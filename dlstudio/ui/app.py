"""The desktop application: ``run(argv)`` builds the QApplication and the main window.

Set ``DLSTUDIO_QUIT_AFTER_MS=<ms>`` to make the app close itself after that many
milliseconds; tests use it to start and stop the real app in a subprocess.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMessageBox

from dlstudio import __version__

APP_NAME = "DL Studio"
QUIT_AFTER_ENV = "DLSTUDIO_QUIT_AFTER_MS"

_WELCOME = "Welcome to DL Studio.\nThe canvas for designing networks will appear here."


class MainWindow(QMainWindow):
    """Placeholder main window: a friendly label, a status bar, an optional project."""

    def __init__(self, project_path: str | Path | None = None) -> None:
        super().__init__()
        self.setWindowTitle(APP_NAME)
        self.resize(1200, 800)
        self._label = QLabel(_WELCOME)
        self._label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._label.setWordWrap(True)
        self.setCentralWidget(self._label)
        self.statusBar().showMessage(f"{APP_NAME} {__version__} ready")
        self.error: str | None = None
        self._error_box: QMessageBox | None = None
        if project_path is not None:
            self.open_project(Path(project_path))

    @property
    def label_text(self) -> str:
        return self._label.text()

    def open_project(self, path: Path) -> bool:
        """Load a project file and describe it; on failure show why and return False."""
        try:
            from dlstudio.graph.project import ProjectError, load_project
        except ImportError as exc:  # the project module may be missing from early builds
            self._show_error(f"Opening projects is not available in this build:\n{exc}")
            return False
        try:
            project = load_project(path)
        except (ProjectError, OSError, ValueError) as exc:
            self._show_error(f"Could not open {path.name}:\n{exc}")
            return False
        name = getattr(project, "name", None) or path.stem
        nodes = getattr(getattr(project, "graph", None), "nodes", ())
        self._label.setText(f"Project: {name}\n{len(nodes)} nodes")
        self.setWindowTitle(f"{name} - {APP_NAME}")
        self.statusBar().showMessage(f"Opened {path}")
        return True

    def _show_error(self, message: str) -> None:
        # Non-modal, so a blocked event loop never keeps the app (or a test) from quitting.
        self.error = message
        self._label.setText(message)
        self._error_box = QMessageBox(
            QMessageBox.Icon.Critical, APP_NAME, message, QMessageBox.StandardButton.Ok, self
        )
        self._error_box.open()


def _quit(app: QApplication) -> None:
    # Close windows first, then quit: leaving Qt objects alive to interpreter exit can abort.
    app.closeAllWindows()
    app.quit()


def run(argv: Sequence[str] | None = None) -> int:
    """Start the app with ``sys.argv``-style arguments; return the process exit code."""
    argv = list(sys.argv if argv is None else argv)
    parser = argparse.ArgumentParser(prog="main.py", description="Start the DL Studio app.")
    parser.add_argument("project", nargs="?", help="a .dlstudio project file to open")
    args, _qt_args = parser.parse_known_args(argv[1:])

    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName("DL Studio")
    window = MainWindow(args.project)
    window.show()

    quit_after = os.environ.get(QUIT_AFTER_ENV)
    if quit_after:
        QTimer.singleShot(int(quit_after), lambda: _quit(app))

    code = app.exec()
    window.close()
    del window
    return int(code)
