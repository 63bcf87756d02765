"""CIFAR-10 from its published python batches: `cifar10:DIR`.

DIR is the `cifar-10-batches-py` folder, a folder holding it (the download cache), or
the `cifar-10-python.tar.gz` archive itself (read in place, nothing extracted). The
batches are pickles written by Python 2; unpickling runs code, so a restricted
unpickler rebuilds only what those files hold (dicts, lists, strings, numbers and one
uint8 numpy array) and refuses any other global with one line naming the file.
"""

from __future__ import annotations

import codecs
import io
import pickle
import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import torch

try:  # numpy 2 renamed numpy.core to numpy._core (the old name warns)
    from numpy._core import multiarray
except ImportError:  # numpy 1.x
    from numpy.core import multiarray  # type: ignore[no-redef]

from dlstudio.data.errors import DataError
from dlstudio.data.imagesets import image_bundle
from dlstudio.data.info import ImageFacts
from dlstudio.data.options import LoadOptions
from dlstudio.data.splits import DataBundle

ARCHIVE = "cifar-10-python.tar.gz"
BATCH_FOLDER = "cifar-10-batches-py"
META = "batches.meta"
TEST_BATCH = "test_batch"
TRAIN_BATCH = re.compile(r"data_batch_(\d+)")
SIDE = 32
PIXELS = 3 * SIDE * SIDE  # a row of `data`: the red, green and blue 32×32 planes in turn
# The published label_names, used when batches.meta is absent.
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
               "ship", "truck")
DESCRIPTION = "CIFAR-10: 32×32 colour photos in 10 classes (Krizhevsky, 2009)"
MAX_BATCH_BYTES = 256 << 20  # a published batch is 31 MB; refuse to unpack far more


def _latin1_encode(text: str, encoding: str = "latin1") -> bytes:
    """What Python 3's protocol-2 pickles call to rebuild bytes; only latin-1 passes."""
    if codecs.lookup(encoding).name != "iso8859-1" or not isinstance(text, str):
        raise pickle.UnpicklingError(f"_codecs.encode with {encoding!r}")
    return text.encode("latin1")


def _frombuffer(buffer: bytes, dtype: np.dtype, shape: tuple[int, ...], order: str
                ) -> np.ndarray:
    """What protocol-5 pickles of arrays call (numpy._core.numeric._frombuffer)."""
    return np.frombuffer(buffer, dtype=dtype).reshape(shape, order=order)


# Every global a CIFAR batch (Python 2 cPickle, or a Python 3 pickle of the same dict in
# protocol 0 to 5) refers to; numpy.core and numpy._core are one module under two names.
ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): multiarray._reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): multiarray._reconstruct,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): _latin1_encode,
}


class _BatchUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        found = ALLOWED.get((module, name))
        if found is None:
            raise _Refused(f"{module}.{name}")
        return found


class _Refused(pickle.UnpicklingError):
    """The pickle asked for a global outside ALLOWED."""


def read_batch(stream: IO[bytes], where: str) -> dict[str, Any]:
    """One unpickled batch with str keys. DataError names `where` on any problem."""
    try:
        value = _BatchUnpickler(stream, encoding="bytes").load()
    except _Refused as refused:
        raise DataError(f"{where}: refused to read: the pickle asks for {refused}, which "
                        "a CIFAR-10 batch never holds (not a published batch file?)") from None
    except (EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError,
            IndexError, KeyError, MemoryError, OverflowError) as error:
        cut = isinstance(error, EOFError) or "truncated" in str(error)
        detail = "it is cut short: a partial copy or download?" if cut else str(error)
        raise DataError(f"{where}: not a readable CIFAR-10 batch ({detail})") from None
    except OSError as error:
        raise DataError(f"{where}: cannot read ({error})") from None
    if not isinstance(value, dict):
        raise DataError(f"{where}: expected a pickled dict, found {type(value).__name__}")
    return {(k.decode("latin1") if isinstance(k, bytes) else str(k)): v
            for k, v in value.items()}


def _images_and_labels(batch: dict[str, Any], where: str) -> tuple[np.ndarray, np.ndarray]:
    data, labels = batch.get("data"), batch.get("labels")
    if data is None or labels is None:
        raise DataError(f"{where}: the batch has no 'data' and 'labels' fields")
    if (not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2
            or data.shape[1] != PIXELS):
        shape = "×".join(map(str, data.shape)) if isinstance(data, np.ndarray) else "?"
        kind = data.dtype if isinstance(data, np.ndarray) else type(data).__name__
        raise DataError(f"{where}: 'data' must be uint8 rows of {PIXELS} pixels "
                        f"(3×32×32), found {shape} {kind}")
    if not isinstance(labels, (list, np.ndarray)) or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in labels):
        raise DataError(f"{where}: 'labels' must be a list of whole numbers")
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    if len(labels) != len(data):
        raise DataError(f"{where}: {len(labels)} labels for {len(data)} images")
    if len(labels) and (labels.min() < 0 or labels.max() >= len(CLASS_NAMES)):
        bad = labels[(labels < 0) | (labels >= len(CLASS_NAMES))][0]
        raise DataError(f"{where}: label {bad} is out of range (CIFAR-10 labels are 0..9)")
    return data.reshape(-1, 3, SIDE, SIDE), labels


