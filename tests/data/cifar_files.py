"""Small CIFAR-10 batches written the way the published ones are: pickled dicts with
bytes keys holding a uint8 numpy array, a list of labels and file names."""

from __future__ import annotations

import io
import pickle
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
