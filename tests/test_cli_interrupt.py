"""Ctrl+C on a real `python -m dlstudio` process: one line on stderr, exit code 130, no
traceback, and no half-written file left where the output was going."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is POSIX")


def _start(*argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "dlstudio", *argv], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_torch_loading(process: subprocess.Popen[str]) -> None:
    """Until torch's libraries are mapped into the process (its import is under way);
    where /proc is missing, a moment after the start."""
    maps = Path(f"/proc/{process.pid}/maps")
    if not maps.exists():
        time.sleep(0.5)
        return
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if "libtorch" in maps.read_text(errors="replace"):
            return
        time.sleep(0.01)
    pytest.fail("torch never started loading")


def _interrupted(process: subprocess.Popen[str], err_before: str = "") -> str:
    """Send SIGINT, wait, check the exit; the whole of stderr."""
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    err = err_before + err
    assert process.returncode == 130, err
    assert "Traceback" not in err, err
    assert out == ""
    return err


def test_ctrl_c_while_train_imports_torch(tmp_path: Path) -> None:
    """The first seconds of `train` are spent importing torch: Ctrl+C there is clean."""
    out = tmp_path / "run"
    process = _start("train", "--template", "xor", "--data", "builtin:xor", "--epochs", "3",
                     "--out", str(out))
    _wait_for_torch_loading(process)
    err = _interrupted(process)
    assert err.splitlines() in (["dlstudio: interrupted"], ["dlstudio train: interrupted"])
    assert not out.exists() or not any(out.iterdir())


def test_ctrl_c_during_an_onnx_export(tmp_path: Path) -> None:
    """Interrupted while the ONNX file is being made: the staging is cleaned up and
    nothing, whole or half, lands where -o points."""
    target = tmp_path / "out" / "model.onnx"
    target.parent.mkdir()
    process = _start("export", "--template", "cnn-small", "--format", "onnx", "-o",
                     str(target))
    assert process.stderr is not None
    seen = ""
    for line in process.stderr:  # interrupt once the export itself is under way
        seen += line
        if "exporting to ONNX" in line:
            break
    else:
        pytest.fail(f"the export never started: {seen}")
    err = _interrupted(process, seen)
    assert err.splitlines()[-1] == "dlstudio export: interrupted", err
    assert not any(line.startswith("dlstudio") and "interrupted" not in line
                   for line in err.splitlines())
    assert list(target.parent.iterdir()) == []
    assert not list(tmp_path.rglob("*.tmp*")) and not list(tmp_path.rglob(".*"))
