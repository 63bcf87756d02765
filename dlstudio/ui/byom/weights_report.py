"""The report of Load weights…: what a file's tensors would do to the network, before
the user agrees to train from them.

Counts first (what a user checks), then each list under its heading: loaded (and from
which tensor of the file), shapes that differ (the file's and the graph's), missing
from the file, unused in the file. VGG16's 32 tensors read at a glance.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dlstudio.graph.shape_text import format_shape
from dlstudio.weights import WeightMatch

COLUMNS = ("Tensor", "From the file", "Shape")
EXPANDED_ROWS = 40  # a longer list of loaded tensors starts folded (ResNet-18: 120)


def report_groups(match: WeightMatch) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """(heading, rows of (tensor, file tensor when named otherwise, shape text)) in the
    order shown: what did not load first, so it is seen without scrolling."""
    def source(key: str) -> str:
        theirs = match.sources.get(key, key)
        return "" if theirs == key else theirs

    loaded = [(key, source(key), format_shape(tuple(match.state[key].shape)))
              for key in match.loaded]
    differ = [(key, source(key), f"file {format_shape(theirs)} → graph {format_shape(ours)}")
              for key, theirs, ours in match.mismatched]
    return [
        (f"Shapes differ, left as initialised ({len(differ)})", differ),
        (f"Missing from the file ({len(match.missing)})",
         [(key, "", "") for key in match.missing]),
        (f"In the file, unused ({len(match.unexpected)})",
         [("", key, "") for key in match.unexpected]),
        (f"Loaded ({len(loaded)})", loaded),
    ]


class WeightsReportDialog(QDialog):
    """Shows a WeightMatch; accepting means "train from these weights"."""

    def __init__(self, match: WeightMatch, file_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Load weights: {file_name}")
        self.setObjectName("weights_report")
        self.resize(760, 560)
        layers = len({key.rsplit(".", 1)[0] for key in match.loaded})
        self.headline = QLabel(
            f"<b>{len(match.loaded)} tensors load into {layers} layers</b> from "
            f"{escape(file_name)} (matched by {match.by}).<br>"
            f"Loaded {len(match.loaded)} · shapes differ {len(match.mismatched)} · "
            f"missing {len(match.missing)} · unused {len(match.unexpected)}")
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = QLabel()
        self.note.setWordWrap(True)
        if match.new_layers:
            self.note.setText("New layers keep their fresh weights and learn from scratch: "
                              + ", ".join(match.new_layers))
        self.note.setVisible(bool(match.new_layers))
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        groups = report_groups(match)
        for heading, rows in groups:
            group = QTreeWidgetItem([heading])
            group.setFirstColumnSpanned(True)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            group.addChildren([QTreeWidgetItem(list(row)) for row in rows])
            self.tree.addTopLevelItem(group)
            group.setFirstColumnSpanned(True)
            group.setExpanded(0 < len(rows) <= EXPANDED_ROWS or heading.startswith("Shapes"))
            group.setDisabled(not rows)
        renamed = any(row[1] for _heading, rows in groups for row in rows)
        self.tree.setColumnHidden(1, not renamed)  # matched by name: the same names
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        footer = QLabel("Training starts from these weights; layers that did not load "
                        "start as initialised. The choice is kept in the project (Train ▸ "
                        "Settings ▸ Start from).")
        footer.setWordWrap(True)
        # Made in the dialog, so that setDefault() registers with it: Enter then means
        # "train" even after Tab has passed Cancel (with no parent yet, Cancel kept it).
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Train from these weights")
        ok.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.note)
        layout.addWidget(self.tree, 1)
        layout.addWidget(footer)
        layout.addWidget(self.buttons)
        self.tree.setFocus()

    def group_texts(self) -> list[str]:
        """The headings as shown (for tests)."""
        return [self.tree.topLevelItem(i).text(0) for i in range(self.tree.topLevelItemCount())]
