"""The desktop app starts and quits cleanly (exit code 0, no fatal error at exit)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dlstudio.ui.app import APP_NAME, MainWindow

REPO = Path(__file__).resolve().parents[2]


def test_main_py_starts_and_exits_cleanly() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DLSTUDIO_QUIT_AFTER_MS="300")
    result = subprocess.run(
        [sys.executable, "main.py"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Fatal" not in result.stderr


def test_main_window_title(qtbot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    assert window.windowTitle() == APP_NAME
    assert window.statusBar().currentMessage()
    assert window.error is None


def test_bad_project_file_shows_error(qtbot, tmp_path: Path) -> None:
    pytest.importorskip("dlstudio.graph.project")
    bad = tmp_path / "broken.dlstudio"
    bad.write_text("{ not json", encoding="utf-8")
    window = MainWindow(bad)
    qtbot.addWidget(window)
    assert window.error is not None
    assert "broken.dlstudio" in window.label_text