def _class_names(meta: dict[str, Any], where: str) -> tuple[str, ...]:
    names = meta.get("label_names")
    if (not isinstance(names, list) or len(names) != len(CLASS_NAMES)
            or not all(isinstance(n, (bytes, str)) for n in names)):
        raise DataError(f"{where}: 'label_names' must list {len(CLASS_NAMES)} names")
    return tuple(n.decode("utf-8", "replace") if isinstance(n, bytes) else n for n in names)


@dataclass(frozen=True)
class _Member:
    """One batch file, unpickled as soon as it is read (so its bytes are not kept):
    its name, where it is (for messages) and its dict."""

    name: str
    where: str
    batch: dict[str, Any]

    @classmethod
    def parse(cls, name: str, where: str, data: bytes) -> _Member:
        return cls(name, where, read_batch(io.BytesIO(data), where))


def _members(path: Path) -> list[_Member]:
    """The batch files at `path` (see the module's docstring), read into memory."""
    if path.is_file():
        return _archive_members(path)
    if not path.is_dir():
        raise DataError(f"CIFAR-10 folder {path} does not exist")
    for folder in (path, path / BATCH_FOLDER):
        files = [f for f in sorted(folder.iterdir()) if f.is_file() and _wanted(f.name)] \
            if folder.is_dir() else []
        if any(TRAIN_BATCH.fullmatch(f.name) for f in files):
            return [_Member.parse(f.name, str(f), _read_file(f)) for f in files]
    if (path / ARCHIVE).is_file():
        return _archive_members(path / ARCHIVE)
    raise DataError(f"{path} holds no CIFAR-10 batches: expected data_batch_1 … "
                    f"data_batch_5 and test_batch, in it or in {BATCH_FOLDER}/, or {ARCHIVE}")


def _wanted(name: str) -> bool:
    return bool(TRAIN_BATCH.fullmatch(name)) or name in (TEST_BATCH, META)


def _read_file(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BATCH_BYTES:
            raise DataError(f"{path}: {size} bytes is far more than a CIFAR-10 batch")
        return path.read_bytes()
    except OSError as error:
        raise DataError(f"cannot read {path}: {error}") from None


def _archive_members(archive: Path) -> list[_Member]:
    """Regular files of the archive whose names are batch names; links and anything
    else are ignored, and nothing is written to disk."""
    found: list[_Member] = []
    try:
        with tarfile.open(archive, "r:*") as tar:
            for info in _tar_files(tar):
                name = info.name.rsplit("/", 1)[-1]
                if not _wanted(name):
                    continue
                if info.size > MAX_BATCH_BYTES:
                    raise DataError(f"{archive}:{info.name}: {info.size} bytes is far more "
                                    "than a CIFAR-10 batch")
                stream = tar.extractfile(info)
                assert stream is not None  # a regular file always has one
                found.append(_Member.parse(name, f"{archive}:{info.name}", stream.read()))
    except DataError:  # a member's own problem, already named
        raise
    except (tarfile.TarError, EOFError, OSError, ValueError) as error:
        raise DataError(f"{archive}: not a readable tar.gz archive ({error or 'cut short'})"
                        ) from None
    return found


def _tar_files(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    for info in tar:
        if info.isfile():
            yield info


def load_cifar10(path: str | Path, opts: LoadOptions | None = None,
                 source: str | None = None) -> DataBundle:
    """CIFAR-10 at `path`: training images from data_batch_*, the test split from
    test_batch (in place of `test_fraction`; absent, `test_fraction` applies), the
    validation split drawn from training by `val_fraction`."""
    opts = opts or LoadOptions()
    path = Path(path)
    members = {m.name: m for m in _members(path)}
    train = sorted((n for n in members if TRAIN_BATCH.fullmatch(n)),
                   key=lambda n: int(TRAIN_BATCH.fullmatch(n).group(1)))  # type: ignore[union-attr]
    if not train:
        raise DataError(f"{path}: no data_batch_1 … data_batch_5 found")
    parts = [_images_and_labels(members[n].batch, members[n].where) for n in train]
    x = torch.from_numpy(np.concatenate([p[0] for p in parts]))
    y = torch.from_numpy(np.concatenate([p[1] for p in parts]))
    test = None
    if TEST_BATCH in members:
        member = members[TEST_BATCH]
        tx, ty = _images_and_labels(member.batch, member.where)
        test = (torch.from_numpy(tx), torch.from_numpy(ty))
    names = CLASS_NAMES
    if META in members:
        names = _class_names(members[META].batch, members[META].where)
    if len(x) == 0:
        raise DataError(f"{path}: the training batches hold no images")
    return image_bundle(
        x, y, name="cifar10", source=source or f"cifar10:{path}", description=DESCRIPTION,
        scale=1.0 / 255.0, class_names=names, facts=ImageFacts(None, (SIDE, SIDE)),
        allowed_flips=("horizontal",), opts=opts, test=test)

