"""Runs belong to the project, as a user meets them: a run trained, the project saved
(Save As), closed and opened again still lists the run and gives its weights to Try it;
a run made before the first save moves with it, even one still training; a moved
project folder keeps its runs; the previous version's shared runs/ folder is still read;
opening another project clears the Metrics dock.

Real models train for 1 epoch on the built-in xor data (the long mlp run is stopped).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from dlstudio.runs import HISTORY_FILE, Run, RunStore
from dlstudio.ui.main_window import MainWindow
from dlstudio.ui.training.dashboard.runs import ID_ROLE
from dlstudio.ui.training.dashboard.view import NO_RUN_TEXT
from dlstudio.ui.workbench import Workbench

LONG = 2000  # epochs: a run that is still going when the test acts on it


@pytest.fixture
def app(workbench):
    """The whole window; an unsaved project's runs go to tmp_path/runs."""
    return workbench


def _train_xor(qtbot, window: MainWindow, bench: Workbench) -> Run:
    """A new xor project trained for one epoch with the Train button."""
    window.files.new_from_template("xor")
    bench.training.panel.form.fields["epochs"].setValue(1)
    controller = bench.training.session.controller
    with qtbot.waitSignal(controller.run_ended, timeout=60_000):
        qtbot.mouseClick(bench.training.panel.controls.train_button,
                         Qt.MouseButton.LeftButton)
    assert controller.state == "finished"
    return controller.run


def _listed(bench: Workbench) -> list[str]:
    """The run ids the Runs tab shows, newest first (the user opens the tab)."""
    dashboard = bench.training.dashboard
    dashboard.tabs.setCurrentWidget(dashboard.runs)
    runs = dashboard.runs.list
    return [runs.item(i).data(ID_ROLE) for i in range(runs.count())]


def _project_folder(tmp_path: Path, name: str = "work") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    return folder


def test_a_run_is_back_after_save_as_close_and_reopen(app, qtbot, tmp_path) -> None:
    window, bench = app
    run = _train_xor(qtbot, window, bench)
    assert run.folder.is_relative_to(tmp_path / "runs")  # unsaved: the user's folder
    path = _project_folder(tmp_path) / "net.dlstudio"
    assert window.files.save_as(path)

    moved = tmp_path / "work" / "net.runs" / run.id
    assert (moved / HISTORY_FILE).is_file() and not run.folder.exists()
    assert window.trained_checkpoint.parent == moved / "checkpoints"  # Export follows
    assert window.trained_checkpoint.is_file()
    assert str(tmp_path) not in (moved / HISTORY_FILE).read_text()  # relative paths only

    window.files.close()
    assert window.trained_checkpoint is None and _listed(bench) == []
    assert window.files.open(path)
    assert _listed(bench) == [run.id]
    checkpoint = window.trained_checkpoint
    assert checkpoint is not None and checkpoint.is_file()
    assert checkpoint.is_relative_to(moved) and bench.try_panel.kind() == "vector"
    assert bench.training.session.latest_checkpoint() == checkpoint
    assert bench.evaluation.select_run(run.id)  # Evaluate lists it too
    assert "1 run of this project kept" in bench.training.dashboard.title.text()

    # A changed network is not what the run trained: its weights are not offered.
    dense = window.document.graph.nodes_of_type("Dense")[0]
    window.document.editor.set_param(dense.id, "units", 7)
    assert window.files.save()
    window.files.close()
    assert window.files.open(path)
    assert _listed(bench) == [run.id] and window.trained_checkpoint is None
    assert bench.training.session.latest_checkpoint() is None


def test_save_as_copies_the_runs_and_a_moved_folder_keeps_them(app, qtbot, tmp_path
                                                                ) -> None:
    window, bench = app
    run = _train_xor(qtbot, window, bench)
    first = _project_folder(tmp_path) / "a.dlstudio"
    assert window.files.save_as(first)
    second = tmp_path / "work" / "b.dlstudio"
    assert window.files.save_as(second)
    assert window.trained_checkpoint.is_relative_to(tmp_path / "work" / "b.runs")
    for name in ("a", "b"):  # the old project keeps its own
        assert [r.id for r in RunStore(tmp_path / "work" / f"{name}.runs").runs()] == [run.id]

    window.files.close()
    shutil.copytree(tmp_path / "work", tmp_path / "moved")
    shutil.rmtree(tmp_path / "work")
    assert window.files.open(tmp_path / "moved" / "a.dlstudio")
    assert _listed(bench) == [run.id]
    assert window.trained_checkpoint.is_relative_to(tmp_path / "moved" / "a.runs")
    assert window.trained_checkpoint.is_file() and bench.try_panel.kind() == "vector"


