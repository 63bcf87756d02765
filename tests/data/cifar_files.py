"""Small CIFAR-10 batches written the way the published ones are: pickled dicts with
bytes keys holding a uint8 numpy array, a list of labels and file names."""

from __future__ import annotations

import io
import pickle
import struct
import tarfile
from pathlib import Path

import numpy as np

from dlstudio.data.cifar import BATCH_FOLDER, CLASS_NAMES


def fake_cifar(count: int, seed: int = 0) -> tuple[np.ndarray, list[int]]:
    """count×3072 uint8 rows whose label is told by colour: class c has a strong channel
    c % 3 and a bright square at a place set by c // 3 (learnable by a small CNN)."""
    rng = np.random.default_rng(seed)
    labels = [int(v) for v in rng.integers(0, 10, size=count)]
    images = rng.integers(0, 60, size=(count, 3, 32, 32)).astype(np.uint8)
    for i, label in enumerate(labels):
        images[i, label % 3] += 120
        row = 4 + 8 * (label // 3)
        images[i, :, row:row + 6, 4:28] = 250
    return images.reshape(count, 3072), labels


def batch_bytes(count: int, seed: int = 0, protocol: int = 2, **fields: object) -> bytes:
    data, labels = fake_cifar(count, seed)
    batch = {b"batch_label": b"training batch", b"labels": labels, b"data": data,
             b"filenames": [f"img_{i}.png".encode() for i in range(count)]}
    batch.update({key.encode(): value for key, value in fields.items()})
    return pickle.dumps(batch, protocol=protocol)


def meta_bytes(names: tuple[str, ...] = CLASS_NAMES) -> bytes:
    return pickle.dumps({b"label_names": [n.encode() for n in names],
                         b"num_cases_per_batch": 10000, b"num_vis": 3072}, protocol=2)


def cifar_files(per_batch: int = 20, test: int = 30, batches: int = 5) -> dict[str, bytes]:
    """Names (as in cifar-10-batches-py/) -> contents."""
    files = {f"data_batch_{n}": batch_bytes(per_batch, seed=n) for n in range(1, batches + 1)}
    files["test_batch"] = batch_bytes(test, seed=99)
    files["batches.meta"] = meta_bytes()
    return files


def write_cifar_folder(folder: Path, per_batch: int = 20, test: int = 30) -> Path:
    """`folder/cifar-10-batches-py/` with five data batches, the test batch and the meta."""
    batches = folder / BATCH_FOLDER
    batches.mkdir(parents=True)
    for name, data in cifar_files(per_batch, test).items():
        (batches / name).write_bytes(data)
    return folder


def cifar_tar_gz(files: dict[str, bytes] | None = None, prefix: str = BATCH_FOLDER + "/"
                 ) -> bytes:
    """A tar.gz laid out as the published archive: cifar-10-batches-py/<file>."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in (files or cifar_files()).items():
            info = tarfile.TarInfo(prefix + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def python2_batch_bytes(count: int, seed: int = 0) -> bytes:
    """A batch as Python 2's cPickle wrote the published files (protocol 2, str as
    BINSTRING, `numpy.core.multiarray._reconstruct`), written opcode by opcode since
    Python 3 pickles bytes another way."""
    data, labels = fake_cifar(count, seed)

    def text(value: bytes) -> bytes:  # a Python 2 str
        if len(value) < 256:
            return b"U" + bytes([len(value)]) + value
        return b"T" + struct.pack("<i", len(value)) + value

    def number(value: int) -> bytes:
        if 0 <= value < 256:
            return b"K" + bytes([value])
        if 0 <= value < 65536:
            return b"M" + struct.pack("<H", value)
        return b"J" + struct.pack("<i", value)

    dtype = (b"cnumpy\ndtype\n" + text(b"u1") + number(0) + number(1) + b"\x87R"
             + b"(" + number(3) + text(b"|") + b"NNN" + number(-1) + number(-1)
             + number(0) + b"tb")
    array = (b"cnumpy.core.multiarray\n_reconstruct\n" + b"cnumpy\nndarray\n"
             + number(0) + b"\x85" + text(b"b") + b"\x87R"
             + b"(" + number(1) + number(count) + number(3072) + b"\x86" + dtype + b"\x89"
             + text(data.tobytes()) + b"tb")
    label_list = b"](" + b"".join(number(v) for v in labels) + b"e"
    names = b"](" + b"".join(text(f"img_{i}.png".encode()) for i in range(count)) + b"e"
    return (b"\x80\x02}(" + text(b"data") + array + text(b"labels") + label_list
            + text(b"batch_label") + text(b"training batch 1 of 5") + text(b"filenames")
            + names + b"u.")
