"""The download dialog counts megabytes as the weights' description does: VGG16's file
(553,433,881 bytes, "528 MB") ends at "527.8 of 527.8 MB", not "553.4"."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QWidget

from dlstudio.ui.byom.pretrained_fetch import PretrainedFetch
from dlstudio.weights import pretrained_entry

VGG16_BYTES = 553_433_881


def test_the_progress_speaks_the_description_s_megabytes(qtbot, tmp_path: Path,
                                                          monkeypatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    parent = QWidget()
    qtbot.addWidget(parent)
    about = pretrained_entry("vgg16").description
    fetch = PretrainedFetch("vgg16", about, parent)
    assert "528 MB" in fetch.dialog.labelText()
    fetch.relay.progressed.connect(fetch._on_progressed)
    fetch.relay.progressed.emit(VGG16_BYTES // 2, VGG16_BYTES)
    assert fetch.dialog.labelText().endswith("263.9 of 527.8 MB")
    assert fetch.dialog.value() == 500
    fetch.dialog.reset()
