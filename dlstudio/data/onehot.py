"""Targets written as several columns: one-hot classes, or several numbers to regress.

`csv:FILE:A,B,C` names the target columns (comma separated). Columns of 0 and 1 with
exactly one 1 per row are one-hot classes: the class is the column holding the 1, and the
column names are the class names, in the order given. Without a target the last columns
of a table with a header are taken as one-hot classes when that reading is unambiguous.
Other numbers in several columns are a regression with one output per column.
"""

from __future__ import annotations

from pathlib import Path

import torch

from dlstudio.data.errors import DataError

ONE_HOT_CELLS = {"0": 0, "1": 1, "0.0": 0, "1.0": 1}
MIN_CLASSES = 2


def one_hot_tail(names: list[str], body: list[list[str]], header: bool) -> int:
    """How many trailing columns read as one-hot classes (0: none).

    Only with a header (the class names), with at least one feature column left, and only
    when exactly one count of trailing columns has a single 1 on every row (a column of
    zeros before them would make two readings possible)."""
    if not header:
        return 0
    counts = []
    for k in range(MIN_CLASSES, len(names)):
        columns = list(range(len(names) - k, len(names)))
        if not all(_cell(row[c]) is not None for row in body for c in columns):
            break
        if all(sum(_cell(row[c]) or 0 for c in columns) == 1 for row in body):
            counts.append(k)
    return counts[0] if len(counts) == 1 else 0


def is_one_hot(body: list[list[str]], columns: list[int]) -> bool:
    """Every cell of `columns` is 0 or 1 (rows with no 1 or several are refused later)."""
    return all(_cell(row[c]) is not None for row in body for c in columns)


def one_hot_targets(path: Path, names: list[str], body: list[list[str]], columns: list[int],
                    first_line: int) -> tuple[torch.Tensor, tuple[str, ...]]:
    """(class ids, class names) from one-hot `columns`; a row without exactly one 1 is
    refused, naming the row."""
    targets = []
    shown = ", ".join(repr(names[c]) for c in columns)
    for line, row in enumerate(body, first_line):
        ones = [c for c in columns if _cell(row[c]) == 1]
        if len(ones) != 1:
            held = "no 1" if not ones else (f"{len(ones)} 1s (in "
                                             + " and ".join(repr(names[c]) for c in ones) + ")")
            raise DataError(f"{path} row {line}: the one-hot target columns {shown} hold "
                            f"{held}; exactly one must be 1")
        targets.append(columns.index(ones[0]))
    return torch.tensor(targets, dtype=torch.int64), tuple(names[c] for c in columns)


def _cell(text: str) -> int | None:
    return ONE_HOT_CELLS.get(text.strip())
