"""The run store: runs written to a project folder read back the same, and export to CSV."""

from __future__ import annotations

import csv
import io
import json
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
    assert store.root == tmp_path / "runs"
    run = _new(store)
    assert run.id == "2025-01-31_14-05-09" and (run.folder / SETTINGS_FILE).is_file()
    run.history += [_epoch(1, 0.7, 0.5), _epoch(2, 0.4, 0.75)]
    run.status = "finished"
    run.result = {"best_epoch": 2, "checkpoint": str(run.checkpoint_dir / "best.pt")}
    store.save(run)

    [back] = store.runs()
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
