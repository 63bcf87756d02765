"""write_atomic replaces a file whole or leaves it exactly as it was."""

from __future__ import annotations

import os
import stat
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
