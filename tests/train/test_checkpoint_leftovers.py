"""Leftovers of killed writes are cleaned on the next write to the folder; a live writer's
temp never is; every file we write gets the user's normal mode (0666 less the umask).

The kills are real: a child process goes through the real save path and SIGKILLs itself
at a barrier (just before the fsync that precedes the rename, or at the rename of an
export), so the temp it leaves is exactly what a crash mid-save leaves.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from dlstudio.atomic import write_atomic
from dlstudio.data import DataBundle
from dlstudio.export import export_model
from dlstudio.graph.project import Project, load_project, save_project
from dlstudio.train import Trainer, TrainSettings, load_checkpoint
from dlstudio.train.checkpoint import save_checkpoint

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL, flock and umask")

# The child says its pid, then dies at the barrier: every byte written, not yet renamed.
_KILL_AT_FSYNC = """
import os, signal
print(os.getpid(), flush=True)
os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.fixture
def run_folder(tmp_path: Path, small_digits: DataBundle, mlp,
               settings: Callable[..., TrainSettings]) -> Path:
    """A real two-epoch run of the small digits MLP: last.pt, best.pt, history.json."""
    folder = tmp_path / "run"
    Trainer(mlp(), small_digits, settings(epochs=2), out_dir=folder).run()
    return folder


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def _killed_child(code: str, cwd: Path) -> str:
    """Run `code` in a child that must die of SIGKILL; its pid."""
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    return result.stdout.split()[0]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_checkpoint_killed_mid_write_is_cleaned_by_the_next_save(run_folder: Path) -> None:
    before = (run_folder / "last.pt").read_bytes()
    pid = _killed_child(f"""
        import torch
        from dlstudio.train import load_checkpoint
        from dlstudio.train.checkpoint import save_checkpoint
        c = load_checkpoint("last.pt")
        exec({_KILL_AT_FSYNC!r})
        big = dict(c.model_state, padding=torch.zeros(48 << 20, dtype=torch.uint8))
        save_checkpoint("last.pt", graph=c.graph, settings=c.settings,
                        data_info=c.data_info, model_state=big,
                        optimizer_state=c.optimizer_state, history=c.history,
                        epoch=c.epoch)
        """, run_folder)
    (leftover,) = _temps(run_folder)
    assert leftover.startswith(f".last.pt.{pid}.")
    assert (run_folder / leftover).stat().st_size > 48 << 20  # the big write got that far
    assert (run_folder / "last.pt").read_bytes() == before  # the old file is whole
    checkpoint = load_checkpoint(run_folder / "last.pt")
    save_checkpoint(run_folder / "best.pt", graph=checkpoint.graph,
                    settings=checkpoint.settings, data_info=checkpoint.data_info,
                    model_state=checkpoint.model_state,
                    optimizer_state=checkpoint.optimizer_state, history=checkpoint.history,
                    epoch=checkpoint.epoch)
    assert _temps(run_folder) == []


def test_a_project_save_killed_mid_write_is_cleaned_by_the_next_write(tmp_path: Path) -> None:
    path = tmp_path / "net.dlstudio"
    save_project(Project(name="kept"), path)
    pid = _killed_child(f"""
        from dlstudio.graph.project import Project, save_project
        exec({_KILL_AT_FSYNC!r})
        save_project(Project(name="lost", notes="x" * 100000), "net.dlstudio")
        """, tmp_path)
    (leftover,) = _temps(tmp_path)
    assert leftover.startswith(f".net.dlstudio.{pid}.")
    assert load_project(path).name == "kept"
    write_atomic(tmp_path / "other.json", "{}")  # any write to the folder cleans it
    assert _temps(tmp_path) == []


def test_an_export_killed_before_its_files_move_is_cleaned_by_the_next(
        run_folder: Path) -> None:
    exports = run_folder / "exports"
    exports.mkdir()
    pid = _killed_child("""
        import os, signal
        from dlstudio.export import export_model
        from dlstudio.train import load_checkpoint
        print(os.getpid(), flush=True)
        c = load_checkpoint("last.pt")
        os.replace = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
        export_model(c.graph, c.model_state, "state_dict", "exports/model.pt")
        """, run_folder)
    (leftover,) = _temps(exports)
    assert leftover.startswith(f".export.{pid}.")
    assert (exports / leftover / "model.pt").is_file()  # staged, never moved
    checkpoint = load_checkpoint(run_folder / "last.pt")
    export_model(checkpoint.graph, checkpoint.model_state, "state_dict", exports / "b.pt")
    assert _temps(exports) == []
    assert sorted(p.name for p in exports.iterdir()) == ["b.pt", "b.pt.card.json"]


def test_a_live_writers_temp_is_never_removed(tmp_path: Path) -> None:
    """A second process still writing into the same folder, even for hours (its temp's
    time set back), keeps its temp; once it finishes its file is whole."""
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent("""
            import sys
            from dlstudio.atomic import atomic_file
            with atomic_file("slow.bin") as stream:
                stream.write(b"first half,")
                print("writing", flush=True)
                sys.stdin.readline()
                stream.write(b" second half")
            """)],
        cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == "writing"
        (live,) = _temps(tmp_path)
        os.utime(tmp_path / live, (1.0, 1.0))  # looks ancient: only its lock protects it
        write_atomic(tmp_path / "mine.txt", "x")
        assert _temps(tmp_path) == [live]
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.wait(timeout=60) == 0
    finally:
        child.kill()
        child.wait()
    assert (tmp_path / "slow.bin").read_bytes() == b"first half, second half"
    assert _temps(tmp_path) == []


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_every_file_gets_the_users_normal_mode(
        umask: int, tmp_path: Path, small_digits: DataBundle, mlp,
        settings: Callable[..., TrainSettings]) -> None:
    expected = 0o666 & ~umask
    previous = os.umask(umask)
    try:
        save_project(Project(name="modes"), tmp_path / "net.dlstudio")
        run = tmp_path / "run"
        Trainer(mlp(), small_digits, settings(epochs=2), out_dir=run).run()
        checkpoint = load_checkpoint(run / "last.pt")
        exports = [export_model(checkpoint.graph, checkpoint.model_state, fmt,
                                tmp_path / name)
                   for fmt, name in (("state_dict", "w.pt"), ("torchscript", "m.ts.pt"))]
    finally:
        os.umask(previous)
    written = [tmp_path / "net.dlstudio", run / "last.pt", run / "best.pt",
               run / "history.json"]
    written += [file for result in exports for file in result.files]
    assert tmp_path / "w.pt.card.json" in written
    assert {str(path.relative_to(tmp_path)): _mode(path) for path in written} == \
        {str(path.relative_to(tmp_path)): expected for path in written}


def test_a_rewrite_keeps_a_mode_the_user_chose(run_folder: Path) -> None:
    os.chmod(run_folder / "last.pt", 0o640)
    checkpoint = load_checkpoint(run_folder / "last.pt")
    save_checkpoint(run_folder / "last.pt", graph=checkpoint.graph,
                    settings=checkpoint.settings, data_info=checkpoint.data_info,
                    model_state=checkpoint.model_state,
                    optimizer_state=checkpoint.optimizer_state, history=[], epoch=0)
    assert _mode(run_folder / "last.pt") == 0o640
    assert load_checkpoint(run_folder / "last.pt").epoch == 0
