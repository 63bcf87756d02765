"""write_atomic replaces a file whole or leaves it exactly as it was."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dlstudio import atomic
from dlstudio.atomic import write_atomic


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(atomic.TEMP_SUFFIX))


def test_writes_bytes_and_text_as_utf8(tmp_path: Path) -> None:
    write_atomic(tmp_path / "a.bin", b"\x00\x01\xff")
    write_atomic(tmp_path / "b.txt", "größe 32×13×13\n")
    assert (tmp_path / "a.bin").read_bytes() == b"\x00\x01\xff"
    assert (tmp_path / "b.txt").read_bytes() == "größe 32×13×13\n".encode()
    assert _leftovers(tmp_path) == []


def test_replaces_an_existing_file_and_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "project.dlstudio"
    target.write_text("old, and longer than the new content")
    os.chmod(target, 0o640)
    write_atomic(str(target), "new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert _leftovers(tmp_path) == []


def test_a_new_file_gets_ordinary_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "new.json", "{}")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o644


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_failure_midway_keeps_the_old_file_and_leaves_no_temp(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str) -> None:
    target = tmp_path / "model.pt"
    target.write_bytes(b"the good old bytes")

    def broken(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, failing, broken)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, b"half of the new bytes" * 1000)
    monkeypatch.undo()
    assert target.read_bytes() == b"the good old bytes"
    assert _leftovers(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]


def test_an_interrupt_midway_also_cleans_up(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a.txt"
    target.write_text("kept")

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "lost")
    monkeypatch.undo()
    assert target.read_text() == "kept"
    assert _leftovers(tmp_path) == []


def test_a_symlink_is_kept_and_its_target_replaced(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink()
    assert real.read_text() == "new"


def test_a_missing_folder_is_an_error_and_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "nope" / "a.txt", "x")
    assert list(tmp_path.iterdir()) == []


def test_other_data_types_are_refused_before_touching_the_disk(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="bytes or str"):
        write_atomic(tmp_path / "a.txt", {"not": "bytes"})  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def _aged(path: Path, seconds: float) -> Path:
    past = time.time() - seconds
    os.utime(path, (past, past))
    return path


def test_stale_rules_pid_age_and_old_names(tmp_path: Path) -> None:
    """Ours with a dead pid: stale at once. Ours with a live pid and no lock (a writer
    between creating and locking, or a reused pid): stale only after STALE_AFTER. Names
    of earlier versions: after LEGACY_STALE_AFTER. Anything else: never."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    files = {
        "dead": tmp_path / f".last.pt.{dead}.0a1b2c3d.tmp",
        "live_young": tmp_path / f".best.pt.{os.getpid()}.0a1b2c3d.tmp",
        "live_old": tmp_path / f".best.pt.{os.getpid()}.11111111.tmp",
        "legacy_young": tmp_path / ".net.dlstudio.a1b2c3d4.tmp",
        "legacy_old": tmp_path / ".last.pt.k3_x9zq1.tmp",
        "autosave_meta": tmp_path / "0f3c2a.json.tmp",  # ui/autosave.py's, not ours
        "user_file": tmp_path / ".notes.tmp",
    }
    for path in files.values():
        path.write_bytes(b"x")
    folder = tmp_path / f".export.{dead}.deadbeef.tmp"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"x")
    _aged(files["live_old"], atomic.STALE_AFTER + 60)
    _aged(files["legacy_old"], atomic.LEGACY_STALE_AFTER + 60)
    for name in ("autosave_meta", "user_file"):
        _aged(files[name], 10 * atomic.LEGACY_STALE_AFTER)
    removed = atomic.clean_leftovers(tmp_path)
    assert sorted(p.name for p in removed) == sorted(
        [files["dead"].name, files["live_old"].name, files["legacy_old"].name, folder.name])
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == sorted(files[name].name for name in
                          ("live_young", "legacy_young", "autosave_meta", "user_file"))


def test_a_locked_temp_is_kept_however_old_and_whoever_wrote_it(tmp_path: Path) -> None:
    with atomic.atomic_file(tmp_path / "a.bin") as stream:
        stream.write(b"data")
        (temp,) = tmp_path.iterdir()
        _aged(temp, 10 * atomic.LEGACY_STALE_AFTER)
        assert atomic.clean_leftovers(tmp_path) == []
    assert (tmp_path / "a.bin").read_bytes() == b"data"


def test_a_cleanup_never_raises_and_skips_links(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("x")
    link = tmp_path / ".export.1.deadbeef.tmp"
    link.symlink_to(victim)
    assert atomic.clean_leftovers(tmp_path) == []
    assert (victim / "keep.txt").exists()
    assert atomic.clean_leftovers(tmp_path / "missing") == []
