"""Fuzzing the data readers: IDX files, CSV tables and image files made of random,
cut-short and hostile bytes. Each input is either read, and then gives finite arrays of
the shape the reader declares, or refused with a DataError; any other exception is a bug.

Seeded (`derandomize`) so that CI sees the same inputs each run; a few seconds in all.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import struct
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from dlstudio.data import DataError
from dlstudio.data.folders import open_image
from dlstudio.data.idx import IDX_TYPES, load_idx_folder, read_idx
from dlstudio.data.splits import DataBundle
from dlstudio.data.tables import load_csv

from ..data.bad_files import bomb_png  # noqa: TID252 (tests is no package)

FUZZ = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    """One folder for every example (hypothesis reuses a test's fixtures)."""
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


# ----- IDX -------------------------------------------------------------------------------
def _idx(type_code: int, dims: list[int], payload: bytes) -> bytes:
    return bytes([0, 0, type_code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + payload


@st.composite
def idx_files(draw: st.DrawFn) -> bytes:
    """Mostly well-formed IDX files, then cut, padded, corrupted or gzipped."""
    code = draw(st.sampled_from([*IDX_TYPES, 0x00, 0x0A]))
    dims = draw(st.lists(st.one_of(st.integers(0, 5), st.integers(2**31, 2**32 - 1)),
                         min_size=0, max_size=4))
    size = np.dtype(IDX_TYPES.get(code, "u1")).itemsize
    wanted = math.prod(dims) * size
    payload = draw(st.binary(min_size=min(wanted, 600), max_size=min(wanted, 600)))
    data = _idx(code, dims, payload)
    cut = draw(st.one_of(st.none(), st.integers(0, len(data))))
    data = data if cut is None else data[:cut]
    data += draw(st.one_of(st.just(b""), st.binary(max_size=8)))
    if draw(st.booleans()):
        data = gzip.compress(data)
        if draw(st.booleans()):  # a damaged archive
            data = data[:draw(st.integers(0, len(data)))]
    return data


@FUZZ
@given(data=st.one_of(idx_files(), st.binary(max_size=64)))
def test_read_idx_gives_the_declared_array_or_a_data_error(scratch: Path, data: bytes) -> None:
    path = scratch / "fuzz.idx"
    path.write_bytes(data)
    try:
        array = read_idx(path)
    except DataError as error:
        event(f"refused: {_kind(error)}")
        return
    event("accepted")
    raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    rank = raw[3]
    assert array.shape == struct.unpack(f">{rank}I", raw[4:4 + 4 * rank])
    assert array.dtype == np.dtype(IDX_TYPES[raw[2]])


@st.composite
def idx_folders(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """An images and a labels file that mostly agree, with pixels and labels that are
    mostly sensible and sometimes not."""
    count = draw(st.integers(0, 6))
    labels_count = draw(st.sampled_from([count, count, count, max(count - 1, 0), count + 1]))
    height, width = draw(st.sampled_from([(3, 4), (3, 4), (1, 1), (0, 4), (4, 0)]))
    code = draw(st.sampled_from([0x08, 0x08, 0x0D, 0x0E]))
    dtype = np.dtype(IDX_TYPES[code])
    values = count * height * width
    if draw(st.booleans()):
        pixels = draw(st.binary(min_size=values * dtype.itemsize,
                                max_size=values * dtype.itemsize))
    else:
        pixels = np.array(draw(st.lists(st.integers(0, 255), min_size=values,
                                        max_size=values)), dtype).tobytes()
    label_code = draw(st.sampled_from([0x08, 0x0C, 0x0C, 0x0D]))
    label_type = np.dtype(IDX_TYPES[label_code])
    small = st.integers(-1, 3) if label_code != 0x08 else st.integers(0, 3)
    large = st.integers(0, 255 if label_code == 0x08 else 2**31 - 1)
    labels = np.array(draw(st.lists(st.one_of(small, small, large),
                                    min_size=labels_count, max_size=labels_count)),
                      label_type).tobytes()
    return (_idx(code, [count, height, width], pixels),
            _idx(label_code, [labels_count], labels))


@FUZZ
@given(files=idx_folders())
def test_an_idx_folder_loads_or_is_refused(scratch: Path, files: tuple[bytes, bytes]) -> None:
    folder = scratch / "idx"
    folder.mkdir(exist_ok=True)
    (folder / "train-images-idx3-ubyte").write_bytes(files[0])
    (folder / "train-labels-idx1-ubyte").write_bytes(files[1])
    try:
        bundle = load_idx_folder(folder)
    except DataError as error:
        event(f"refused: {_kind(error)}")
        return
    event("accepted")
    _well_formed(bundle)


# ----- CSV -------------------------------------------------------------------------------
NUMBERS = st.one_of(
    st.floats(-1e6, 1e6).map(repr), st.integers(0, 3).map(str),
    st.sampled_from(["3.4e38", "-3.4e38", "1e-320", " 2 ", "1_0", "+.5"]))
NASTY = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**400, 10**400).map(str),
    st.sampled_from(["", " ", "nan", "inf", "1e400", "3.5e38", "0x10", "\x00", '"', '""',
                     "a,b", "a\nb", "\r", "\ufeff", "\x1b[31m", "\u202e", "\u2028"]),
    st.text(max_size=6),
)
LABELS = st.sampled_from(["a", "b", "c\x1b[31m", "d,e", 'q"q', "l\nm", "0", "1", "2.5",
                          "\u202e"])


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """Tables of numbers and a label column, now and then with a nasty cell, a header,
    another quoting, another encoding."""
    width = draw(st.integers(1, 4))
    cell = st.one_of(*[NUMBERS] * 12, NASTY)  # about one nasty cell a table
    row = st.tuples(st.lists(cell, min_size=width, max_size=width), LABELS)
    rows = [[*cells, label] for cells, label in draw(st.lists(row, min_size=3,
                                                               max_size=10))]
    if draw(st.booleans()):
        rows = [[f"c{i}" for i in range(width + 1)]] + rows
    text = io.StringIO()
    csv.writer(text, quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_MINIMAL,
                                                    csv.QUOTE_ALL]))).writerows(rows)
    encoding = draw(st.sampled_from(["utf-8"] * 4 + ["utf-8-sig", "utf-16", "latin-1"]))
    return text.getvalue().encode(encoding, errors="replace")


