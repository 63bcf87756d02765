"""What a UI review at 1366×768 found, driven as a user would: New from template ▸
autoencoder then Train must start (the Target setting makes each sample its own target),
and the data panel must fit its dock, offer the image-size box only where there are
images, and drop the preview of the data loaded before when a new choice fails."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from dlstudio.data import load_data
from dlstudio.graph.templates import build_template
from dlstudio.train import defaults_for_template
from dlstudio.ui.training.controller import preflight
from dlstudio.ui.training.data_panel import DataPanel

WAIT_MS = 60_000
DOCK_WIDTH = 380  # the training dock's width at 1366×768, less its scroll bar


def test_preflight_checks_the_data_with_the_target_setting() -> None:
    graph, data = build_template("autoencoder"), load_data("builtin:digits28")
    settings = defaults_for_template("autoencoder")
    assert settings.target == "input"
    assert preflight(graph, data, settings) is None
    refused = preflight(graph, data, settings.__class__(**{**settings.__dict__,
                                                           "target": "labels"}))
    assert refused is not None and "one-hot of digits28's 10 classes" in refused


def test_an_autoencoder_from_its_template_trains(qtbot, workbench) -> None:
    window, bench = workbench
    window.files.new_from_template("autoencoder")
    panel, session = bench.training.panel, bench.training.session
    panel.form.fields["epochs"].setValue(1)
    window.show_workspace("train")
    with qtbot.waitSignal(session.controller.run_ended, timeout=WAIT_MS):
        qtbot.mouseClick(panel.controls.train_button, Qt.MouseButton.LeftButton)
        assert "did not start" not in panel.notice.text()
    assert "did not start" not in panel.notice.text()
    assert bench.training.dashboard.run is not None
    assert bench.training.dashboard.run.status == "finished"


def test_the_data_panel_fits_the_training_dock(qtbot) -> None:
    panel = DataPanel()
    qtbot.addWidget(panel)
    assert panel.minimumSizeHint().width() <= DOCK_WIDTH


def test_the_image_size_box_shows_only_for_sources_with_images(qtbot) -> None:
    panel = DataPanel()
    qtbot.addWidget(panel)
    panel.show()
    for scheme, shown in (("builtin", True), ("csv", False), ("text", False),
                          ("cifar10", True), ("download", True)):
        panel.source.setCurrentIndex(panel.source.findData(scheme))
        assert panel.fit_input.isVisible() == shown, scheme
    panel.set_spec("text:/somewhere/book.txt")
    assert not panel.fit_input.isVisible()


def _fail_with_a_missing_text_file(qtbot, panel: DataPanel, path: Path) -> None:
    panel.source.setCurrentIndex(panel.source.findData("text"))
    panel.text.edit.setFocus()
    panel.text.edit.clear()
    qtbot.keyClicks(panel.text.edit, str(path))
    qtbot.keyClick(panel.text.edit, Qt.Key.Key_Return)
    qtbot.mouseClick(panel.load_button, Qt.MouseButton.LeftButton)
    assert "missing.txt" in panel.status.text()
    assert panel.bundle is None and panel.preview is None
    assert not panel.view.balance.isVisible()


def test_a_failed_load_clears_the_preview_of_the_data_before(qtbot, tmp_path: Path) -> None:
    panel = DataPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_spec("builtin:digits")  # a picture preview
    qtbot.mouseClick(panel.load_button, Qt.MouseButton.LeftButton)
    tiles = list(panel.view.tiles)
    assert tiles
    qtbot.waitUntil(lambda: all(tile.isVisible() for tile in tiles))  # shown next loop
    _fail_with_a_missing_text_file(qtbot, panel, tmp_path / "missing.txt")
    assert not panel.view.tiles and not any(tile.isVisible() for tile in tiles)

    panel.set_spec("builtin:blobs")  # a table preview
    qtbot.mouseClick(panel.load_button, Qt.MouseButton.LeftButton)
    assert panel.view.table.rowCount() > 0 and panel.bundle is not None
    _fail_with_a_missing_text_file(qtbot, panel, tmp_path / "missing.txt")
    assert panel.view.table.rowCount() == 0 and panel.view.table.columnCount() == 0


def _evaluation(samples: int, confusion: tuple[tuple[int, ...], ...]):
    from dlstudio.infer.evaluate import Evaluation
    return Evaluation(Path("last.pt"), "builtin:text", "val", "classification", samples,
                      {"loss": 1.0, "accuracy": 0.5}, ("a", "b"), confusion)


def test_a_per_step_model_counts_predictions_not_samples(qtbot) -> None:
    """char-rnn predicts one character per step: 3 sequences of 4 steps are 12
    predictions, and the captions must not say "7 of 3 samples right"."""
    from dlstudio.ui.evaluate.views import show_confusion, show_mistakes
    from dlstudio.ui.training.dashboard.confusion import ConfusionPanel
    from dlstudio.ui.training.dashboard.mistakes import MistakesPanel

    confusion, mistakes = ConfusionPanel(), MistakesPanel()
    qtbot.addWidget(confusion)
    qtbot.addWidget(mistakes)
    per_step = _evaluation(3, ((4, 2), (3, 3)))
    show_confusion(confusion, per_step)
    assert confusion.caption.text().startswith(
        "7 of 12 validation predictions (3 samples × 4 steps) right.")
    show_mistakes(mistakes, per_step)
    assert "per-step" in mistakes.caption.text()
    per_sample = _evaluation(12, ((4, 2), (3, 3)))
    show_confusion(confusion, per_sample)
    assert confusion.caption.text().startswith("7 of 12 validation samples right.")
    show_mistakes(mistakes, per_sample)
    assert mistakes.caption.text().startswith("0 of 12 validation samples are wrong")


def test_a_character_models_classes_are_named_readably(qtbot) -> None:
    """char-rnn's classes are the 128 ASCII characters; the newline, the space and the
    control characters must not be drawn as empty boxes on the axes and in the table."""
    from dlstudio.ui.training.dashboard.confusion import ConfusionPanel

    panel = ConfusionPanel()
    qtbot.addWidget(panel)
    panel.reset(["\x00", "\t", "\n", " ", "a", "cat"])
    panel.set_matrix([[1, 0, 0, 0, 0, 0]] * 6, 1)
    rows = [panel.table.item(row, 0).text() for row in range(panel.table.rowCount())]
    assert rows == ["U+0000", "\\t", "\\n", "space", "a", "cat"]


def test_every_lesson_is_in_view_at_1366_by_768(qtbot, workbench) -> None:
    window, _bench = workbench
    window.resize(1366, 768)
    lessons = window.show_lessons().panel.list
    qtbot.wait(50)
    assert lessons.count() >= 8
    viewport = lessons.viewport().rect()
    for row in range(lessons.count()):
        rect = lessons.visualItemRect(lessons.item(row))
        assert rect.top() >= viewport.top() and rect.bottom() <= viewport.bottom(), row


def test_control_characters_leave_the_confusion_axes_unlabelled(qtbot) -> None:
    """"U+0000" … on every tick of a 128-class axis would overlap into a smear."""
    from dlstudio.ui.training.dashboard.confusion import ConfusionPanel

    panel = ConfusionPanel()
    qtbot.addWidget(panel)
    panel.reset(["\x00", "\x01", "\n", " ", "a"])
    ticks = panel.plot.getAxis("bottom")._tickLevels[0]
    assert [text for _, text in ticks] == ["", "", "\\n", "space", "a"]


def test_an_autoencoders_pictures_fit_the_try_it_dock_at_1366_by_768(qtbot) -> None:
    from dlstudio.ui.tryit.image_panel import ImageTryPanel

    panel = ImageTryPanel()
    qtbot.addWidget(panel)
    panel.show()
    for widget in (panel.output_preview, panel.output_caption):
        widget.show()  # as set_predictor does for a reconstruction model
    assert panel.minimumSizeHint().width() <= 500  # the dock's width there, less margins


def test_a_load_error_is_readable_in_the_dark_theme(qtbot, qapp, tmp_path: Path) -> None:
    """The light theme's dark red error is hard to read on the dark theme's grey."""
    from PySide6.QtWidgets import QApplication

    from dlstudio.ui.theme import apply_theme, current_ui_colors

    style, palette = qapp.style().name(), qapp.palette()
    panel = DataPanel()
    qtbot.addWidget(panel)
    panel.show()
    try:
        apply_theme(qapp, "light")
        QApplication.processEvents()
        _fail_with_a_missing_text_file(qtbot, panel, tmp_path / "missing.txt")
        light = current_ui_colors().error
        assert light in panel.status.styleSheet()
        apply_theme(qapp, "dark")
        QApplication.processEvents()
        dark = current_ui_colors().error
        assert dark != light and dark in panel.status.styleSheet()
        panel.set_spec("builtin:blobs")
        qtbot.mouseClick(panel.load_button, Qt.MouseButton.LeftButton)
        assert panel.status.styleSheet() == ""  # a good load reads in the normal colour
    finally:
        qapp.setStyle(style)
        qapp.setPalette(palette)
