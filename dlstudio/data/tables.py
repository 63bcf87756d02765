"""CSV tables (`csv:FILE[:TARGET_COLUMN]`): numeric feature columns and a target column.

A text target becomes class names (sorted). A numeric target is a class when it holds
whole numbers with few distinct values, else a regression target; `task` overrides the
guess. Several target columns (`csv:FILE:A,B,C`, or one-hot columns found at the end) are
one-hot classes or several numbers to regress (see `onehot`). Features are standardised
with the training split's mean and std.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import torch

from dlstudio.data.errors import LARGEST_VALUE, DataError
from dlstudio.data.info import DataInfo
from dlstudio.data.onehot import is_one_hot, one_hot_tail, one_hot_targets
from dlstudio.data.options import LoadOptions
from dlstudio.data.pipeline import BatchPipeline
from dlstudio.data.splits import DataBundle, in_memory_bundle

MAX_GUESSED_CLASSES = 20


def load_csv(path: str | Path, target: str | None = None, opts: LoadOptions | None = None,
             source: str | None = None) -> DataBundle:
    """The table in `path`; `target` is a column name or a 0-based index (negative counts
    from the end), the last column by default."""
    opts = opts or LoadOptions()
    path = Path(path)
    rows = _read_rows(path)
    header = _has_header(rows)
    names = rows[0] if header else [f"column {i + 1}" for i in range(len(rows[0]))]
    body = rows[1:] if header else rows
    if len(body) < 2:
        raise DataError(f"{path}: needs at least 2 data rows, found {len(body)}")
    columns = _target_columns(path, names, body, target, header, opts.task)
    first_line = 2 if header else 1
    features = [i for i in range(len(names)) if i not in columns]
    shown = ", ".join(repr(names[c]) for c in columns)
    if not features:
        raise DataError(f"{path}: no feature columns beside the target {shown}")
    x = torch.tensor([[_number(path, line, names[i], row[i]) for i in features]
                      for line, row in enumerate(body, first_line)], dtype=torch.float32)
    if len(columns) == 1:
        labels = [row[columns[0]].strip() for row in body]
        y, class_names = _targets(path, names[columns[0]], labels, opts.task, first_line)
    else:
        y, class_names = _several_targets(path, names, body, columns, opts.task, first_line)
    info = DataInfo(
        name=path.stem, kind="vector",
        task="classification" if class_names else "regression",
        input_shape=(len(features),),
        target_shape=() if class_names else (len(columns),),
        class_names=class_names, feature_names=tuple(names[i] for i in features),
        source=source or f"csv:{path}",
        description=f"{path.name}: {len(body)} rows, target {shown}"
                    + (" (one-hot)" if class_names and len(columns) > 1 else ""))
    return in_memory_bundle(x, y, info, BatchPipeline("vector"), seed=opts.seed,
                            val_fraction=opts.val_fraction, test_fraction=opts.test_fraction,
                            normalise=True)


def _read_rows(path: Path) -> list[list[str]]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"CSV file {path} does not exist") from None
    except OSError as error:
        raise DataError(f"cannot read CSV file {path}: {error}") from None
    # UTF-8 (with or without a BOM); UTF-16 when a BOM says so (Excel's "Unicode text")
    encoding = "utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        name = "UTF-16" if encoding == "utf-16" else "UTF-8"
        raise DataError(f"cannot read CSV file {path}: it is not {name} text (byte "
                        f"{error.object[error.start]:#04x} at offset {error.start}); "
                        "save it as UTF-8") from None
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:8192], ",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)  # quoted line breaks kept
    try:
        rows = [row for row in reader if any(c.strip() for c in row)]
    except csv.Error as error:  # a NUL byte, an over-long field, a stray quote
        raise DataError(f"{path} line {reader.line_num}: not readable as CSV "
                        f"({error})") from None
    if not rows:
        raise DataError(f"CSV file {path} is empty")
    width = len(rows[0])
    for line, row in enumerate(rows, 1):
        if len(row) != width:
            raise DataError(f"{path} row {line}: {len(row)} fields, but the first row has "
                            f"{width}")
    return rows


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _has_header(rows: list[list[str]]) -> bool:
    """A header row is all text, or has text where the next row has numbers."""
    first = [not _is_number(c) for c in rows[0]]
    if all(first) or len(rows) < 2:
        return all(first)
    return first != [not _is_number(c) for c in rows[1]]


def _target_index(path: Path, names: list[str], target: str | None, header: bool) -> int:
    if target is None or target == "":
        return len(names) - 1
    if target in names:
        return names.index(target)
    try:
        index = int(target)
    except ValueError:
        known = ", ".join(repr(n) for n in names) if header else "none: the file has no header"
        raise DataError(f"{path}: no column named {target!r} (columns: {known})") from None
    if not -len(names) <= index < len(names):
        raise DataError(f"{path}: column index {index} is out of range for "
                        f"{len(names)} columns")
    return index % len(names)


def _target_columns(path: Path, names: list[str], body: list[list[str]], target: str | None,
                    header: bool, task: str | None) -> list[int]:
    """The target's column indices: a name or index, a comma-separated list of them, or
    by default the one-hot columns at the end (when unambiguous) or the last column."""
    if target is None or target == "":
        count = one_hot_tail(names, body, header) if task != "regression" else 0
        return list(range(len(names) - count, len(names))) if count else [len(names) - 1]
    if target in names or "," not in target:
        return [_target_index(path, names, target, header)]
    columns = [_target_index(path, names, part.strip(), header) for part in target.split(",")]
    if len(set(columns)) != len(columns):
        raise DataError(f"{path}: the target {target!r} names a column twice")
    return columns


def _several_targets(path: Path, names: list[str], body: list[list[str]], columns: list[int],
                     task: str | None, first_line: int
                     ) -> tuple[torch.Tensor, tuple[str, ...]]:
    """One-hot columns as (class ids, class names); other numbers as (N, k) regression
    targets and no class names."""
    if task != "regression" and is_one_hot(body, columns):
        return one_hot_targets(path, names, body, columns, first_line)
    if task == "classification":
        raise DataError(f"{path}: several target columns make classes only when they hold "
                        "0 and 1, one 1 per row (one-hot); name one column of class labels "
                        "instead")
    values = [[_number(path, line, names[c], row[c]) for c in columns]
              for line, row in enumerate(body, first_line)]
    return torch.tensor(values, dtype=torch.float32), ()


def _number(path: Path, line: int, column: str, cell: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        what = "an empty cell" if not cell.strip() else f"{cell.strip()!r} is not a number"
        raise DataError(f"{path} row {line}, column {column!r}: {what}") from None
    if not math.isfinite(value):
        raise DataError(f"{path} row {line}, column {column!r}: {cell.strip()!r} is not a "
                        "finite number")
    if abs(value) > LARGEST_VALUE:
        raise DataError(f"{path} row {line}, column {column!r}: {cell.strip()!r} is beyond "
                        f"±{LARGEST_VALUE:g}, too large to train on in 32-bit floats")
    return value


def _targets(path: Path, column: str, labels: list[str], task: str | None,
             first_line: int) -> tuple[torch.Tensor, tuple[str, ...]]:
    """(class ids, class names) for classification, (float targets (N, 1), ()) else."""
    numeric = all(_is_number(v) for v in labels)
    if task == "regression" or (task is None and numeric and not _looks_like_classes(labels)):
        values = [_number(path, line, column, v) for line, v in enumerate(labels, first_line)]
        return torch.tensor(values, dtype=torch.float32).unsqueeze(1), ()
    if numeric:
        keys: list[float] | list[str] = [_number(path, line, column, v)
                                         for line, v in enumerate(labels, first_line)]
    else:
        if "" in labels:
            line = labels.index("") + first_line
            raise DataError(f"{path} row {line}, column {column!r}: the target is empty")
        keys = labels
    classes = sorted(set(keys))
    names = [_class_name(c) if isinstance(c, float) else c for c in classes]
    if len(classes) < 2:
        raise DataError(f"{path}: column {column!r} holds a single class "
                        f"({names[0]!r}); a classifier needs at least 2")
    index = {c: i for i, c in enumerate(classes)}
    return torch.tensor([index[k] for k in keys], dtype=torch.int64), tuple(names)


def _looks_like_classes(labels: list[str]) -> bool:
    values = {float(v) for v in labels}
    return (len(values) <= MAX_GUESSED_CLASSES
            and all(math.isfinite(v) and v == int(v) for v in values))


def _class_name(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)
