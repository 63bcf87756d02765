"""The user guide's pictures of the Lessons panel, Try it's reconstruction and text
generation, and a run's test metrics, from a real window:
``python -m dlstudio.ui.feature_screenshots [FOLDER]`` (dlstudio/ui/screenshots.py takes
them too, after the workspaces).

Each is made as a user makes it: Help ▸ Lessons, Set up XOR and Train (step 1 ticks);
New from template ▸ autoencoder, Train, a 3 drawn on the pad; char-rnn trained for one
epoch, a prompt generated on at temperature 0.5; logistic-regression trained with a test
share of 0.2. Files: `<what>-<width>x<height>-light.png`.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from dlstudio.train import defaults_for_template
from dlstudio.ui.main_window import MainWindow
from dlstudio.ui.screenshots import (
    DEFAULT_FOLDER,
    _picture,
    _settle,
    _three,
    _wait,
    draw_on,
    scratch_window,
)
from dlstudio.ui.workbench import Workbench

RUN_SECONDS = 600


def _train(app: QApplication, bench: Workbench, template: str | None,
           **changes: object) -> None:
    """Train the open project with its template's settings changed by `changes`, or
    (no template) with the settings it has, as the Train button does."""
    training = bench.training
    if template is not None:
        training.panel.form.set_settings(replace(defaults_for_template(template),
                                                 **changes))
    if not training.session.train():
        raise RuntimeError(f"training did not start: {training.panel.notice.text()}")
    _wait(app, training.session.controller.run_ended, RUN_SECONDS)
    training.dashboard.draw()


def _new(window: MainWindow, template: str) -> None:
    """File ▸ New from template, without the unsaved-changes question (scratch work)."""
    window.document.undo_stack.setClean()
    if not window.files.new_from_template(template):
        raise RuntimeError(f"New from template {template} was refused")


def take_feature_screenshots(app: QApplication, window: MainWindow, bench: Workbench,
                             folder: Path) -> list[Path]:
    screen = window.screen().size()
    size = f"{screen.width()}x{screen.height()}"
    window.set_theme("light")
    saved: list[Path] = []

    def shoot(what: str) -> None:
        _settle(app, 1.0)
        path = folder / f"{what}-{size}-light.png"
        _picture(window).save(str(path))
        saved.append(path)

    window.document.undo_stack.setClean()  # Set up asks about unsaved work otherwise
    dock = window.show_lessons()
    lesson = dock.panel.lesson_by_id("xor")
    if lesson is None or not dock.set_up(lesson):
        raise RuntimeError("the XOR lesson could not be set up")
    window.show_workspace("train")
    _train(app, bench, None)  # the lesson's own settings: step 1 ticks
    window.show_workspace("design")
    shoot("lessons")
    dock.hide()

    _new(window, "autoencoder")
    window.show_workspace("train")
    _train(app, bench, "autoencoder", epochs=3)
    window.show_workspace("evaluate")
    _settle(app, 2.0)
    pad = bench.try_panel.image_panel.pad
    draw_on(pad, _three(pad.width()))
    shoot("tryit-reconstruction")

    _new(window, "char-rnn")
    window.show_workspace("train")
    _train(app, bench, "char-rnn", epochs=1)
    window.show_workspace("evaluate")
    _settle(app, 2.0)
    text = bench.try_panel.text_panel
    text.prompt.setPlainText("The ")
    text.temperature.setValue(0.5)
    QTest.mouseClick(text.generate_button, Qt.MouseButton.LeftButton)
    _wait(app, text.generated, 60)
    shoot("tryit-generate")

    _new(window, "logistic-regression")
    window.show_workspace("train")
    _train(app, bench, "logistic-regression", epochs=10, test_fraction=0.2)
    shoot("test-metrics")
    return saved


def main(folder: Path) -> list[Path]:
    with scratch_window(folder) as (app, window, bench, _scratch):
        window.status.wait_for_device()
        return take_feature_screenshots(app, window, bench, folder)


if __name__ == "__main__":
    for written in main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FOLDER):
        print(written)
