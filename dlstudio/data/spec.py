"""`--data SPEC` (DESIGN.md): builtin:NAME, idx:DIR, csv:FILE[:TARGET_COLUMN], folder:DIR,
cifar10:DIR, text:FILE."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dlstudio.data.builtin import load_builtin
from dlstudio.data.cifar import load_cifar10
from dlstudio.data.errors import DataError
from dlstudio.data.folders import load_folder
from dlstudio.data.idx import load_idx_folder
from dlstudio.data.options import ImageSize, LoadOptions
from dlstudio.data.splits import DataBundle
from dlstudio.data.tables import load_csv
from dlstudio.data.textfile import load_text_file

SCHEMES = ("builtin", "idx", "csv", "folder", "cifar10", "text")
SPEC_FORMS = ("builtin:NAME, idx:DIR, csv:FILE[:TARGET_COLUMN], folder:DIR, cifar10:DIR or "
              "text:FILE")


@dataclass(frozen=True)
class DataSpec:
    """A parsed spec: `where` is the built-in name or the path; `column` the CSV target."""

    scheme: str
    where: str
    column: str | None = None

    def __str__(self) -> str:
        column = f":{self.column}" if self.column is not None else ""
        return f"{self.scheme}:{self.where}{column}"


def parse_spec(spec: str) -> DataSpec:
    scheme, sep, rest = spec.partition(":")
    if not sep or scheme not in SCHEMES:
        raise DataError(f"data spec {spec!r} is not understood: use {SPEC_FORMS}")
    if not rest:
        raise DataError(f"data spec {spec!r} names no {'set' if scheme == 'builtin' else 'path'}"
                        f": use {SPEC_FORMS}")
    if scheme != "csv" or _expand(rest).is_file() or ":" not in rest:
        return DataSpec(scheme, rest)
    path, column = rest.rsplit(":", 1)
    return DataSpec(scheme, path, column or None)


def _expand(path: str) -> Path:
    return Path(path).expanduser()


def load_data(spec: str, *, seed: int = 0, val_fraction: float = 0.15,
              test_fraction: float = 0.0, image_size: ImageSize | None = None,
              channels: int | None = None, task: str | None = None) -> DataBundle:
    """Load the data a spec names, split by `seed` (see `LoadOptions` for the rest).

    Raises DataError naming the spec, file or field on any problem a user can cause.
    """
    parsed = parse_spec(spec)
    opts = LoadOptions(seed=seed, val_fraction=val_fraction, test_fraction=test_fraction,
                       image_size=image_size, channels=channels, task=task)
    if parsed.scheme == "builtin":
        return load_builtin(parsed.where, opts)
    path = _expand(parsed.where)
    if parsed.scheme == "idx":
        return load_idx_folder(path, opts, source=spec)
    if parsed.scheme == "csv":
        return load_csv(path, parsed.column, opts, source=spec)
    if parsed.scheme == "cifar10":
        return load_cifar10(path, opts, source=spec)
    if parsed.scheme == "text":
        return load_text_file(path, opts, source=spec)
    return load_folder(path, opts, source=spec)
