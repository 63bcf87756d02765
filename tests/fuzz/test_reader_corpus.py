"""The nastiest reader inputs found so far, kept as files (tests/fuzz/corpus/readers/,
each named for what it tests): each is read as expected or refused with the DataError
that names it, never another exception."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from dlstudio.data import DataError, load_data
from dlstudio.data.folders import open_image
from dlstudio.data.idx import read_idx

from ..data.bad_files import raw_idx  # noqa: TID252 (tests is no package)

CORPUS = Path(__file__).parent / "corpus" / "readers"


def _image(path: Path, _: Path) -> object:
    return open_image(path, (8, 8), 3)


def _idx_folder(path: Path, scratch: Path) -> object:
    """The file as a folder's training images, beside labels for as many images."""
    shutil.copy(path, scratch / "train-images-idx3-ubyte")
    count = int.from_bytes(path.read_bytes()[4:8], "big")
    (scratch / "train-labels-idx1-ubyte").write_bytes(raw_idx((count,)))
    return load_data(f"idx:{scratch}")


def _csv(path: Path, _: Path) -> object:
    return load_data(f"csv:{path}")


Reader = Callable[[Path, Path], object]
# file -> (how it is read, what the refusal says; None: it is read)
EXPECTED: dict[str, tuple[Reader, str | None]] = {
    "bomb-30000x30000.png": (_image, r"30000×30000 pixels is over the 89,478,485-pixel"),
    "truncated.png": (_image, r"cannot read image .*truncated.png"),
    "truncated.jpg": (_image, r"cannot read image .*truncated.jpg"),
    "zero-images-idx3-ubyte": (_idx_folder, r"holds 0 images"),
    "lying-header-idx3-ubyte": (lambda p, _: read_idx(p), r"but the file holds 20 bytes"),
    "zero-times-huge-idx3-ubyte": (lambda p, _: read_idx(p), r"too large for an array"),
    "gzip-bomb-idx3-ubyte.gz": (lambda p, _: read_idx(p), r"\(16 bytes\) but the file "
                                                          r"holds more"),
    "float64-1e300-idx3-ubyte": (_idx_folder, r"NaN, infinite or beyond ±1e\+30"),
    "escape-nul-newline-labels.csv": (_csv, None),
    "beyond-float32.csv": (_csv, r"'3.4e38' is beyond ±1e\+30"),
    "utf16-bom.csv": (_csv, None),
    "latin1.csv": (_csv, r"it is not UTF-8 text \(byte 0xe9"),
}


def test_every_corpus_file_has_an_expectation() -> None:
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file(name: str, tmp_path: Path) -> None:
    read, refusal = EXPECTED[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no Pillow noise either
        if refusal is None:
            assert read(CORPUS / name, tmp_path) is not None
            return
        with pytest.raises(DataError, match=refusal):
            read(CORPUS / name, tmp_path)


def test_escaped_labels_are_kept_whole() -> None:
    """Escape codes, a NUL, a quoted line break and a bidi override stay in the class
    names as they are; the command line escapes them when it prints (cli/safe_text)."""
    names = load_data(f"csv:{CORPUS / 'escape-nul-newline-labels.csv'}").info.class_names
    assert names == ("cat\x1b[31mRED\nX", "dog\x00", "\u202eevil")
