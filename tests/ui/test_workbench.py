"""The whole app: a run trained with the Train button reaches Try it and File > Export."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox

from dlstudio.ui.main_window import MainWindow
from dlstudio.ui.workbench import install_workbench


def test_a_finished_run_can_be_tried_and_exported(qtbot, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DLSTUDIO_RUNS_DIR", str(tmp_path / "runs"))
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                        recovery_dir=tmp_path / "recovery")
    window.files.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(window)
    bench = install_workbench(window)
    window.show()
    assert set(window.docks) >= {"Data and training", "Network", "Try it"}
    assert bench.try_panel.kind() == "none" and window.trained_checkpoint is None

    window.files.new_from_template("xor")
    bench.training.panel.form.fields["epochs"].setValue(2)
    controller = bench.training.session.controller
    with qtbot.waitSignal(controller.run_ended, timeout=60_000):
        qtbot.mouseClick(bench.training.panel.controls.train_button, Qt.MouseButton.LeftButton)

    assert controller.state == "finished"
    assert window.trained_checkpoint is not None and window.trained_checkpoint.is_file()
    assert bench.try_panel.kind() == "vector"

    window.files.new()  # another project: its weights are not this run's
    assert window.trained_checkpoint is None and bench.try_panel.kind() == "none"
    bench.training.session.shutdown()
