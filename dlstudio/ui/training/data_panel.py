"""Choose the data: a built-in set, an MNIST-family IDX folder, a CSV file, an image
folder, CIFAR-10's python batches, a text file, or a download of MNIST / Fashion-MNIST /
KMNIST / CIFAR-10 (with progress and cancel). A preview shows samples with their labels
(or the first table rows) and the class balance. Loading happens here, so Train can check
the data against the graph first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from dlstudio.data import DataBundle, DataError, builtin_description, builtin_names, load_data
from dlstudio.data.download import downloadable
from dlstudio.data.fit import facts_of
from dlstudio.graph.data_checks import DataFacts
from dlstudio.ui.theme import current_ui_colors, is_theme_change
from dlstudio.ui.training.download import DownloadBox
from dlstudio.ui.training.path_picker import PathPicker
from dlstudio.ui.training.preview import DataPreview, make_preview
from dlstudio.ui.training.preview_view import PreviewView

# (scheme, label); "download" fetches a set, then shows it as its own spec.
SOURCES = (("builtin", "Built-in set"), ("idx", "MNIST-family IDX folder"),
           ("csv", "CSV file"), ("folder", "Image folder"),
           ("cifar10", "CIFAR-10 (python batches)"), ("text", "Text file"),
           ("download", "Download MNIST / Fashion-MNIST / KMNIST / CIFAR-10"))
TEXT_SOURCES = ("csv", "text")  # no images: the Input-size box has nothing to do


class DataPanel(QWidget):
    """The data source, its options, its preview. `spec()` is the --data SPEC."""

    spec_changed = Signal(str)       # the choice changed (the loaded data is now stale)
    loaded = Signal(object)          # DataBundle
    facts_changed = Signal(object)   # DataFacts of the loaded choice, or None
    message = Signal(str)            # for the status bar

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bundle: DataBundle | None = None
        self._status_is_error = False  # the status line shows a load's error
        # (seed, validation share, test share) to split with; from the training settings.
        self.split_options: Callable[[], tuple[int, float, float]] = lambda: (0, 0.15, 0.0)
        self.preview: DataPreview | None = None
        self._loaded_key: tuple[Any, ...] | None = None
        self._input: tuple[tuple[int, ...], str] | None = None
        # What the loaded choice gives, for the design checks; it outlives a reload of
        # the same spec (a new split or Input size does not change the data's facts).
        self.facts: DataFacts | None = None
        self._facts_spec = ""
        self.source = QComboBox()
        for scheme, label in SOURCES:
            self.source.addItem(label, scheme)
        # The longest label ("Download MNIST / … / CIFAR-10") would widen the whole dock
        # past a 1366-pixel screen's; the open list still shows every label in full.
        self.source.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.source.setMinimumContentsLength(18)
        self.builtin = QComboBox()
        for name in builtin_names():
            self.builtin.addItem(name, name)
            self.builtin.setItemData(self.builtin.count() - 1, builtin_description(name),
                                     Qt.ItemDataRole.ToolTipRole)
        self.builtin_help = QLabel()
        self.builtin_help.setWordWrap(True)
        builtin_page = QWidget()
        builtin_layout = QVBoxLayout(builtin_page)
        builtin_layout.setContentsMargins(0, 0, 0, 0)
        builtin_layout.addWidget(self.builtin)
        builtin_layout.addWidget(self.builtin_help)
        self.idx = PathPicker("folder with train-images-idx3-ubyte(.gz) …")
        self.csv = PathPicker("table.csv", "CSV files (*.csv *.txt);;All files (*)",
                              "Choose a CSV file")
        self.csv_column = QLineEdit()
        self.csv_column.setPlaceholderText("target column (default: the last)")
        self.folder = PathPicker("folder with one sub-folder of images per class")
        self.cifar10 = PathPicker("folder with cifar-10-batches-py/ (or the batches), or "
                                  "cifar-10-python.tar.gz")
        self.text = PathPicker("any UTF-8 text, e.g. a book", "Text files (*.txt *.md);;"
                               "All files (*)", "Choose a text file")
        self.download = DownloadBox(downloadable())
        self.download.finished.connect(self._on_download_finished)
        self.download.message.connect(self.message)
        self.pages = QStackedWidget()
        csv_page = QWidget()
        csv_layout = QVBoxLayout(csv_page)
        csv_layout.setContentsMargins(0, 0, 0, 0)
        csv_layout.addWidget(self.csv)
        csv_layout.addWidget(self.csv_column)
        pages = {"builtin": builtin_page, "idx": self.idx, "csv": csv_page,
                 "folder": self.folder, "cifar10": self.cifar10, "text": self.text,
                 "download": self.download}
        for page in (pages[scheme] for scheme, _ in SOURCES):
            holder = QWidget()  # keeps each page at its natural height
            holder_layout = QVBoxLayout(holder)
            holder_layout.setContentsMargins(0, 0, 0, 0)
            holder_layout.addWidget(page)
            holder_layout.addStretch(1)
            self.pages.addWidget(holder)
        self.fit_input = QCheckBox("Load images at the Input's size and channels")
        self.fit_input.setChecked(True)
        self.fit_input.setToolTip("Resize and convert images (per batch) to what the "
                                  "graph's Input takes, e.g. 28×28 digits for a 224×224×3 "
                                  "VGG16")
        self.load_button = QPushButton("Load and preview")
        self.load_button.clicked.connect(self._on_load_clicked)
        self.status = QLabel("No data loaded yet.")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.view = PreviewView()
        form = QFormLayout()
        form.addRow("Source", self.source)
        form.addRow(self.pages)
        form.addRow(self.fit_input)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.load_button)
        layout.addWidget(self.status)
        layout.addWidget(self.view, 1)
        self.source.currentIndexChanged.connect(self._on_source_changed)
        self.builtin.currentIndexChanged.connect(self._on_builtin_current_index_changed)
        for picker in self._pickers().values():
            picker.edited.connect(self._on_choice_edited)
        self.csv_column.editingFinished.connect(self._on_choice_edited)
        self.fit_input.toggled.connect(self._on_choice_edited)

    # ----- the choice ----------------------------------------------------------------
    def _pickers(self) -> dict[str, PathPicker]:
        return {"idx": self.idx, "csv": self.csv, "folder": self.folder,
                "cifar10": self.cifar10, "text": self.text}

    def spec(self) -> str:
        """The chosen data as a spec ("" when a path is still missing)."""
        scheme = self.source.currentData()
        if scheme == "builtin":
            return f"builtin:{self.builtin.currentData()}"
        if scheme == "download":
            return self.download.spec()
        picker = self._pickers()[scheme]
        if not picker.path():
            return ""
        column = self.csv_column.text().strip()
        return f"{scheme}:{picker.path()}" + (f":{column}" if scheme == "csv" and column
                                              else "")

    def set_spec(self, spec: str) -> None:
        """Show a spec (from the project or the template's defaults); nothing loads yet."""
        scheme, _, rest = spec.partition(":")
        widgets = (self.source, self.builtin, self.csv_column,
                   *(picker.edit for picker in self._pickers().values()))
        for widget in widgets:
            widget.blockSignals(True)
        if scheme == "builtin" and self.builtin.findData(rest) >= 0:
            self.builtin.setCurrentIndex(self.builtin.findData(rest))
            self.builtin_help.setText(builtin_description(rest))
        elif scheme in ("idx", "folder", "cifar10", "text"):
            self._pickers()[scheme].set_path(rest)
        elif scheme == "csv":
            path, column = rest, ""
            if not Path(rest).expanduser().is_file() and ":" in rest:
                path, column = rest.rsplit(":", 1)
            self.csv.set_path(path)
            self.csv_column.setText(column)
        index = self.source.findData(scheme)
        self.source.setCurrentIndex(max(index, 0))
        self.pages.setCurrentIndex(self.source.currentIndex())
        self._show_fit_input()
        for widget in widgets:
            widget.blockSignals(False)
        self._forget()
        if self.spec() != self._facts_spec:
            self._set_facts(None, "")
        self._load_builtin_soon()

    def set_graph_input(self, shape: tuple[int, ...] | None, kind: str | None) -> None:
        """The graph's Input, so images can be loaded at its size and channels."""
        wanted = (tuple(shape), kind) if shape is not None and kind is not None else None
        if wanted != self._input:
            self._input = wanted
            self._forget()

    def _on_builtin_current_index_changed(self, index: int) -> None:
        self.builtin_help.setText(builtin_description(self.builtin.currentData()))
        self._on_choice_edited()

    def _on_source_changed(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        self._show_fit_input()
        self._on_choice_edited()

    def _show_fit_input(self) -> None:
        """The image-size box only where the source can hold images (not a table or
        a text)."""
        self.fit_input.setVisible(self.source.currentData() not in TEXT_SOURCES)

    def _on_choice_edited(self, *_: object) -> None:
        self._forget()
        self._set_facts(None, "")
        self.spec_changed.emit(self.spec())
        self._load_builtin_soon()

    def _load_builtin_soon(self) -> None:
        """A built-in set loads in a tenth of a second: load it as soon as it is chosen,
        so the graph is checked against it at design time (files wait for Load or Train:
        a folder of images can take a while)."""
        if self.spec().startswith("builtin:"):
            QTimer.singleShot(0, self, self._load_quietly)  # not after the panel is gone

    def _load_quietly(self) -> None:
        if self.spec().startswith("builtin:"):
            with contextlib.suppress(DataError):  # shown in the status line already
                self.load()

    def _set_facts(self, facts: DataFacts | None, spec: str) -> None:
        changed = facts != self.facts
        self.facts, self._facts_spec = facts, spec
        if changed:
            self.facts_changed.emit(facts)

    def _forget(self) -> None:
        if self.bundle is not None:
            self.status.setText("The choice changed: press Load, or Train, to load it.")
        self.bundle, self._loaded_key = None, None

    def _on_download_finished(self, folder: Path) -> None:
        self._on_choice_edited()
        with contextlib.suppress(DataError):
            self.load()

    # ----- loading -------------------------------------------------------------------
    def _image_options(self) -> dict[str, Any]:
        if not self.fit_input.isChecked() or self._input is None:
            return {}
        shape, kind = self._input
        if kind != "image" or len(shape) != 3:
            return {}
        return {"image_size": (shape[1], shape[2]), "channels": shape[0]}

    def _on_load_clicked(self) -> None:
        with contextlib.suppress(DataError):  # shown in the status line already
            self.load()

    def load(self) -> DataBundle:
        """Load the chosen data, split as `split_options()` says (the training settings'
        seed and validation share), or give the one already loaded with the same choice.
        DataError names the problem; it is also shown in the panel."""
        seed, val_fraction, test_fraction = self.split_options()
        spec = self.spec()
        options = self._image_options()
        key = (spec, seed, val_fraction, test_fraction, tuple(sorted(options.items())))
        if self.bundle is not None and key == self._loaded_key:
            return self.bundle
        if not spec:
            error = DataError("choose the data: a path is still missing")
            self._show_error(error)
            raise error
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            bundle = load_data(spec, seed=seed, val_fraction=val_fraction,
                               test_fraction=test_fraction, **options)
            preview = make_preview(bundle)
        except (DataError, ValueError) as error:
            wrapped = error if isinstance(error, DataError) else DataError(str(error))
            self._show_error(wrapped)
            raise wrapped from None
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.bundle, self.preview, self._loaded_key = bundle, preview, key
        self._status_is_error = False
        self._colour_status()
        self.status.setText(preview.summary)
        self.view.show_preview(preview)
        self._set_facts(facts_of(bundle.info, any_image_size=bool(options)), spec)
        self.loaded.emit(bundle)
        return bundle

    def _show_error(self, error: DataError) -> None:
        """The problem in red; the preview of the data loaded before goes, so it is not
        taken for the data that failed."""
        self.bundle, self.preview, self._loaded_key = None, None, None
        self.view.clear()
        self._status_is_error = True
        self._colour_status()
        self.status.setText(str(error))
        self.message.emit(str(error))

    def _colour_status(self) -> None:
        """An error in the theme's error colour (light red on the dark theme, where the
        light theme's dark red is hard to read)."""
        self.status.setStyleSheet(f"color: {current_ui_colors().error};"
                                  if self._status_is_error else "")

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        if is_theme_change(event):
            self._colour_status()

    def shutdown(self) -> None:
        """Cancel a download in progress and wait for its thread (closing the window)."""
        self.download.shutdown()

