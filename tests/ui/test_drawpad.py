"""The drawing pad, driven by mouse events, with a trained digit classifier behind it."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QFileDialog

from dlstudio.data import load_data
from dlstudio.graph.templates.builder import Builder
from dlstudio.train import Trainer, TrainSettings
from dlstudio.ui.tryit import DrawingPad, ImageTryPanel, TryItPanel

from ..data.bad_files import bomb_png  # noqa: TID252 (tests is no package)

Points = list[tuple[float, float]]
CIRCLE: Points = [(140 + 50 * np.cos(t), 140 + 85 * np.sin(t))
                  for t in np.linspace(-np.pi / 2, 3 * np.pi / 2, 60)]
BAR: Points = [(150.0, y) for y in range(55, 230, 5)]  # a "1"
# A small 7 in the top-left corner: the model must still see it centred and 20 px tall.
SEVEN: Points = [(20 + x, 20.0) for x in range(0, 90, 6)] + \
                [(110 - 4.5 * k, 20 + 9 * k) for k in range(1, 15)]


@pytest.fixture(scope="session")
def digit_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small convnet trained on the built-in 28×28 digits by the real trainer."""
    b = Builder()
    b.add("Input", "image", kind="image", shape=(1, 28, 28))
    b.add("Conv2d", "conv1", filters=8, kernel_size=3)
    b.add("ReLU", "relu1")
    b.add("MaxPool2d", "pool1", kernel_size=2)
    b.add("Flatten", "flatten")
    b.add("Dense", "fc", units=10)
    b.classifier_end()
    settings = TrainSettings(epochs=3, batch_size=32, lr=3e-3, device="cpu")
    out = tmp_path_factory.mktemp("digits-model")
    result = Trainer(b.graph, load_data("builtin:digits28"), settings, out_dir=out).run()
    assert result.checkpoint is not None and result.final["accuracy"] > 0.85
    return Path(result.checkpoint)


@pytest.fixture
def panel(qtbot, digit_checkpoint: Path) -> Iterator[ImageTryPanel]:
    tryit = TryItPanel()  # held here while the test runs: it owns the image panel
    qtbot.addWidget(tryit)
    tryit.set_model(digit_checkpoint)
    tryit.show()
    assert tryit.kind() == "image"
    yield tryit.image_panel


def press(pad: DrawingPad, point: tuple[float, float]) -> None:
    QApplication.sendEvent(pad, QMouseEvent(
        QEvent.Type.MouseButtonPress, QPointF(*point), pad.mapToGlobal(QPointF(*point)),
        Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))


def move(pad: DrawingPad, point: tuple[float, float]) -> None:
    """A drag step: the left button is held, as TESTING.md describes."""
    QApplication.sendEvent(pad, QMouseEvent(
        QEvent.Type.MouseMove, QPointF(*point), pad.mapToGlobal(QPointF(*point)),
        Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))


def stroke(qtbot, pad: DrawingPad, points: Points) -> None:
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(*map(round, points[0])))
    for point in points[1:]:
        move(pad, point)
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(*map(round, points[-1])))


def draw_and_wait(qtbot, panel: ImageTryPanel, points: Points) -> tuple[float, ...]:
    with qtbot.waitSignal(panel.predicted, timeout=2000) as blocker:
        stroke(qtbot, panel.pad, points)
    return blocker.args[0]


def test_strokes_leave_thick_antialiased_ink(qtbot) -> None:
    pad = DrawingPad()
    qtbot.addWidget(pad)
    stroke(qtbot, pad, [(40.0, 140.0), (140.0, 140.0), (240.0, 140.0)])
    ink = pad.ink()
    assert pad.stroke_count() == 1 and ink.shape == (280, 280)
    thickness = int((ink[:, 140] > 0.5).sum())
    assert abs(thickness - 280 / 12) <= 2
    assert ((ink > 0.05) & (ink < 0.95)).any()  # soft edges
    assert ink[140, 30] > 0.5 and ink[140, 250] > 0.5  # round caps past the ends
    assert ink[60, 140] == 0.0


def test_the_model_receives_the_drawing_centred_scaled_and_white_on_black(
        qtbot, panel: ImageTryPanel) -> None:
    draw_and_wait(qtbot, panel, SEVEN)
    sample = panel.last_input
    assert sample is not None
    picture = sample.picture[..., 0]
    rows = np.flatnonzero(picture.max(axis=1) > 0)
    cols = np.flatnonzero(picture.max(axis=0) > 0)
    assert rows[-1] - rows[0] + 1 == 20 and cols[-1] - cols[0] + 1 <= 20
    total = picture.sum()
    row = (np.arange(28)[:, None] * picture).sum() / total
    col = (np.arange(28)[None, :] * picture).sum() / total
    assert abs(row - 13.5) <= 1.0 and abs(col - 13.5) <= 1.0
    assert picture[0, 0] == 0.0 and picture.max() > 0.9  # light ink on a dark ground
    info = panel.predictor.info
    mean, std = info.normalisation.mean[0], info.normalisation.std[0]
    assert np.allclose(sample.tensor[0].numpy(), (picture - mean) / std, atol=1e-5)
    assert panel.preview.isVisible()


