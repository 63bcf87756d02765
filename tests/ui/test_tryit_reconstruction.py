"""Autoencoders in the app: the Target setting, the design check it brings, and Try it
showing the drawing beside its reconstruction."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from dlstudio.data import load_data
from dlstudio.graph.templates import build_template
from dlstudio.train import Trainer, defaults_for_template
from dlstudio.ui.training.settings_form import SettingsForm
from dlstudio.ui.tryit import TryItPanel
from tests.ui.test_drawpad import BAR, move


@pytest.fixture(scope="module")
def autoencoder_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = replace(defaults_for_template("autoencoder"), epochs=4, device="cpu")
    out = tmp_path_factory.mktemp("autoencoder")
    result = Trainer(build_template("autoencoder"), load_data("builtin:digits28"), settings,
                     out_dir=out).run()
    assert result.checkpoint is not None
    return Path(result.checkpoint)


def test_try_it_shows_the_drawing_beside_its_reconstruction(
        qtbot, autoencoder_checkpoint: Path) -> None:
    tryit = TryItPanel()
    qtbot.addWidget(tryit)
    tryit.set_model(autoencoder_checkpoint)
    tryit.show()
    panel = tryit.image_panel
    assert tryit.kind() == "image" and panel.reconstructs()
    assert "reconstructed" in tryit.header.text()
    assert panel.output_preview.isVisible() and not panel.bars.isVisible()
    assert not panel.saliency_box.isVisible()
    assert "reconstruction appears" in panel.message.text()

    with qtbot.waitSignal(panel.reconstructed, timeout=3000) as blocker:
        qtbot.mousePress(panel.pad, Qt.MouseButton.LeftButton, pos=QPoint(*map(round, BAR[0])))
        for point in BAR[1:]:
            move(panel.pad, point)
        qtbot.mouseRelease(panel.pad, Qt.MouseButton.LeftButton,
                           pos=QPoint(*map(round, BAR[-1])))
    shown = blocker.args[0]
    assert shown.input.shape == shown.output.shape == (28, 28, 1)
    assert np.allclose(shown.input, panel.last_input.picture)
    stroke = shown.output[4:24, 12:16].mean()
    assert stroke > shown.output[:, :6].mean() + 0.2  # the bar comes back where it was drawn
    assert panel.certainty.text().startswith("error (MSE) ")
    assert panel.output_preview._image is not None

    with qtbot.waitSignal(panel.reconstructed, timeout=2000) as blocker:
        qtbot.mouseClick(panel.clear_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0] is None and panel.output_preview._image is None


def test_the_settings_form_offers_the_input_itself_as_the_target(qtbot) -> None:
    form = SettingsForm()
    qtbot.addWidget(form)
    box = form.fields["target"]
    assert form.settings().target == "labels"
    with qtbot.waitSignal(form.changed):
        box.setCurrentIndex(box.findData("input"))
    assert box.currentText() == "The input itself (autoencoder)"
    assert form.settings().target == "input"
    form.set_settings(defaults_for_template("mlp"))
    assert box.currentData() == "labels"
    form.set_settings(defaults_for_template("autoencoder"))
    assert box.currentData() == "input"


def _problems(window) -> list[str]:
    problems = window.problems_panel.list
    return [problems.item(i).text() for i in range(problems.count())]


def test_choosing_the_input_as_target_checks_the_output_against_the_input(gui, qtbot) -> None:
    window, ui = gui
    window.files.new_from_template("mlp")  # its data, builtin:digits28, loads by itself
    qtbot.waitUntil(lambda: window.document.data_facts is not None)
    assert not window.document.report.errors
    output = window.document.graph.nodes_of_type("Output")[0]
    box = ui.panel.form.fields["target"]
    box.setCurrentIndex(box.findData("input"))
    expected = (f'Output "{output.name}" uses cross_entropy, which needs classes, but the '
                "target is the input itself (1×28×28 images): use mse, l1, huber or "
                "binary_cross_entropy")
    qtbot.waitUntil(lambda: expected in _problems(window))
    box.setCurrentIndex(box.findData("labels"))
    qtbot.waitUntil(lambda: not window.document.report.errors)

    window.files.new_from_template("autoencoder")  # its defaults say target: the input
    qtbot.waitUntil(lambda: window.document.data_facts is not None)
    assert box.currentData() == "input" and window.document.data_facts.reconstruction
    assert not window.document.report.errors
