"""Training from the main window, as a user does it: a template, Train, the epochs
arriving in the curves, Pause / Resume / Stop, refusals, errors, closing mid-run.

Real models train on the built-in digits (the small `mlp` template) for a few epochs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from PySide6.QtCore import Qt

from dlstudio.runs import RunStore
from dlstudio.ui.main_window import MainWindow
from dlstudio.ui.training import TrainingUI

REPO = Path(__file__).resolve().parents[2]
LONG = 2000  # epochs: a run that is still going when the test acts on it




def _template(window: MainWindow, ui: TrainingUI, name: str, **settings) -> None:
    window.files.new_from_template(name)
    for key, value in settings.items():
        ui.panel.form.fields[key].setValue(value)


def _click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_train_pause_resume_and_stop_from_the_gui(gui, qtbot) -> None:
    window, ui = gui
    _template(window, ui, "mlp", epochs=LONG, batch_size=32)
    controls, controller = ui.panel.controls, ui.session.controller
    with qtbot.waitSignal(controller.epoch_ended, timeout=30_000):
        _click(qtbot, controls.train_button)
    assert controller.thread is not None and controller.thread.isRunning()
    curves = ui.dashboard.curves
    qtbot.waitUntil(lambda: curves.point_count() > 0 and len(curves.train_loss.buffer) > 0)
    assert len(curves.val_loss.buffer) > 0 and ("val", "accuracy") in curves.metric_curves
    assert ui.lock.locked and ui.lock.banner.isVisible() and not window.view.isInteractive()

    _click(qtbot, controls.pause_button)
    assert controller.state == "paused" and controls.pause_button.text() == "Resume"
    qtbot.wait(300)  # the batch in flight ends and its event is drained
    frozen = len(curves.batch_raw.buffer), len(curves.train_loss.buffer)
    qtbot.wait(500)
    assert (len(curves.batch_raw.buffer), len(curves.train_loss.buffer)) == frozen

    with qtbot.waitSignal(controller.epoch_ended, timeout=30_000):
        _click(qtbot, controls.pause_button)
    assert controller.state == "running" and len(curves.train_loss.buffer) > frozen[1]

    thread = controller.thread
    with qtbot.waitSignal(controller.run_ended, timeout=10_000):
        _click(qtbot, controls.stop_button)
    assert controller.state == "stopped" and thread.isFinished()
    assert not ui.lock.locked and window.view.isInteractive()
    [run] = RunStore(ui.session.store.root).runs()
    assert run.status == "stopped" and len(run.history) >= 2
    assert (run.checkpoint_dir / "last.pt").is_file()
    assert controls.train_button.isEnabled() and "Stopped" in controls.bar.text()


def test_a_finished_run_is_recorded_and_later_edits_make_its_weights_stale(gui, qtbot
                                                                          ) -> None:
    window, ui = gui
    _template(window, ui, "xor", epochs=3)
    controller = ui.session.controller
    with qtbot.waitSignal(controller.run_ended, timeout=30_000):
        assert ui.session.train()
    assert controller.state == "finished"
    run = controller.run
    assert RunStore.load(run.folder).status == "finished" and len(run.history) == 3
    assert run.result["checkpoint"].endswith(".pt") and run.data == "builtin:xor"
    assert ui.dashboard.runs.checked_ids() == [run.id]

    node = window.document.graph.nodes_of_type("Dense")[0]
    window.document.editor.move_nodes({node.id: (node.position, (5.0, 5.0))})
    assert not ui.lock.banner.isVisible()  # moving a layer does not touch the weights
    window.document.editor.set_param(node.id, "units", 7)
    assert ui.lock.banner.isVisible() and "no longer fit" in ui.lock.banner.text()
    window.document.undo_stack.undo()
    assert not ui.lock.banner.isVisible()


def test_the_graph_cannot_be_edited_while_it_trains(gui, qtbot) -> None:
    window, ui = gui
    _template(window, ui, "mlp", epochs=LONG)
    with qtbot.waitSignal(ui.session.controller.epoch_ended, timeout=30_000):
        ui.session.train()
    nodes = len(window.document.graph.nodes)
    window.view.select_all()
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(window.document.graph.nodes) == nodes
    assert not window.palette_panel.isEnabled() and not window.inspector.isEnabled()
    assert not window.action_map["delete"].isEnabled()
    assert not window.undo_group.canUndo()
    assert "locked" in ui.lock.banner.text()


def test_graph_problems_refuse_to_train_and_start_no_thread(gui, qtbot) -> None:
    window, ui = gui
    _template(window, ui, "mlp")
    graph = window.document.graph
    flatten = graph.nodes_of_type("Flatten")[0]
    window.document.editor.disconnect(graph.edges_into(flatten.id)[0].id)
    window.document.refresh_report()
    _click(qtbot, ui.panel.controls.train_button)
    assert ui.session.controller.thread is None and ui.session.controller.state == "idle"
    assert not ui.panel.notice.isHidden()  # shown (wherever the panel is placed)
    assert "problems" in ui.panel.notice.text() and flatten.name in ui.panel.notice.text()
    assert not ui.lock.locked


def test_data_that_does_not_fit_the_input_is_refused(gui, qtbot) -> None:
    window, ui = gui
    _template(window, ui, "cnn-small")
    ui.panel.data.set_spec("builtin:xor")
    _click(qtbot, ui.panel.controls.train_button)
    assert ui.session.controller.thread is None
    text = ui.panel.notice.text()
    assert "did not start" in text and "Input" in text and "1×28×28" in text
    assert RunStore(ui.session.store.root).runs() == []  # no run folder was made


def test_an_exploding_loss_is_reported_and_the_app_keeps_working(gui, qtbot) -> None:
    window, ui = gui
    _template(window, ui, "linear-regression", epochs=60)
    ui.panel.form.fields["lr"].setValue(10.0)
    controller = ui.session.controller
    with qtbot.waitSignal(controller.failed, timeout=30_000) as failed:
        ui.session.train()
    qtbot.waitUntil(lambda: controller.state == "failed")
    assert "loss became" in failed.args[0] and "learning rate" in failed.args[0]
    assert "loss became" in (window.last_error or "") and not ui.panel.notice.isHidden()
    assert controller.thread is None and not ui.lock.locked
    assert RunStore.load(controller.run.folder).status == "failed"

    window._error_box.done(0)
    ui.panel.form.fields["lr"].setValue(0.05)
    ui.panel.form.fields["epochs"].setValue(2)
    with qtbot.waitSignal(controller.run_ended, timeout=30_000):
        assert ui.session.train()
    assert controller.state == "finished"


def _long_run_under_way(window, ui, qtbot):
    """A long mlp run past its first epoch: (controller, its thread, its run)."""
    _template(window, ui, "mlp", epochs=LONG)
    controller = ui.session.controller
    with qtbot.waitSignal(controller.epoch_ended, timeout=30_000):
        ui.session.train()
    return controller, controller.thread, controller.run


def test_opening_another_project_stops_the_run(gui, qtbot) -> None:
    window, ui = gui
    controller, thread, run = _long_run_under_way(window, ui, qtbot)
    started = time.perf_counter()
    window.files.new_from_template("xor")
    assert time.perf_counter() - started < 2.0 and thread.isFinished()
    assert RunStore.load(run.folder).status == "stopped" and not ui.lock.locked
    assert ui.panel.data.spec() == "builtin:xor"  # the new template's defaults


def test_closing_the_window_mid_run_ends_the_thread(gui, qtbot) -> None:
    window, ui = gui
    controller, thread, run = _long_run_under_way(window, ui, qtbot)
    started = time.perf_counter()
    window.close()
    assert time.perf_counter() - started < 2.0
    assert thread.isFinished() and controller.thread is None
    assert RunStore.load(run.folder).status == "stopped"
    assert (run.checkpoint_dir / "last.pt").is_file()


def test_settings_and_data_follow_the_template_and_stay_in_the_project(gui) -> None:
    window, ui = gui
    _template(window, ui, "cnn-small")
    form = ui.panel.form
    assert form.settings().epochs == 5 and ui.panel.data.spec() == "builtin:digits28"
    form.fields["batch_size"].setValue(16)
    assert window.document.project.training["batch_size"] == 16
    assert window.document.project.dataset == {"spec": "builtin:digits28"}


CLOSE_MID_RUN = """
import os, sys, time
from pathlib import Path
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from dlstudio.ui.document import Document
from dlstudio.ui.main_window import MainWindow
from dlstudio.ui.training import install_training
tmp = Path(sys.argv[1])
window = MainWindow(QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat),
                    recovery_dir=tmp / "recovery")
ui = install_training(window)
window.set_document(Document.from_template("mlp"))
ui.panel.form.fields["epochs"].setValue(2000)
window.show()
controller = ui.session.controller
def close():
    started = time.perf_counter()
    window.close()
    print(f"closed in {time.perf_counter() - started:.3f} s; thread {controller.thread}")
    app.quit()
controller.epoch_ended.connect(lambda report: QTimer.singleShot(0, close))
assert ui.session.train()
app.exec()
del window
"""


def test_closing_mid_run_in_a_real_process_leaves_no_running_thread(tmp_path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DLSTUDIO_RUNS_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(CLOSE_MID_RUN),
                             str(tmp_path)], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "QThread: Destroyed" not in result.stderr and "Traceback" not in result.stderr
    assert "thread None" in result.stdout
    seconds = float(result.stdout.split("closed in ")[1].split(" s")[0])
    assert seconds < 2.0
