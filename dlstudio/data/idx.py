"""MNIST-family IDX files (MNIST, Fashion-MNIST, KMNIST, ...) from a folder: `idx:DIR`.

The folder holds train-images / train-labels and, if present, t10k- (or test-) images
and labels, each `.gz` or raw. An optional `dataset.json` beside them (the downloader
writes one) gives the class names and what augmentation suits the images.
"""

from __future__ import annotations

import gzip
import json
import math
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import torch

from dlstudio.data.errors import LARGEST_VALUE, DataError
from dlstudio.data.imagesets import image_bundle
from dlstudio.data.info import FLIPS, POLARITIES, ImageFacts
from dlstudio.data.options import LoadOptions
from dlstudio.data.splits import DataBundle

# IDX type codes (the third byte of the magic number) and their big-endian dtypes.
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
META_FILE = "dataset.json"
GZIP_MAGIC = b"\x1f\x8b"
READ_CHUNK = 1 << 24
MAX_ARRAY_BYTES = np.iinfo(np.intp).max  # even with a 0 among the sizes (numpy's limit)
MAX_CLASSES = 100_000  # labels above this are a damaged file, not a dataset


def read_idx(path: str | Path) -> np.ndarray:
    """The array stored in an IDX file, gzipped or not (told apart by content).

    The header's sizes are checked against the bytes the file really holds before any
    array is made, and a gzipped file is unpacked no further than its header promises:
    a header that lies, or a small .gz that would unpack to gigabytes, is a DataError."""
    path = Path(path)
    try:
        with path.open("rb") as raw:
            gzipped = raw.read(2) == GZIP_MAGIC
            raw.seek(0)
            if gzipped:
                with gzip.GzipFile(fileobj=raw) as stream:
                    return _read_idx_stream(path, stream)
            return _read_idx_stream(path, raw)
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(f"cannot read IDX file {path}: {error}") from None


def _read_idx_stream(path: Path, stream: BinaryIO) -> np.ndarray:
    magic = stream.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in IDX_TYPES:
        raise DataError(f"{path} is not an IDX file (its magic number is wrong)")
    rank = magic[3]
    if rank == 0:
        raise DataError(f"{path}: the IDX header declares no dimensions")
    header = stream.read(4 * rank)
    if len(header) < 4 * rank:
        raise DataError(f"{path}: the IDX header is cut short")
    dims = struct.unpack(f">{rank}I", header)
    dtype = np.dtype(IDX_TYPES[magic[2]])
    expected = math.prod(dims) * dtype.itemsize  # Python ints: no overflow
    if math.prod(d for d in dims if d) * dtype.itemsize > MAX_ARRAY_BYTES:
        raise DataError(f"{path}: the header's sizes {'×'.join(map(str, dims))} are too "
                        "large for an array (a damaged file?)")
    data = _read_at_most(stream, expected + 1)
    if len(data) != expected:
        held = f"{len(data)} bytes" if len(data) <= expected else "more"
        raise DataError(f"{path}: the header promises {'×'.join(map(str, dims))} values "
                        f"({expected:,} bytes) but the file holds {held}")
    return np.frombuffer(data, dtype=dtype).reshape(dims)


