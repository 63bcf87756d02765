"""The data panel (every source, the preview, the download with progress and cancel)
and the settings form (every engine option, the device chooser)."""

from __future__ import annotations

import gzip
import hashlib
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QValidator

from dlstudio.data import DataError
from dlstudio.data.download import FILES
from dlstudio.train import TrainSettings, TrainSettingsError
from dlstudio.ui.training.data_panel import DataPanel
from dlstudio.ui.training.settings_form import ScientificSpinBox, SettingsForm


# ----- settings form -------------------------------------------------------------------
def test_the_form_has_a_field_for_every_engine_setting(qtbot) -> None:
    form = SettingsForm()
    qtbot.addWidget(form)
    assert set(form.fields) == set(TrainSettings().to_dict()) - {"data"}


def test_settings_round_trip_through_the_form(qtbot) -> None:
    form = SettingsForm()
    qtbot.addWidget(form)
    wanted = TrainSettings(epochs=7, batch_size=16, lr=0.0003, optimizer="sgd",
                           momentum=0.8, nesterov=True, weight_decay=1e-4, schedule="step",
                           step_size=3, gamma=0.5, early_stopping=True,
                           monitor="val_accuracy", patience=2, seed=42, loss="mse",
                           augment={"shift": 0.1, "rotation": 10.0}, val_fraction=0.2,
                           device="cpu", data="builtin:digits")
    form.set_settings(wanted)
    assert form.settings() == wanted
    assert form.fields["momentum"].isEnabled() and form.fields["step_size"].isEnabled()
    form.fields["optimizer"].setCurrentIndex(form.fields["optimizer"].findData("adam"))
    assert not form.fields["momentum"].isEnabled()  # SGD-only options grey out


def test_a_bad_combination_names_and_marks_the_field(qtbot) -> None:
    form = SettingsForm()
    qtbot.addWidget(form)
    form.set_settings(TrainSettings(optimizer="sgd", momentum=0.0))
    form.fields["nesterov"].setChecked(True)
    with pytest.raises(TrainSettingsError, match="nesterov"):
        form.settings()
    assert form.fields["nesterov"].styleSheet()
    form.fields["nesterov"].setChecked(False)
    assert form.settings().nesterov is False and not form.fields["nesterov"].styleSheet()


def test_the_device_chooser_lists_this_machine(qtbot) -> None:
    import torch

    form = SettingsForm()
    qtbot.addWidget(form)
    box = form.fields["device"]
    values = [box.itemData(i) for i in range(box.count())]
    assert values[0] == "auto" and "cpu" in values
    cuda = [v for v in values if v.startswith("cuda:")]
    assert len(cuda) == (torch.cuda.device_count() if torch.cuda.is_available() else 0)


def test_learning_rates_are_shown_plainly_and_step_by_doubling(qtbot) -> None:
    box = ScientificSpinBox(1e-8, 10.0)
    qtbot.addWidget(box)
    box.setValue(1e-5)
    assert box.text() == "1e-05"
    box.stepBy(1)
    assert box.value() == pytest.approx(2e-5)
    for typed in ("inf", "nan", "1e-3x"):  # never a learning rate
        assert box.validate(typed, len(typed))[0] == QValidator.State.Invalid
    assert box.validate("20", 2)[0] == QValidator.State.Intermediate  # above the range


# ----- data panel ----------------------------------------------------------------------
@pytest.fixture
def panel(qtbot) -> DataPanel:
    made = DataPanel()
    qtbot.addWidget(made)
    made.show()
    return made


def test_a_builtin_set_shows_samples_with_labels_and_the_class_balance(panel) -> None:
    panel.set_spec("builtin:digits28")
    bundle = panel.load()
    preview = panel.preview
    assert preview.images.shape == (32, 28, 28) and len(preview.labels) == 32
    assert len(panel.view.tiles) == 64  # a picture and its label per sample
    assert [name for name, _ in preview.class_counts] == [str(d) for d in range(10)]
    assert sum(c for _, c in preview.class_counts) == len(bundle.train)
    assert panel.view.balance.isVisible() and panel.view.bars is not None
    assert panel.load() is bundle  # the same choice is not loaded twice


