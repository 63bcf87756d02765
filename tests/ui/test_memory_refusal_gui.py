"""The memory check and the learning-rate warning in the window, as a user meets them:
a run over the memory limit is refused in the panel before anything is built (no thread,
no run folder, the window still answers), a raised limit lets it train; a learning rate
far too high trains to the end with a visible warning."""

from __future__ import annotations

from PySide6.QtCore import Qt

from dlstudio.graph.templates import build_template
from dlstudio.runs import RunStore
from dlstudio.train.memory import estimate_memory, format_bytes


def _new(window, ui, template: str, **settings) -> None:
    window.files.new_from_template(template)
    for key, value in settings.items():
        ui.panel.form.fields[key].setValue(value)


def test_a_model_over_the_memory_limit_is_refused_until_the_limit_is_raised(gui, qtbot
                                                                         ) -> None:
    window, ui = gui
    needs = estimate_memory(build_template("mlp"), 64).total
    assert 1_000_000 < needs < 1_000_000_000
    _new(window, ui, "mlp", epochs=1, memory_limit_gb=0.001)  # 1 MB
    controller = ui.session.controller
    qtbot.mouseClick(ui.panel.controls.train_button, Qt.MouseButton.LeftButton)
    assert controller.thread is None and controller.state == "idle"
    text = ui.panel.notice.text()
    assert not ui.panel.notice.isHidden()
    assert f"did not start: the model needs {format_bytes(needs)} for one batch of 64" in text
    assert "1.0 MB the memory limit setting allows: fc1 (" in text
    assert text.endswith("raise Memory limit (Settings > Run)")  # the box, by its name
    assert "the model needs" in ui.panel.log.toPlainText()
    assert RunStore(ui.session.store.root).runs() == []  # nothing made, nothing built
    assert not ui.lock.locked and window.view.isInteractive()
    ui.panel.form.fields["memory_limit_gb"].setValue(1.0)
    with qtbot.waitSignal(controller.run_ended, timeout=60_000):
        qtbot.mouseClick(ui.panel.controls.train_button, Qt.MouseButton.LeftButton)
    assert controller.state == "finished"
    assert window.document.project.training["memory_limit_gb"] == 1.0  # kept in the project


def test_the_form_shows_zero_as_what_is_free(gui) -> None:
    _, ui = gui
    box = ui.panel.form.fields["memory_limit_gb"]
    assert box.value() == 0 and box.text() == "What is free"
    box.setValue(8)
    assert ui.panel.form.settings().memory_limit_gb == 8.0


def test_a_learning_rate_far_too_high_trains_with_a_visible_warning(gui, qtbot) -> None:
    window, ui = gui
    _new(window, ui, "xor", epochs=2, lr=10.0)
    controller = ui.session.controller
    with qtbot.waitSignal(controller.run_ended, timeout=60_000):
        assert ui.session.train()
    assert controller.state == "finished"
    notice = ui.panel.notice
    assert not notice.isHidden() and "the learning rate may be too high" in notice.text()
    log = ui.panel.log.toPlainText()
    assert log.count("Warning: loss") == 1 and "far above where it began" in log
