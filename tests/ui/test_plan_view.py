"""The pre-flight plan in the Train panel, driven as a user drives it: the memory line
follows the settings at once, "Estimate time" times a few steps on a thread without
freezing the window, a batch that cannot fit turns the line to the warning colour, and
nothing is timed while a run trains."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt

from dlstudio.ui.main_window import MainWindow
from dlstudio.ui.theme import current_ui_colors
from dlstudio.ui.training import TrainingUI


def _template(window: MainWindow, ui: TrainingUI, name: str, **settings) -> None:
    window.files.new_from_template(name)
    for key, value in settings.items():
        ui.panel.form.fields[key].setValue(value)


def _text(ui: TrainingUI) -> str:
    return ui.panel.plan.label.text()


def test_memory_follows_the_settings_at_once(gui, qtbot) -> None:
    window, ui = gui
    _template(window, ui, "mlp", batch_size=32)
    qtbot.waitUntil(lambda: "for a batch of 32" in _text(ui), timeout=5000)
    assert _text(ui).startswith("Plan: ") and "free)" in _text(ui)
    assert "Adam state" in ui.panel.plan.label.toolTip()
    ui.panel.form.fields["batch_size"].setValue(128)
    qtbot.waitUntil(lambda: "for a batch of 128" in _text(ui), timeout=2000)
    presenter = ui.panel.plan_presenter
    assert presenter is not None and presenter.plan is not None
    assert presenter.plan.memory.batch_size == 128 and presenter.plan.fits
    assert not ui.panel.plan.warning


def test_estimate_time_runs_on_a_thread_and_shows_the_epoch(gui, qtbot) -> None:
    window, ui = gui
    _template(window, ui, "mlp", batch_size=64, epochs=4)
    view = ui.panel.plan
    qtbot.waitUntil(lambda: view.button.isEnabled(), timeout=5000)
    started = time.perf_counter()
    qtbot.mouseClick(view.button, Qt.MouseButton.LeftButton)
    assert time.perf_counter() - started < 1.0  # the click returns: timing is off-thread
    assert "timing a few steps" in _text(ui) and not view.button.isEnabled()
    qtbot.waitUntil(lambda: "an epoch" in _text(ui), timeout=60_000)
    assert "for 4 epochs" in _text(ui) and view.button.isEnabled()
    tip = view.label.toolTip()
    assert "A training batch took" in tip and "timed steps after a warm-up" in tip
    plan = ui.panel.plan_presenter.plan
    assert plan.time is not None and plan.time.epoch_seconds > 0
    # nothing was trained or saved: no run was recorded
    assert ui.session.controller.run is None
    # an edit drops the time (it belonged to the other settings)
    ui.panel.form.fields["batch_size"].setValue(16)
    qtbot.waitUntil(lambda: "for a batch of 16" in _text(ui), timeout=2000)
    assert "an epoch" not in _text(ui)


def test_a_batch_that_cannot_fit_is_shown_in_the_warning_colour(gui, qtbot) -> None:
    window, ui = gui
    _template(window, ui, "mlp", batch_size=64)
    ui.panel.form.fields["memory_limit_gb"].setValue(0.001)  # 1 MB: the mlp needs more
    view = ui.panel.plan
    qtbot.waitUntil(lambda: "cannot fit" in _text(ui), timeout=3000)
    assert view.warning and current_ui_colors().warning in view.label.styleSheet()
    assert not view.button.isEnabled()
    assert "Memory limit (Settings &gt; Run)" in view.label.toolTip()  # rich text
    ui.panel.form.fields["memory_limit_gb"].setValue(0.0)
    qtbot.waitUntil(lambda: "cannot fit" not in _text(ui), timeout=3000)
    assert not view.warning and view.label.styleSheet() == ""


def test_nothing_is_timed_while_a_run_trains(gui, qtbot) -> None:
    window, ui = gui
    _template(window, ui, "mlp", batch_size=32, epochs=2000)
    view, presenter = ui.panel.plan, ui.panel.plan_presenter
    qtbot.waitUntil(lambda: view.button.isEnabled(), timeout=5000)
    qtbot.mouseClick(view.button, Qt.MouseButton.LeftButton)  # timing under way …
    controller = ui.session.controller
    timing = presenter._thread
    assert timing is not None and timing.is_alive()
    with qtbot.waitSignal(controller.epoch_ended, timeout=30_000):
        qtbot.mouseClick(ui.panel.controls.train_button, Qt.MouseButton.LeftButton)
        # … ended by the run before its thread started (the random state is back)
        assert not timing.is_alive()
    # no new timing may start while it trains
    qtbot.waitUntil(lambda: presenter._thread is None, timeout=10_000)
    assert not view.button.isEnabled() and presenter.estimate() is False
    controller.stop()
    qtbot.waitUntil(lambda: not controller.active, timeout=30_000)
    assert view.button.isEnabled()


def test_a_graph_with_problems_has_no_plan_until_fixed(gui, qtbot) -> None:
    window, ui = gui
    _template(window, ui, "mlp", batch_size=32)
    qtbot.waitUntil(lambda: "for a batch of 32" in _text(ui), timeout=5000)
    document = window.document
    (dense,) = [node for node in document.graph.nodes.values() if node.name == "fc2"]
    document.editor.delete_nodes([dense.id])  # the Output now has no input
    qtbot.waitUntil(lambda: "once the graph has no problems" in _text(ui), timeout=3000)
    assert not ui.panel.plan.button.isEnabled()
    document.undo_stack.undo()
    qtbot.waitUntil(lambda: "for a batch of 32" in _text(ui), timeout=3000)