def test_a_run_still_training_at_the_first_save_follows_when_it_ends(app, qtbot, tmp_path
                                                                      ) -> None:
    window, bench = app
    window.files.new_from_template("mlp")
    form, controls = bench.training.panel.form, bench.training.panel.controls
    form.fields["epochs"].setValue(LONG)
    form.fields["batch_size"].setValue(32)
    controller = bench.training.session.controller
    with qtbot.waitSignal(controller.epoch_ended, timeout=30_000):
        qtbot.mouseClick(controls.train_button, Qt.MouseButton.LeftButton)
    run = controller.run
    qtbot.waitUntil(lambda: "left" in controls.detail.text(), timeout=10_000)
    qtbot.mouseClick(controls.pause_button, Qt.MouseButton.LeftButton)
    assert "left" not in controls.detail.text() and "samples/s" in controls.detail.text()

    path = _project_folder(tmp_path) / "digits.dlstudio"
    assert window.files.save_as(path)  # while the run is paused: it stays where it is
    assert (run.folder / HISTORY_FILE).is_file()
    epochs = len(RunStore.load(run.folder).history)
    with qtbot.waitSignal(controller.epoch_ended, timeout=30_000):
        qtbot.mouseClick(controls.pause_button, Qt.MouseButton.LeftButton)  # Resume
    qtbot.waitUntil(lambda: len(RunStore.load(run.folder).history) > epochs)
    with qtbot.waitSignal(controller.run_ended, timeout=10_000):
        qtbot.mouseClick(controls.stop_button, Qt.MouseButton.LeftButton)
    assert "left" not in controls.detail.text()

    moved = tmp_path / "work" / "digits.runs" / run.id
    assert not run.folder.exists() and RunStore.load(moved).status == "stopped"
    assert len(RunStore.load(moved).history) > epochs  # written to the end, then moved
    assert window.trained_checkpoint == moved / "checkpoints" / "last.pt"
    assert window.trained_checkpoint.is_file()
    assert _listed(bench) == [run.id]


def test_runs_of_the_previous_shared_runs_folder_are_still_found(app, qtbot, tmp_path
                                                                 ) -> None:
    window, bench = app
    run = _train_xor(qtbot, window, bench)
    path = _project_folder(tmp_path) / "xor.dlstudio"
    assert window.files.save_as(path)
    window.files.close()
    # The previous version: runs/ shared by the folder, an absolute checkpoint path.
    legacy = tmp_path / "work" / "runs" / run.id
    shutil.move(tmp_path / "work" / "xor.runs" / run.id, legacy)
    history = json.loads((legacy / HISTORY_FILE).read_text())
    history["result"]["checkpoint"] = str(legacy / "checkpoints" / "last.pt")
    (legacy / HISTORY_FILE).write_text(json.dumps(history))

    assert window.files.open(path)
    assert _listed(bench) == [run.id]
    assert "1 in the shared" in bench.training.dashboard.runs.hint.text()
    assert window.trained_checkpoint == legacy / "checkpoints" / "last.pt"
    assert window.files.save_as(tmp_path / "work" / "copy.dlstudio")
    copied = tmp_path / "work" / "copy.runs" / run.id
    assert (copied / HISTORY_FILE).is_file() and legacy.is_dir()  # copied, not taken
    assert window.trained_checkpoint == copied / "checkpoints" / "last.pt"
    assert _listed(bench) == [run.id]  # listed once
    assert "shared" not in bench.training.dashboard.runs.hint.text()


def test_opening_another_project_clears_the_metrics_dock(app, qtbot, tmp_path) -> None:
    window, bench = app
    _train_xor(qtbot, window, bench)
    dashboard = bench.training.dashboard
    assert "xor" in dashboard.title.text() and dashboard.curves.point_count() > 0
    assert dashboard.confusion.matrix is not None and dashboard.mistakes.tiles

    window.files.new_from_template("mlp")
    assert dashboard.title.text() == NO_RUN_TEXT and dashboard.run is None
    assert dashboard.curves.point_count() == 0 and not dashboard.curves.train_loss.buffer.y.size
    assert dashboard.confusion.matrix is None and not dashboard.mistakes.tiles


def test_runs_that_cannot_follow_are_reported_and_the_project_is_saved(app, qtbot,
                                                                       tmp_path) -> None:
    window, bench = app
    run = _train_xor(qtbot, window, bench)
    folder = _project_folder(tmp_path)
    (folder / "net.runs").write_text("a file where the runs folder would go")
    with qtbot.waitSignal(bench.training.session.message) as said:
        assert window.files.save_as(folder / "net.dlstudio")
    assert (folder / "net.dlstudio").is_file() and not window.document.is_modified()
    notice = bench.training.panel.notice.text()
    assert "saved, but its runs did not all follow" in notice and run.id in notice
    assert said.args[0] == notice
    assert (run.folder / HISTORY_FILE).is_file()  # left where it was, whole