def _read_at_most(stream: BinaryIO, limit: int) -> bytes:
    """Up to `limit` bytes, read in chunks: a huge `limit` from a header allocates
    nothing the file does not hold."""
    chunks, left = [], limit
    while left > 0:
        chunk = stream.read(min(left, READ_CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class IdxMeta:
    """The optional dataset.json: names and facts the IDX files cannot hold."""

    name: str
    class_names: tuple[str, ...] = ()
    allowed_flips: tuple[str, ...] = ()
    polarity: str = "light_on_dark"
    content_fraction: float | None = None
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "class_names": list(self.class_names),
                "allowed_flips": list(self.allowed_flips), "polarity": self.polarity,
                "content_fraction": self.content_fraction, "description": self.description}


def read_meta(folder: Path) -> IdxMeta:
    path = folder / META_FILE
    if not path.is_file():
        return IdxMeta(folder.name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DataError(f"{path}: not readable JSON ({error})") from None
    if not isinstance(data, dict):
        raise DataError(f"{path}: expected a JSON object")
    meta = IdxMeta(
        name=_field(data, "name", str, folder.name, path),
        class_names=tuple(_field(data, "class_names", list, [], path)),
        allowed_flips=tuple(_field(data, "allowed_flips", list, [], path)),
        polarity=_field(data, "polarity", str, "light_on_dark", path),
        content_fraction=_field(data, "content_fraction", (int, float, type(None)), None,
                                path),
        description=_field(data, "description", str, "", path),
    )
    if not all(isinstance(n, str) for n in meta.class_names):
        raise DataError(f"{path}: field 'class_names' must hold strings")
    if not set(meta.allowed_flips) <= set(FLIPS) or meta.polarity not in POLARITIES:
        raise DataError(f"{path}: 'allowed_flips' takes {list(FLIPS)}, 'polarity' one of "
                        f"{list(POLARITIES)}")
    return meta


def _field(data: dict[str, Any], key: str, kinds: Any, default: Any, path: Path) -> Any:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise DataError(f"{path}: field {key!r} has the wrong type ({type(value).__name__})")
    return value


def find_pair(folder: Path, prefixes: tuple[str, ...]) -> tuple[Path, Path] | None:
    """The images and labels files of one part (e.g. 'train'), raw preferred over .gz."""
    found = []
    for kind, rank in (("images", "idx3"), ("labels", "idx1")):
        matches = sorted(
            (p for prefix in prefixes for p in folder.glob(f"*{prefix}-{kind}*{rank}*")
             if p.is_file()),
            key=lambda p: (p.suffix == ".gz", p.name))
        found.append(matches[0] if matches else None)
    images, labels = found
    if images is None and labels is None:
        return None
    if images is None or labels is None:
        have, lack = (images, "labels") if labels is None else (labels, "images")
        raise DataError(f"{folder}: found {have.name} but no matching {lack} file")
    return images, labels


def _read_part(images_path: Path, labels_path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim == 3:
        images = images[:, None]
    elif images.ndim == 4 and images.shape[-1] in (1, 3):
        images = images.transpose(0, 3, 1, 2)
    else:
        raise DataError(f"{images_path}: expected images shaped count×height×width, got "
                        f"{'×'.join(map(str, images.shape))}")
    if len(images) == 0:
        raise DataError(f"{images_path} holds 0 images")
    if images.shape[2] == 0 or images.shape[3] == 0:
        raise DataError(f"{images_path}: its images are {images.shape[2]}×{images.shape[3]} "
                        "pixels, empty")
    if images.dtype.kind == "f" and not (np.abs(images) <= LARGEST_VALUE).all():
        raise DataError(f"{images_path}: some pixel values are NaN, infinite or beyond "
                        f"±{LARGEST_VALUE:g}, too large to train on in 32-bit floats")
    if labels.ndim != 1 or len(labels) != len(images):
        raise DataError(f"{labels_path}: {labels.size} labels for {len(images)} images in "
                        f"{images_path.name}")
    if not np.issubdtype(labels.dtype, np.integer) or labels.min(initial=0) < 0:
        raise DataError(f"{labels_path}: labels must be whole numbers from 0")
    if labels.max(initial=0) >= MAX_CLASSES:
        raise DataError(f"{labels_path}: a label of {labels.max()} is more classes than "
                        f"{MAX_CLASSES:,}; is the file damaged?")
    native = images.astype(images.dtype.newbyteorder("="))  # IDX is big-endian
    return torch.from_numpy(native), torch.from_numpy(labels.astype(np.int64))


def load_idx_folder(folder: str | Path, opts: LoadOptions | None = None,
                    source: str | None = None) -> DataBundle:
    """The IDX set in `folder`. Its official test files (t10k-*) become the test split,
    in place of `test_fraction`; validation is drawn from the training files."""
    opts = opts or LoadOptions()
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"IDX folder {folder} does not exist")
    train = find_pair(folder, ("train",))
    if train is None:
        raise DataError(f"{folder} has no train-images-idx3-ubyte[.gz] and "
                        "train-labels-idx1-ubyte[.gz] files")
    x, y = _read_part(*train)
    test = None
    test_files = find_pair(folder, ("t10k", "test"))
    if test_files is not None:
        test = _read_part(*test_files)
        if test[0].shape[1:] != x.shape[1:]:
            raise DataError(f"{test_files[0]}: test images are "
                            f"{'×'.join(map(str, test[0].shape[1:]))} but training images "
                            f"are {'×'.join(map(str, x.shape[1:]))}")
    meta = read_meta(folder)
    top = int(max(y.max(), test[1].max() if test else 0)) + 1
    names = meta.class_names or tuple(str(v) for v in range(top))
    if len(names) < top:
        raise DataError(f"{folder / META_FILE} names {len(names)} classes but the labels go "
                        f"up to {top - 1}")
    scale = 1.0 / 255.0 if x.dtype == torch.uint8 else 1.0
    facts = ImageFacts(meta.polarity, (x.shape[2], x.shape[3]),
                       content_fraction=meta.content_fraction)
    return image_bundle(
        x, y, name=meta.name, source=source or f"idx:{folder}",
        description=meta.description or f"IDX images from {folder}", scale=scale,
        class_names=names, facts=facts, allowed_flips=meta.allowed_flips, opts=opts,
        test=test)