def _write_idx(path: Path, array: np.ndarray) -> None:
    code = {np.dtype(np.uint8): 0x08}[array.dtype]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(gzip.compress(header + array.tobytes()))


def _idx_files(count: int = 60) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, size=(count, 28, 28)).astype(np.uint8)
    labels = (np.arange(count) % 10).astype(np.uint8)
    return dict(zip(FILES, (images, labels, images[:20], labels[:20]), strict=True))


def test_an_idx_folder_loads_at_the_inputs_size_and_channels(panel, tmp_path) -> None:
    for name, array in _idx_files().items():
        _write_idx(tmp_path / name, array)
    panel.set_spec(f"idx:{tmp_path}")
    panel.set_graph_input((3, 32, 32), "image")
    bundle = panel.load()
    assert bundle.info.input_shape == (3, 32, 32)
    assert panel.preview.images.shape == (32, 32, 32, 3)
    panel.fit_input.setChecked(False)
    assert panel.load().info.input_shape == (1, 28, 28)


def test_a_csv_file_shows_its_first_rows(panel, tmp_path) -> None:
    rows = ["width,height,kind"] + [f"{i},{i * 2},{'big' if i > 10 else 'small'}"
                                     for i in range(20)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    panel.source.setCurrentIndex(panel.source.findData("csv"))
    panel.csv.set_path(str(tmp_path / "t.csv"))
    panel.csv_column.setText("kind")
    assert panel.spec() == f"csv:{tmp_path / 't.csv'}:kind"
    panel.load()
    table = panel.view.table
    assert panel.view.samples.currentWidget() is table
    headers = [table.horizontalHeaderItem(i).text() for i in range(table.columnCount())]
    assert headers == ["width", "height", "target"] and table.rowCount() == 10
    assert dict(panel.preview.class_counts).keys() == {"big", "small"}


def test_an_image_folder_counts_its_classes_without_reading_every_file(panel, tmp_path
                                                                      ) -> None:
    for label, count in (("cat", 6), ("dog", 9)):
        (tmp_path / label).mkdir()
        for i in range(count):
            Image.new("RGB", (12, 10), (i * 20, 0, 0)).save(tmp_path / label / f"{i}.png")
    panel.set_spec(f"folder:{tmp_path}")
    bundle = panel.load()
    assert panel.preview.images.shape[1:] == (10, 12, 3)
    assert sum(c for _, c in panel.preview.class_counts) == len(bundle.train)


def test_a_missing_folder_is_named_in_the_panel(panel, tmp_path) -> None:
    panel.set_spec(f"idx:{tmp_path / 'nowhere'}")
    with pytest.raises(DataError):
        panel.load()
    assert "nowhere" in panel.status.text() and panel.status.styleSheet()
    panel.set_spec("folder:")
    with pytest.raises(DataError, match="missing"):
        panel.load()


class SlowServer(ThreadingHTTPServer):
    """Serves the fake MNIST files, `delay` seconds per 4 KB (to test Cancel)."""

    def __init__(self, files: dict[str, bytes]) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.files, self.delay = files, 0.0


class Handler(BaseHTTPRequestHandler):
    server: SlowServer

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        data = self.server.files.get(self.path.lstrip("/"))
        if data is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        for start in range(0, len(data), 4096):
            time.sleep(self.server.delay)
            self.wfile.write(data[start:start + 4096])

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[SlowServer]:
    files = {}
    for name, array in _idx_files(400).items():
        header = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
        files[name] = gzip.compress(header + array.tobytes(), compresslevel=0)
    httpd = SlowServer(files)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _download_options(server: SlowServer, folder: Path) -> dict:
    sums = {name: hashlib.sha256(data).hexdigest() for name, data in server.files.items()}
    return {"base_url": f"http://127.0.0.1:{server.server_address[1]}/",
            "checksums": sums, "cache_dir": folder}


def test_download_shows_progress_then_previews_the_set(panel, qtbot, server, tmp_path
                                                       ) -> None:
    panel.source.setCurrentIndex(panel.source.findData("download"))
    box = panel.download
    box.options = _download_options(server, tmp_path)
    values: list[int] = []
    box.bar.valueChanged.connect(values.append)
    with qtbot.waitSignal(panel.loaded, timeout=20_000):
        qtbot.mouseClick(box.start_button, Qt.MouseButton.LeftButton)
    assert panel.spec() == f"idx:{tmp_path / 'mnist'}" and box.bar.value() == 1000
    assert len(values) > 2 and values == sorted(values)
    assert len(panel.bundle.train) + len(panel.bundle.val) == 400
    qtbot.waitUntil(lambda: box.job is None)
    assert box.start_button.isEnabled() and not box.cancel_button.isEnabled()


def test_cancel_stops_the_download_and_keeps_the_panel_usable(panel, qtbot, server,
                                                              tmp_path) -> None:
    server.delay = 0.01
    panel.source.setCurrentIndex(panel.source.findData("download"))
    box = panel.download
    box.options = _download_options(server, tmp_path)
    box.start()
    qtbot.waitUntil(lambda: box.bar.value() > 0, timeout=10_000)
    qtbot.mouseClick(box.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.job is None, timeout=10_000)
    assert "cancelled" in box.status.text() and box.folder() is None
    assert panel.spec() == "" and box.start_button.isEnabled()
    server.delay = 0.0
    with qtbot.waitSignal(box.finished, timeout=20_000):
        box.start()  # resumes from the part already fetched
    assert box.folder() == tmp_path / "mnist"


def test_template_defaults_fill_the_panel(qtbot) -> None:
    from dlstudio.train import defaults_for_template

    form = SettingsForm()
    qtbot.addWidget(form)
    settings = replace(defaults_for_template("lstm-text"), seed=3)
    form.set_settings(settings)
    assert form.settings() == settings and form.fields["grad_clip"].value() == 1.0


def test_the_progress_bar_names_the_batch_and_an_epochs_end(qtbot) -> None:
    from dlstudio.train import BatchStats, EpochStats
    from dlstudio.ui.training.controls import TrainingControls
    from dlstudio.ui.training.worker import Delivery, EpochReport

    controls = TrainingControls()
    qtbot.addWidget(controls)
    controls.begin(4)
    batch = BatchStats(1, 5, 10, 0.9, 0.01, 800.0, 0.5)
    assert controls.show_progress(Delivery([batch], [], []))
    assert controls.bar.text() == "Epoch 1/4 · batch 5/10 · 12%"
    assert "800 samples/s" in controls.detail.text()
    metrics = {"loss": 0.5}
    stats = EpochStats(1, 4, metrics, metrics, 0.01, 1.0, 800.0, 3.0, None, {})
    assert controls.show_progress(Delivery([], [EpochReport(stats, None)], []))
    assert controls.bar.text() == "Epoch 1/4 · 25%"


def test_the_time_left_goes_when_the_run_pauses_stops_or_ends(qtbot) -> None:
    from dlstudio.train import BatchStats, EpochStats
    from dlstudio.ui.training.controls import TrainingControls
    from dlstudio.ui.training.worker import Delivery, EpochReport

    controls = TrainingControls()
    qtbot.addWidget(controls)
    metrics = {"loss": 0.5}

    def epoch_and_batch(epoch: int) -> Delivery:  # an epoch's end is shown at once
        stats = EpochStats(epoch, 4, metrics, metrics, 0.01, 1.0, 800.0, 3.0, None, {})
        batch = BatchStats(epoch + 1, 5, 10, 0.9, 0.01, 800.0, 0.5)
        return Delivery([batch], [EpochReport(stats, None)], [])

    controls.set_state("starting")
    controls.begin(4)
    controls.set_state("running")
    assert controls.show_progress(epoch_and_batch(1))
    assert controls.detail.text() == "800 samples/s · about 2 s left"
    controls.set_state("paused")
    assert controls.detail.text() == "800 samples/s"
    assert controls.show_progress(epoch_and_batch(2))  # the batch in flight when paused
    assert "left" not in controls.detail.text() and "Epoch 3/4" in controls.bar.text()
    controls.set_state("running")
    assert controls.show_progress(epoch_and_batch(3))
    assert "left" in controls.detail.text()
    for state in ("stopping", "stopped"):
        controls.set_state(state)
        assert controls.detail.text() == "800 samples/s"
    controls.set_state("running")
    controls.show_progress(epoch_and_batch(3))
    controls.set_state("finished")
    assert "left" not in controls.detail.text()
