"""The README's command-line examples run as written, in order, from a copy of the
repository's folder layout (its `resources/`), so a user can paste them."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from dlstudio import cli
from dlstudio.resources import resource_path

README = Path(__file__).resolve().parents[1] / "README.md"


def _command_lines() -> list[str]:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"## Command line\n.*?```\n(.*?)```", text, re.S)
    assert block, "README has a Command line section with a code block"
    lines = [line.split("  #")[0].strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line.startswith("dlstudio ")]


def test_every_dlstudio_line_of_the_readme_runs(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    lines = _command_lines()
    assert len(lines) >= 8
    (tmp_path / "resources").symlink_to(resource_path())
    monkeypatch.chdir(tmp_path)
    for line in lines:
        code = cli.main(shlex.split(line)[1:])
        assert code == 0, f"{line!r} exited {code}: {capsys.readouterr().err}"
    assert (tmp_path / "cnn.onnx").is_file() and (tmp_path / "small-cnn.dlstudio").is_file()
    assert (tmp_path / "small-cnn.pt").is_file() and (tmp_path / "runs/blobs/best.pt").is_file()
