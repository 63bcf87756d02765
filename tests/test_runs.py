"""The run store: runs written beside a project read back the same, export to CSV, and
follow the project when it is saved elsewhere, moved, or was saved by the previous
version."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from dlstudio.runs import (
    HISTORY_FILE,
    METRICS_FILE,
    SETTINGS_FILE,
    Run,
    RunError,
    RunStore,
    metrics_csv,
    write_metrics_csv,
)

NOW = datetime(2025, 1, 31, 14, 5, 9)


def _epoch(epoch: int, loss: float, accuracy: float | None = None) -> dict:
    val = {"loss": loss + 0.1}
    if accuracy is not None:
        val["accuracy"] = accuracy
    return {"epoch": epoch, "train": {"loss": loss}, "val": val, "lr": 0.01,
            "seconds": 1.5, "samples_per_second": 1000.0,
            "layer_stats": {"dense_1": {"weight_norm": 1.0, "grad_norm": 0.5}}}


def _new(store: RunStore, name: str = "xor") -> Run:
    return store.create(name=name, data="builtin:xor", settings={"epochs": 3, "lr": 0.1},
                        graph={"nodes": [], "edges": []}, now=NOW)


def test_round_trip_keeps_settings_history_and_result(tmp_path: Path) -> None:
    store = RunStore.for_project(tmp_path / "p.dlstudio", "p")
    assert store.root == tmp_path / "p.runs"
    run = _new(store)
    assert run.id == "2025-01-31_14-05-09" and (run.folder / SETTINGS_FILE).is_file()
    run.history += [_epoch(1, 0.7, 0.5), _epoch(2, 0.4, 0.75)]
    run.status = "finished"
    run.result = {"best_epoch": 2, "checkpoint": str(run.checkpoint_dir / "best.pt")}
    store.save(run)

    [back] = store.runs()
    assert back.checkpoint == run.checkpoint == run.checkpoint_dir / "best.pt"
    assert back.result == {"best_epoch": 2, "checkpoint": "checkpoints/best.pt"}
    back.result = run.result
    assert back == run
    assert back.metric_keys() == ["loss", "accuracy"]
    assert back.series("val", "accuracy") == ([1, 2], [0.5, 0.75])
    rows = list(csv.DictReader(io.StringIO((run.folder / METRICS_FILE).read_text())))
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert float(rows[1]["val_loss"]) == pytest.approx(0.5) and rows[1]["lr"] == "0.01"


def test_runs_started_in_the_same_second_get_their_own_folders(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs")
    ids = [_new(store).id for _ in range(3)]
    assert ids == ["2025-01-31_14-05-09", "2025-01-31_14-05-09-2", "2025-01-31_14-05-09-3"]
    assert [r.id for r in store.runs()] == ids


def test_nan_loss_is_stored_as_null_and_read_back(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    run = _new(store)
    run.history.append(_epoch(1, float("nan")))
    run.status, run.message = "failed", "the loss became NaN at epoch 1"
    store.save(run)
    data = json.loads((run.folder / HISTORY_FILE).read_text())
    assert data["history"][0]["train"]["loss"] is None
    back = RunStore.load(run.folder)
    assert back.status == "failed" and back.series("train", "loss") == ([], [])


def test_a_broken_run_folder_is_named_and_skipped_in_the_list(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    good = _new(store)
    bad = _new(store)
    (bad.folder / HISTORY_FILE).write_text('{"format": 1, "status": "exploded"}')
    (tmp_path / "not-a-run").mkdir()
    with pytest.raises(RunError, match=r"history\.json.*status"):
        RunStore.load(bad.folder)
    assert [r.id for r in store.runs()] == [good.id]
    RunStore.delete(good)
    assert store.runs() == []


def test_export_of_several_runs_has_one_column_per_metric(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs")
    classify, regress = _new(store, "a"), _new(store, "b")
    classify.history = [_epoch(1, 0.5, 0.9)]
    regress.history = [{"epoch": 1, "train": {"loss": 2.0, "mae": 1.0},
                        "val": {"loss": 3.0, "mae": 1.5}}]
    write_metrics_csv(tmp_path / "out.csv", [classify, regress])
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text())))
    assert list(rows[0]) == ["run", "epoch", "train_loss", "train_accuracy", "train_mae",
                             "val_loss", "val_accuracy", "val_mae", "lr", "seconds",
                             "samples_per_second"]
    assert rows[0]["val_accuracy"] == "0.9" and rows[0]["val_mae"] == ""
    assert rows[1]["run"] == regress.id and rows[1]["val_mae"] == "1.5"
    assert metrics_csv([]).strip() == "run,epoch,lr,seconds,samples_per_second"


def test_unsaved_project_runs_go_to_the_user_data_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DLSTUDIO_RUNS_DIR", str(tmp_path))
    assert RunStore.for_project(None, "my net/1").root == tmp_path / "my_net_1"


# ----- runs follow their project -------------------------------------------------------
def _finished(store: RunStore, name: str = "p", now: datetime = NOW) -> Run:
    """A finished run with a (fake) checkpoint file, recorded as the trainer does:
    an absolute path."""
    run = store.create(name=name, data="builtin:xor", settings={"epochs": 1},
                       graph={"nodes": [], "edges": []}, now=now)
    run.checkpoint_dir.mkdir()
    (run.checkpoint_dir / "last.pt").write_bytes(b"weights of " + run.id.encode())
    run.history.append(_epoch(1, 0.5))
    run.status = "finished"
    run.result = {"checkpoint": str(run.checkpoint_dir / "last.pt"), "device": "cpu"}
    store.save(run)
    return run


def _project(folder: Path, name: str = "p") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.dlstudio"
    path.write_text('{"format_version": 1}')
    return path


def test_the_checkpoint_is_stored_relative_to_the_run_folder(tmp_path: Path) -> None:
    run = _finished(RunStore.for_project(_project(tmp_path), "p"))
    stored = json.loads((run.folder / HISTORY_FILE).read_text())["result"]["checkpoint"]
    assert stored == "checkpoints/last.pt" and str(tmp_path) not in \
        (run.folder / HISTORY_FILE).read_text()
    assert RunStore.load(run.folder).checkpoint == run.checkpoint_dir / "last.pt"


def test_a_project_folder_moved_elsewhere_keeps_its_runs(tmp_path: Path) -> None:
    path = _project(tmp_path / "before" / "work")
    run = _finished(RunStore.for_project(path, "p"))
    shutil.copytree(tmp_path / "before", tmp_path / "after")
    shutil.rmtree(tmp_path / "before")

    [back] = RunStore.for_project(tmp_path / "after" / "work" / "p.dlstudio", "p").runs()
    assert back.id == run.id and back.status == "finished"
    assert back.checkpoint == tmp_path / "after/work/p.runs" / run.id / "checkpoints/last.pt"
    assert back.checkpoint.read_bytes() == b"weights of " + run.id.encode()


def test_the_first_save_moves_the_runs_of_an_unsaved_project(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DLSTUDIO_RUNS_DIR", str(tmp_path / "user"))
    unsaved = RunStore.for_project(None, "untitled")
    first = _finished(unsaved)
    second = _finished(unsaved)
    saved = RunStore.for_project(_project(tmp_path / "work", "net"), "net")
    moved = saved.adopt(unsaved, move=True)

    assert [r.id for r in moved] == [first.id, second.id] == [r.id for r in saved.runs()]
    assert unsaved.runs() == [] and not first.folder.exists()
    assert moved[0].checkpoint == saved.root / first.id / "checkpoints/last.pt"
    assert moved[0].checkpoint.is_file()


def test_save_as_copies_the_runs_and_the_old_project_keeps_its_own(tmp_path) -> None:
    old = RunStore.for_project(_project(tmp_path, "a"), "a")
    kept = _finished(old)
    going = _finished(old, now=datetime(2025, 2, 1))
    new = RunStore.for_project(_project(tmp_path, "b"), "b")
    [copied] = new.adopt(old, move=False, skip=[going.id])  # still training: not yet

    assert [r.id for r in old.runs()] == [kept.id, going.id]
    assert copied.id == kept.id and copied.folder == tmp_path / "b.runs" / kept.id
    assert copied.checkpoint.is_file() and copied.checkpoint != kept.checkpoint
    assert new.adopt(old, move=False, skip=[going.id]) == [copied]  # not copied twice
    later = new.take(old.runs()[1], move=False)
    assert [r.id for r in new.runs()] == [kept.id, later.id]


def test_runs_that_cannot_follow_are_named_and_stay_where_they_were(tmp_path) -> None:
    old = RunStore.for_project(_project(tmp_path, "a"), "a")
    run = _finished(old)
    (tmp_path / "blocked.runs").write_text("a file where the runs folder would go")
    new = RunStore.for_project(tmp_path / "blocked.dlstudio", "blocked")
    with pytest.raises(RunError, match=rf"1 of 1 runs could not be moved: cannot move "
                                       rf"the run {run.id} from .*a\.runs to .*blocked\.runs"):
        new.adopt(old, move=True)
    assert [r.id for r in old.runs()] == [run.id] and run.checkpoint.is_file()


def test_runs_of_the_previous_shared_folder_are_listed_and_copied_on_save_as(
        tmp_path: Path) -> None:
    legacy = RunStore(tmp_path / "runs")  # version 1: every project of the folder shared it
    mine = _finished(legacy, "p")
    _finished(legacy, "other", now=datetime(2025, 2, 1))
    store = RunStore.for_project(_project(tmp_path, "p"), "p")
    assert [r.id for r in store.runs()] == [mine.id]
    assert store.runs()[0].checkpoint == mine.checkpoint_dir / "last.pt"  # absolute, kept

    mine_new = _finished(store, "p", now=datetime(2025, 3, 1))
    assert [r.id for r in store.runs()] == [mine.id, mine_new.id]  # oldest first

    copy = RunStore.for_project(_project(tmp_path / "elsewhere", "q"), "p")
    copy.adopt(store, move=False)
    assert [r.folder.parent for r in copy.runs()] == [copy.root, copy.root]
    copied = copy.runs()[0]
    assert copied.checkpoint == copy.root / mine.id / "checkpoints/last.pt"
    stored = json.loads((copied.folder / HISTORY_FILE).read_text())["result"]["checkpoint"]
    assert stored == "checkpoints/last.pt"
    assert (legacy.root / mine.id).is_dir()  # the shared folder is left as it was


def test_an_old_absolute_checkpoint_path_still_works_after_a_move(tmp_path: Path) -> None:
    legacy = RunStore(tmp_path / "old" / "runs")
    run = _finished(legacy, "p")
    history = json.loads((run.folder / HISTORY_FILE).read_text())
    history["result"]["checkpoint"] = str(run.checkpoint_dir / "last.pt")  # version 1
    (run.folder / HISTORY_FILE).write_text(json.dumps(history))
    shutil.move(tmp_path / "old", tmp_path / "new")
    [back] = RunStore.for_project(tmp_path / "new" / "p.dlstudio", "p").runs()
    assert back.checkpoint == tmp_path / "new/runs" / run.id / "checkpoints/last.pt"
