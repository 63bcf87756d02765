"""The desktop app starts and quits cleanly (exit code 0, no fatal error at exit).

Each run gets its own home, config and data folders, so the user's settings and
recovery copies are never touched.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dlstudio.graph.project import Project, save_project
from dlstudio.graph.templates import build_template

REPO = Path(__file__).resolve().parents[2]


def _run_app(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DLSTUDIO_QUIT_AFTER_MS="400",
               HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"))
    return subprocess.run([sys.executable, "main.py", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def test_main_py_starts_and_exits_cleanly(tmp_path) -> None:
    result = _run_app(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Fatal" not in result.stderr and "Traceback" not in result.stderr
    settings = list((tmp_path / "config").rglob("*.ini"))
    assert settings and "geometry" in settings[0].read_text(encoding="utf-8")


@pytest.mark.parametrize("content", ["project", "{ not json"])
def test_main_py_with_a_project_file(tmp_path, content) -> None:
    path = tmp_path / "net.dlstudio"
    if content == "project":
        save_project(Project(graph=build_template("lenet5"), name="lenet5"), path)
    else:
        path.write_text(content, encoding="utf-8")
    result = _run_app(tmp_path, str(path))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    recent = (next((tmp_path / "config").rglob("*.ini"))).read_text(encoding="utf-8")
    assert ("net.dlstudio" in recent) == (content == "project")
