"""The whole app: a run trained with the Train button reaches Try it and File > Export."""

from __future__ import annotations

from PySide6.QtCore import Qt


def test_a_finished_run_can_be_tried_and_exported(qtbot, workbench) -> None:
    window, bench = workbench
    assert set(window.docks) >= {"Data and training", "Network", "Try it", "Layer outputs"}
    # Panels are found by name (View > Panels, saved layouts): a name used twice hides one.
    per_workspace = [name for w in window.workspaces.workspaces.values() for name in w.docks]
    assert len(per_workspace) == len(set(per_workspace))
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
