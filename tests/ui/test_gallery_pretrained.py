"""The template gallery's "Start from ImageNet weights": offered for the templates with
published weights only; checked, the new project trains from them with ImageNet's
normalisation. Nothing is downloaded here (that happens when a run starts)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from dlstudio.ui.byom.pretrained_fetch import ensure_pretrained
from dlstudio.ui.gallery import TemplateGallery
from dlstudio.weights import cached_path, pretrained_names


def test_the_checkbox_follows_the_chosen_template(qtbot) -> None:
    gallery = TemplateGallery()
    qtbot.addWidget(gallery)
    gallery.show()
    qtbot.waitExposed(gallery)
    gallery.select("mlp")
    assert not gallery.pretrained.isEnabled()
    gallery.select("resnet18")
    assert gallery.pretrained.isEnabled()
    qtbot.mouseClick(gallery.pretrained, Qt.MouseButton.LeftButton)
    assert gallery.starts_pretrained()
    gallery.select("cnn-small")  # still ticked, but it does not apply here
    assert gallery.pretrained.isChecked() and not gallery.starts_pretrained()
    assert set(pretrained_names()) == {"vgg16", "vgg16-transfer", "resnet18"}


def test_a_pretrained_template_starts_from_imagenet_weights(gui, qtbot) -> None:
    window, ui = gui

    def pick() -> None:
        gallery = QApplication.activeModalWidget()
        assert isinstance(gallery, TemplateGallery)
        gallery.select("vgg16-transfer")
        qtbot.mouseClick(gallery.pretrained, Qt.MouseButton.LeftButton)
        ok = gallery.buttons.button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    QTimer.singleShot(50, pick)
    window.action_map["new_from_template"].trigger()

    training = window.document.project.training
    assert training["weights"] == "pretrained:vgg16-transfer"
    assert training["normalisation"] == "imagenet"
    settings = ui.panel.form.settings()
    assert (settings.weights, settings.normalisation) == ("pretrained:vgg16-transfer",
                                                          "imagenet")
    assert ui.panel.form.start.label.text() == "ImageNet (pretrained vgg16-transfer)"
    assert not window.document.is_modified()  # a new project, as any template


def test_without_the_checkbox_the_template_starts_from_random_weights(gui) -> None:
    window, ui = gui
    window.files.new_from_template("vgg16")
    assert ui.panel.form.settings().weights == ""
    assert ui.panel.form.start.label.text() == "Random initial weights"


def test_weights_already_in_the_cache_need_no_download(qtbot, tmp_path: Path,
                                                       monkeypatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    from PySide6.QtWidgets import QWidget

    parent = QWidget()
    qtbot.addWidget(parent)
    assert ensure_pretrained(parent, "") == ""
    assert ensure_pretrained(parent, "mine.pt") == ""
    cached = cached_path("resnet18")
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"weights")
    assert ensure_pretrained(parent, "pretrained:resnet18") == ""
    assert "no published weights" in ensure_pretrained(parent, "pretrained:lenet5")


def test_a_download_that_fails_its_check_is_one_line_and_keeps_nothing(
        qtbot, tmp_path: Path, monkeypatch) -> None:
    """The fetch dialog, fed from a local folder (no network): a file whose hash does not
    match the published one is refused, and nothing lands in the cache."""
    from PySide6.QtWidgets import QWidget

    from dlstudio.weights import URL_VARIABLE, pretrained_entry

    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / pretrained_entry("resnet18").file).write_bytes(b"not the published file" * 999)
    monkeypatch.setenv(URL_VARIABLE, mirror.as_uri())
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    parent = QWidget()
    qtbot.addWidget(parent)
    problem = ensure_pretrained(parent, "pretrained:resnet18")
    assert "resnet18" in problem and "\n" not in problem
    assert not cached_path("resnet18").exists()
