"""The template gallery by keyboard alone: arrows pick a template, Tab reaches "Start
from ImageNet weights" before Create (Space on Create would skip it), Enter creates."""

from __future__ import annotations

from PySide6.QtCore import Qt

from dlstudio.ui.gallery import TemplateGallery


def test_tab_reaches_the_imagenet_checkbox_before_create(qtbot) -> None:
    gallery = TemplateGallery()
    qtbot.addWidget(gallery)
    gallery.show()
    qtbot.waitExposed(gallery)
    gallery.list.setFocus()
    gallery.select("vgg16-transfer")

    qtbot.keyClick(gallery.list, Qt.Key.Key_Tab)
    assert gallery.focusWidget() is gallery.pretrained
    qtbot.keyClick(gallery.pretrained, Qt.Key.Key_Space)
    assert gallery.starts_pretrained()
    qtbot.keyClick(gallery.pretrained, Qt.Key.Key_Tab)
    assert gallery.focusWidget().text() == "Create"
    qtbot.keyClick(gallery.focusWidget(), Qt.Key.Key_Return)
    assert gallery.result() == TemplateGallery.DialogCode.Accepted
    assert gallery.selected_name() == "vgg16-transfer" and gallery.starts_pretrained()
