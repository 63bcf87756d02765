"""The pieces that show one `Evaluation`: a strip of large metric numbers, a per-class
table, and adapters that feed the training dashboard's confusion and mistakes panels."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dlstudio.infer.evaluate import Evaluation
from dlstudio.train.events import EpochStats
from dlstudio.ui.training.dashboard.confusion import ConfusionPanel, readable_name
from dlstudio.ui.training.dashboard.mistakes import MistakesPanel
from dlstudio.ui.training.probe import Mistake, MistakeReport

# (metric key, heading, tooltip, shown as a percentage)
CLASSIFICATION = (
    ("loss", "Loss", "mean loss, as training computed it", False),
    ("accuracy", "Accuracy", "share of samples classified right", True),
    ("precision", "Precision", "macro average over the classes", True),
    ("recall", "Recall", "macro average over the classes", True),
    ("f1", "F1", "macro average over the classes", True),
)
REGRESSION = (
    ("loss", "Loss", "mean loss, as training computed it", False),
    ("mse", "MSE", "mean squared error", False),
    ("mae", "MAE", "mean absolute error", False),
    ("r2", "R²", "coefficient of determination (1 is a perfect fit)", False),
)
VALUE_PIXELS = 26


def format_metric(value: float, percent: bool) -> str:
    if not math.isfinite(value):
        return "–"
    return f"{value:.1%}" if percent else f"{value:.4g}"


class MetricCard(QFrame):
    """One number in large type over its name."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.value = QLabel("–")
        font = QFont()
        font.setPixelSize(VALUE_PIXELS)
        font.setBold(True)
        self.value.setFont(font)
        self.name = QLabel()
        for label in (self.value, self.name):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(0)
        layout.addWidget(self.value)
        layout.addWidget(self.name)

    def show_metric(self, name: str, value: str, tooltip: str) -> None:
        self.name.setText(name)
        self.value.setText(value)
        self.setToolTip(tooltip)


class MetricsStrip(QWidget):
    """Loss and the task's metrics side by side, in large readable text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cards = [MetricCard() for _ in CLASSIFICATION]
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for card in self.cards:
            layout.addWidget(card, 1)
        self.clear()

    def clear(self) -> None:
        for card, (_, name, tooltip, _) in zip(self.cards, CLASSIFICATION, strict=True):
            card.show_metric(name, "–", tooltip)

    def show_evaluation(self, result: Evaluation) -> None:
        rows = CLASSIFICATION if result.task == "classification" else REGRESSION
        for index, card in enumerate(self.cards):
            card.setVisible(index < len(rows))
            if index < len(rows):
                key, name, tooltip, percent = rows[index]
                card.show_metric(name, format_metric(result.metrics.get(key, math.nan),
                                                     percent), tooltip)

    def text(self) -> str:
        """What the strip shows, e.g. 'Loss 0.536 · Accuracy 86.3% · …'."""
        return " · ".join(f"{card.name.text()} {card.value.text()}" for card in self.cards
                          if not card.isHidden())


class ClassTable(QTableWidget):
    """Precision, recall, F1 and support of every class."""

    HEADINGS = ("class", "precision", "recall", "F1", "n")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(self.HEADINGS), parent)
        self.setHorizontalHeaderLabels(list(self.HEADINGS))
        self.horizontalHeaderItem(4).setToolTip("samples of the class in the split")
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setDefaultSectionSize(22)
        self.setMinimumWidth(280)

    def show_evaluation(self, result: Evaluation) -> None:
        self.setRowCount(len(result.per_class))
        for row, entry in enumerate(result.per_class):
            cells = (readable_name(entry.name), format_metric(entry.precision, True),
                     format_metric(entry.recall, True), format_metric(entry.f1, True),
                     f"{entry.support:,}")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.setItem(row, column, item)


def show_confusion(panel: ConfusionPanel, result: Evaluation) -> None:
    """The dashboard's heat map fed an evaluation's matrix, with its own caption."""
    panel.reset(result.class_names)
    if not result.confusion:
        return
    panel.set_matrix(result.confusion, 0)
    panel.plot.setTitle(f"Confusion matrix ({result.split_name})")
    correct = sum(result.confusion[i][i] for i in range(len(result.confusion)))
    panel.caption.setText(f"{correct:,} of {_counted(result)} right. Colour = share of "
                          "the true class.")


def show_history_epoch(confusion: ConfusionPanel, mistakes: MistakesPanel,
                       class_names: tuple[str, ...], stats: EpochStats | None,
                       epoch: int) -> str:
    """An epoch whose weights were not kept: its validation confusion matrix from the
    run's history (class numbers until the run has been evaluated once); the line to
    show in the status."""
    matrix = stats.confusion if stats is not None else None
    names = class_names or tuple(str(i) for i in range(len(matrix or ())))
    confusion.reset(names)
    mistakes.reset(classification=True)
    mistakes.caption.setText(f"No weights were kept for epoch {epoch}: its mistakes "
                             "cannot be shown.")
    if matrix:
        confusion.set_matrix(matrix, epoch)
        confusion.plot.setTitle(f"Confusion matrix (epoch {epoch})")  # from the history
    val = stats.val if stats is not None else {}
    numbers = ", ".join(f"{k} {v:.4g}" for k, v in (val or {}).items() if v is not None)
    return (f"No weights were kept for epoch {epoch} (set 'Checkpoint every' to keep "
            f"them), so it cannot be evaluated here. From the run's history: validation "
            f"{numbers or 'not measured'}.")


def _predictions(result: Evaluation) -> int:
    """How many predictions the confusion matrix counts: one per sample, or one per
    step of each sample for a per-step model (char-rnn: one per character)."""
    return sum(sum(row) for row in result.confusion)


def _counted(result: Evaluation) -> str:
    """"1,269 validation samples", or for a per-step model "50,760 validation
    predictions (1,269 samples × 40 steps)"."""
    predictions = _predictions(result)
    if not result.samples or predictions in (0, result.samples):
        return f"{result.samples:,} {result.split_name} samples"
    steps = predictions // result.samples
    return (f"{predictions:,} {result.split_name} predictions ({result.samples:,} samples "
            f"× {steps:,} steps)")


def show_mistakes(panel: MistakesPanel, result: Evaluation) -> None:
    """The dashboard's mistake grid fed an evaluation's wrong predictions."""
    panel.reset(classification=result.task == "classification")
    if result.task != "classification":
        return
    mistakes = tuple(Mistake(m.index, m.true, m.predicted, m.confidence, m.image, m.text)
                     for m in result.mistakes)
    panel.set_report(MistakeReport(0, result.samples, result.wrong, mistakes))
    for tile, mistake in zip(panel.tiles, mistakes, strict=True):
        tile.setToolTip(f"Sample {mistake.index} of the {result.split_name} data: truly "
                        f"{mistake.true}, predicted {mistake.predicted} with "
                        f"{mistake.confidence:.0%} confidence")
    shown = len(mistakes)
    if result.confusion and _predictions(result) not in (0, result.samples):
        panel.caption.setText("A per-step model: its mistakes are counted in the "
                              "confusion matrix, one per step, not pictured here.")
        return
    more = f"; the first {shown} are shown" if shown < result.wrong else ""
    panel.caption.setText(f"{result.wrong:,} of {result.samples:,} {result.split_name} "
                          f"samples are wrong{more}.")