def test_probabilities_sum_to_one_and_follow_the_strokes(qtbot, panel: ImageTryPanel) -> None:
    first = draw_and_wait(qtbot, panel, BAR)
    assert len(first) == 10 and sum(first) == pytest.approx(1.0, abs=1e-6)
    assert panel.bars.probabilities() == first
    second = draw_and_wait(qtbot, panel, [(95.0, 70.0), (200.0, 70.0)])
    assert sum(second) == pytest.approx(1.0, abs=1e-6)
    assert max(abs(a - b) for a, b in zip(first, second, strict=True)) > 0.01
    assert panel.bars.top_index() == int(np.argmax(second))


def test_predictions_arrive_while_the_pen_is_still_down(qtbot, panel: ImageTryPanel) -> None:
    seen: list[tuple[float, ...]] = []
    panel.predicted.connect(seen.append)
    press(panel.pad, CIRCLE[0])
    for point in CIRCLE[1:30]:
        move(panel.pad, point)
        qtbot.wait(1)
    assert panel.pad.is_drawing()
    assert len(seen) >= 5 and all(len(p) == 10 for p in seen)


def test_drawn_digits_are_recognised(qtbot, panel: ImageTryPanel) -> None:
    shown = draw_and_wait(qtbot, panel, CIRCLE)
    assert panel.bars.names()[int(np.argmax(shown))] == "0"
    assert panel.guess.text() == "0"
    panel.pad.clear()
    shown = draw_and_wait(qtbot, panel, BAR)
    assert panel.bars.names()[int(np.argmax(shown))] == "1"


def test_undo_removes_the_last_stroke_and_clear_empties_the_pad(
        qtbot, panel: ImageTryPanel) -> None:
    draw_and_wait(qtbot, panel, BAR)
    after_one = panel.pad.ink()
    draw_and_wait(qtbot, panel, [(95.0, 70.0), (200.0, 70.0)])
    assert not np.array_equal(panel.pad.ink(), after_one)
    with qtbot.waitSignal(panel.predicted, timeout=2000):
        qtbot.mouseClick(panel.undo_button, Qt.MouseButton.LeftButton)
    assert np.array_equal(panel.pad.ink(), after_one)  # repainted exactly as drawn
    assert panel.pad.stroke_count() == 1
    with qtbot.waitSignal(panel.predicted, timeout=2000) as blocker:
        qtbot.mouseClick(panel.clear_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0] == ()
    assert panel.pad.is_empty() and panel.pad.ink().max() == 0.0
    assert panel.bars.probabilities() == () and panel.last_input is None
    assert "Draw something" in panel.message.text()
    assert not panel.pad.undo_stroke()


def test_a_loaded_image_is_classified_like_a_drawing(
        qtbot, panel: ImageTryPanel, tmp_path: Path) -> None:
    photo = Image.new("L", (120, 160), 235)  # a dark "1" on light paper
    ImageDraw.Draw(photo).line([(62, 20), (62, 140)], fill=20, width=14)
    path = tmp_path / "one.png"
    photo.save(path)
    with qtbot.waitSignal(panel.predicted, timeout=2000) as blocker:
        panel.load_image(path)
    shown = blocker.args[0]
    assert sum(shown) == pytest.approx(1.0, abs=1e-6)
    assert panel.bars.names()[int(np.argmax(shown))] == "1"
    assert not panel.pad.is_empty() and panel.pad.stroke_count() == 0

    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    panel.load_image(broken)
    assert "broken.png" in panel.message.text()
    assert not panel.pad.is_empty()  # the previous picture stays


def test_a_decompression_bomb_is_refused_in_one_line(
        qtbot, panel: ImageTryPanel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """~110 KB that would decode to 900 million pixels, picked with the Load button: one
    line naming the file and the limit, no Pillow warning, the drawing kept."""
    draw_and_wait(qtbot, panel, BAR)
    bomb = tmp_path / "<i>bomb.png"  # markup in a name shows as written
    bomb.write_bytes(bomb_png())
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_args: (str(bomb), ""))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        qtbot.mouseClick(panel.load_button, Qt.MouseButton.LeftButton)
    shown = panel.message.text()
    assert panel.message.isVisible() and "\n" not in shown and "<br" not in shown
    assert "&lt;i&gt;bomb.png" in shown and "30000×30000" in shown
    assert f"{Image.MAX_IMAGE_PIXELS:,}-pixel limit" in shown
    assert panel.pad.stroke_count() == 1  # the drawing stays


def test_saliency_overlay_shows_when_the_pen_lifts(qtbot, panel: ImageTryPanel) -> None:
    panel.saliency_box.setChecked(True)
    draw_and_wait(qtbot, panel, CIRCLE)
    assert panel.pad.has_overlay()
    press(panel.pad, (60.0, 60.0))
    with qtbot.waitSignal(panel.predicted, timeout=2000):
        move(panel.pad, (80.0, 80.0))
    assert not panel.pad.has_overlay()  # stale while drawing
    with qtbot.waitSignal(panel.predicted, timeout=2000):
        qtbot.mouseRelease(panel.pad, Qt.MouseButton.LeftButton, pos=QPoint(80, 80))
    assert panel.pad.has_overlay()
    panel.method_box.setCurrentText("Occlusion")
    assert panel.pad.has_overlay()
    panel.saliency_box.setChecked(False)
    assert not panel.pad.has_overlay()


def test_an_empty_pad_asks_for_a_drawing(panel: ImageTryPanel) -> None:
    assert panel.pad.is_empty()
    assert "Draw something" in panel.message.text()
    assert panel.bars.probabilities() == ()
    assert panel.pad.grab().size().width() == 280  # paints without a drawing
