"""The data panel's CIFAR-10 and text-file sources and the CIFAR-10 download, used as a
user would: pick the source, type the path, press Load (or Download), read the preview."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from dlstudio.data.cifar import CLASS_NAMES
from dlstudio.data.download import ARCHIVES, CHUNK
from dlstudio.ui.training import download as download_ui
from dlstudio.ui.training.data_panel import DataPanel
from dlstudio.ui.training.path_picker import PathPicker

from ..data.cifar_files import cifar_files, cifar_tar_gz, write_cifar_folder  # noqa: TID252
from ..data.test_download import FileServer  # noqa: TID252 (tests is no package)


@pytest.fixture
def panel(qtbot) -> DataPanel:
    made = DataPanel()
    qtbot.addWidget(made)
    made.show()
    return made


def _choose(panel: DataPanel, scheme: str) -> None:
    panel.source.setCurrentIndex(panel.source.findData(scheme))
    assert panel.pages.currentIndex() == panel.source.currentIndex()


def _type_path(qtbot, picker: PathPicker, path: Path) -> None:
    picker.edit.setFocus()
    qtbot.keyClicks(picker.edit, str(path))
    qtbot.keyClick(picker.edit, Qt.Key.Key_Return)


def test_a_cifar_folder_previews_colour_photos_with_their_names(panel, qtbot,
                                                                tmp_path: Path) -> None:
    folder = write_cifar_folder(tmp_path / "cifar", per_batch=12, test=10)
    _choose(panel, "cifar10")
    specs: list[str] = []
    panel.spec_changed.connect(specs.append)
    _type_path(qtbot, panel.cifar10, folder)
    assert specs[-1] == f"cifar10:{folder}"
    panel.set_graph_input((3, 32, 32), "image")
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        qtbot.mouseClick(panel.load_button, Qt.MouseButton.LeftButton)
    preview = panel.preview
    assert preview.images.shape == (32, 32, 32, 3)  # colour thumbnails
    assert set(preview.labels) <= set(CLASS_NAMES) and len(set(preview.labels)) > 3
    assert preview.images[..., 0].mean() != pytest.approx(preview.images[..., 2].mean())
    tile = panel.view.tiles[0]
    assert tile.pixmap().width() == 40 and tile.toolTip().startswith("label: ")
    assert [name for name, _ in preview.class_counts] == list(CLASS_NAMES)
    assert "cifar10: 3×32×32 images, 10 classes" in panel.status.text()
    assert "10 test" in panel.status.text()


def test_a_bad_cifar_folder_is_named_in_red(panel, qtbot, tmp_path: Path) -> None:
    (tmp_path / "data_batch_1").write_bytes(b"not a pickle")
    _choose(panel, "cifar10")
    _type_path(qtbot, panel.cifar10, tmp_path)
    qtbot.mouseClick(panel.load_button, Qt.MouseButton.LeftButton)
    assert "data_batch_1: not a readable CIFAR-10 batch" in panel.status.text()
    assert panel.status.styleSheet() and panel.bundle is None


def test_a_text_file_previews_its_windows(panel, qtbot, tmp_path: Path) -> None:
    book = tmp_path / "book.txt"
    book.write_text("the cat sat on the mat. " * 40, encoding="utf-8")
    _choose(panel, "text")
    _type_path(qtbot, panel.text, book)
    assert panel.spec() == f"text:{book}"
    qtbot.mouseClick(panel.load_button, Qt.MouseButton.LeftButton)
    assert panel.bundle is not None, panel.status.text()
    preview = panel.preview
    assert preview.images is None and preview.columns == ["input", "target"]
    assert "the cat sat" in "".join(row[0] for row in preview.rows)
    assert panel.view.samples.currentWidget() is panel.view.table


def test_specs_from_a_project_show_on_their_pages(panel, tmp_path: Path) -> None:
    panel.set_spec(f"cifar10:{tmp_path}")
    assert panel.source.currentData() == "cifar10" and panel.cifar10.path() == str(tmp_path)
    panel.set_spec(f"text:{tmp_path / 'a.txt'}")
    assert panel.source.currentData() == "text" and panel.spec() == f"text:{tmp_path / 'a.txt'}"
    assert not panel.cifar10.browse.isHidden() and panel.text.file_filter


@pytest.fixture
def server() -> Iterator[FileServer]:
    httpd = FileServer({ARCHIVES["cifar10"].file: cifar_tar_gz(cifar_files(per_batch=10))})
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_cifar10_downloads_with_progress_then_previews(panel, qtbot, server, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    monkeypatch.setattr(download_ui, "PROGRESS_SECONDS", 0.0)  # every chunk, not 20/s
    _choose(panel, "download")
    box = panel.download
    assert [box.family.itemText(i) for i in range(box.family.count())] == [
        "mnist", "fashion-mnist", "kmnist", "cifar10"]
    box.family.setCurrentIndex(box.family.findText("cifar10"))
    file = ARCHIVES["cifar10"].file
    box.options = {"base_url": server.url, "cache_dir": tmp_path,
                   "checksums": {file: hashlib.md5(server.files[file]).hexdigest()}}
    values: list[int] = []
    box.bar.valueChanged.connect(values.append)
    with qtbot.waitSignal(panel.loaded, timeout=20_000):
        qtbot.mouseClick(box.start_button, Qt.MouseButton.LeftButton)
    assert panel.spec() == f"cifar10:{tmp_path / 'cifar10'}" and box.bar.value() == 1000
    assert len(server.files[file]) > 3 * CHUNK  # so there is progress to see
    assert values == sorted(values) and len(values) > 2 and 0 < values[0] < 1000
    assert panel.preview.images.shape[-1] == 3 and panel.preview.labels[0] in CLASS_NAMES
    assert len(panel.bundle.test) == 30
    qtbot.waitUntil(lambda: box.job is None)
    assert box.start_button.isEnabled() and not box.cancel_button.isEnabled()


def test_a_wrong_md5_is_shown_and_nothing_loads(panel, qtbot, server, tmp_path: Path) -> None:
    _choose(panel, "download")
    box = panel.download
    box.family.setCurrentIndex(box.family.findText("cifar10"))
    box.options = {"base_url": server.url, "cache_dir": tmp_path}  # the published MD5
    box.start()
    qtbot.waitUntil(lambda: box.job is None, timeout=20_000)
    assert "MD5 is" in box.status.text() and "c58f30108f718f92721af3b95e74349a" in \
        box.status.text()
    assert panel.spec() == "" and panel.bundle is None