@FUZZ
@given(data=st.one_of(csv_files(), csv_files(), csv_files(), st.binary(max_size=80)),
       target=st.sampled_from([None, None, None, "0", "-1", "c0", "c1,c2", "nope"]))
def test_a_csv_file_loads_or_is_refused(scratch: Path, data: bytes, target: str | None
                                        ) -> None:
    path = scratch / "fuzz.csv"
    path.write_bytes(data)
    try:
        bundle = load_csv(path, target)
    except DataError as error:
        event(f"refused: {_kind(error)}")
        return
    event("accepted")
    _well_formed(bundle)


# ----- image files -----------------------------------------------------------------------
def _encoded(fmt: str, mode: str) -> bytes:
    stream = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (6, 5, 3), dtype=np.uint8)).convert(mode).save(
        stream, fmt)
    return stream.getvalue()


GOOD_IMAGES = [_encoded(fmt, mode) for fmt, mode in
               [("PNG", "RGB"), ("PNG", "P"), ("JPEG", "L"), ("GIF", "P"), ("BMP", "RGB"),
                ("TIFF", "RGB"), ("WEBP", "RGB")]]


@st.composite
def damaged_images(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(GOOD_IMAGES)))
    for _ in range(draw(st.integers(0, 4))):  # flip bytes, headers included
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    cut = draw(st.one_of(st.none(), st.none(), st.integers(0, len(data))))
    return bytes(data if cut is None else data[:cut])


# Headers of a few pixels or of a bomb's hundreds of millions, one row of data behind
# them (nothing between: an image of 80 M pixels would really be decoded, slowly).
_SMALL = st.tuples(st.integers(1, 64), st.integers(1, 64))
_HUGE = st.integers(1, 200_000).flatmap(lambda width: st.tuples(
    st.just(width), st.integers(Image.MAX_IMAGE_PIXELS // width + 1, 2**32 - 1)))
BOMBS = st.one_of(_SMALL, _HUGE).map(lambda size: bomb_png(*size, rows=1))


@FUZZ
@given(data=st.one_of(damaged_images(), damaged_images(), BOMBS, st.binary(max_size=64)),
       channels=st.sampled_from([1, 3]))
def test_an_image_file_opens_or_is_refused(scratch: Path, data: bytes, channels: int) -> None:
    path = scratch / "fuzz.png"
    path.write_bytes(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # Pillow's warnings (corrupt EXIF) stay quiet
            image = open_image(path, (4, 3), channels)
    except DataError as error:
        event(f"refused: {_kind(error)}")
        return
    event("accepted")
    assert image.size == (3, 4) and image.mode == ("L" if channels == 1 else "RGB")


# ----- shared checks ---------------------------------------------------------------------
def _well_formed(bundle: DataBundle) -> None:
    """Every batch has the declared input shape, finite values, and targets that fit."""
    info = bundle.info
    for split in (bundle.train, bundle.val, bundle.test):
        if split is None:
            continue
        for x, y in split.batches(64):
            assert tuple(x.shape[1:]) == tuple(info.input_shape)
            assert torch.isfinite(x).all()
            if info.task == "classification":
                assert y.dtype == torch.int64
                assert int(y.min()) >= 0 and int(y.max()) < len(info.class_names)
            else:
                assert torch.isfinite(y).all()


def _kind(error: DataError) -> str:
    """The message without file names and numbers: how hypothesis groups its statistics."""
    return " ".join(w for w in str(error).split() if "/" not in w
                    and not any(c.isdigit() for c in w))[:60]
