"""cifar10:DIR on small batches pickled here as the published ones are."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from dlstudio.data import DataError, load_data
from dlstudio.data.cifar import BATCH_FOLDER, CLASS_NAMES

from .cifar_files import (
    batch_bytes,
    cifar_files,
    cifar_tar_gz,
    fake_cifar,
    python2_batch_bytes,
    write_cifar_folder,
)


def test_a_batches_folder_loads_with_its_test_batch(tmp_path: Path) -> None:
    folder = write_cifar_folder(tmp_path / "cache")
    bundle = load_data(f"cifar10:{folder}", val_fraction=0.2, seed=3)
    info = bundle.info
    assert info.name == "cifar10" and info.input_shape == (3, 32, 32)
    assert info.class_names == CLASS_NAMES and info.image.polarity is None
    assert info.allowed_flips == ("horizontal",) and info.source == f"cifar10:{folder}"
    assert (len(bundle.train), len(bundle.val), len(bundle.test)) == (80, 20, 30)
    assert bundle.train.x.dtype == torch.uint8 and bundle.train.x.shape[1:] == (3, 32, 32)
    # the rows are red, green and blue planes: pixel (0, 0) of image 0 keeps its planes
    data, labels = fake_cifar(30, seed=99)
    assert torch.equal(bundle.test.x[0], torch.from_numpy(data[0].reshape(3, 32, 32)))
    assert bundle.test.y.tolist() == labels
    inputs = bundle.train.inputs()
    assert inputs.dtype == torch.float32 and abs(float(inputs.mean())) < 0.2  # normalised


def test_the_batch_files_directly_and_the_archive_load_alike(tmp_path: Path) -> None:
    folder = write_cifar_folder(tmp_path / "a") / BATCH_FOLDER
    archive = tmp_path / "cifar-10-python.tar.gz"
    archive.write_bytes(cifar_tar_gz())
    holder = tmp_path / "holder"
    holder.mkdir()
    (holder / archive.name).write_bytes(archive.read_bytes())
    loaded = [load_data(f"cifar10:{where}", seed=1) for where in (folder, archive, holder)]
    for other in loaded[1:]:
        assert torch.equal(other.train.x, loaded[0].train.x)
        assert torch.equal(other.test.y, loaded[0].test.y)


def test_other_pickle_protocols_and_str_keys_load(tmp_path: Path) -> None:
    data, labels = fake_cifar(12)
    for protocol in (0, 4, 5):
        (tmp_path / "data_batch_1").write_bytes(batch_bytes(12, protocol=protocol))
        loaded = load_data(f"cifar10:{tmp_path}", val_fraction=0).train.y  # shuffled
        assert sorted(loaded.tolist()) == sorted(labels)
    (tmp_path / "data_batch_1").write_bytes(pickle.dumps({"data": data, "labels": labels}))
    bundle = load_data(f"cifar10:{tmp_path}", val_fraction=0, test_fraction=0.25)
    assert len(bundle.test) == 3  # no test_batch: test_fraction applies


def test_images_at_another_size_and_gray(tmp_path: Path) -> None:
    folder = write_cifar_folder(tmp_path)
    bundle = load_data(f"cifar10:{folder}", image_size=28, channels=1)
    assert bundle.info.input_shape == (1, 28, 28)
    assert bundle.train.inputs().shape[1:] == (1, 28, 28)


def test_a_hostile_pickle_is_refused_and_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return os.system, (f"touch {marker}",)

    folder = tmp_path / "batches"
    folder.mkdir()
    (folder / "data_batch_1").write_bytes(pickle.dumps({b"data": Payload(), b"labels": []}))
    with pytest.raises(DataError) as caught:
        load_data(f"cifar10:{folder}")
    message = str(caught.value)
    assert str(folder / "data_batch_1") in message and "refused" in message
    assert "system" in message and "\n" not in message
    assert not marker.exists()


@pytest.mark.parametrize("payload", [
    pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 1],
                  b"x": os.getcwd}),  # a function: a global beyond numpy
    pickle.dumps({b"data": np.array([object()] * 2, dtype=object), b"labels": [0, 1]}),
])
def test_other_globals_are_refused(tmp_path: Path, payload: bytes) -> None:
    (tmp_path / "data_batch_1").write_bytes(payload)
    with pytest.raises(DataError, match="data_batch_1: refused to read: the pickle asks"):
        load_data(f"cifar10:{tmp_path}")


def test_broken_files_are_named(tmp_path: Path) -> None:
    good = batch_bytes(10)
    cases = {
        "cut short": good[:len(good) // 2],
        "labels for": batch_bytes(10, labels=[1, 2, 3]),
        "label 12 is out of range": batch_bytes(10, labels=[12] * 10),
        r"uint8 rows of 3072 pixels \(3×32×32\), found 10×1024": batch_bytes(
            10, data=np.zeros((10, 1024), np.uint8)),
        "found 10×3072 float32": batch_bytes(10, data=np.zeros((10, 3072), np.float32)),
        "has no 'data' and 'labels'": pickle.dumps({b"data": np.zeros((1, 3072), np.uint8)}),
        "expected a pickled dict, found list": pickle.dumps([1, 2]),
        "whole numbers": batch_bytes(10, labels=["cat"] * 10),
    }
    for expected, contents in cases.items():
        (tmp_path / "data_batch_1").write_bytes(contents)
        with pytest.raises(DataError, match=f"data_batch_1: .*{expected}"):
            load_data(f"cifar10:{tmp_path}")


def test_missing_folders_archives_and_meta_are_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="CIFAR-10 folder .*nowhere does not exist"):
        load_data(f"cifar10:{tmp_path / 'nowhere'}")
    (tmp_path / "test_batch").write_bytes(batch_bytes(5))
    with pytest.raises(DataError, match="holds no CIFAR-10 batches: expected data_batch_1"):
        load_data(f"cifar10:{tmp_path}")
    archive = tmp_path / "cut.tar.gz"
    archive.write_bytes(cifar_tar_gz()[:3000])
    with pytest.raises(DataError, match="cut.tar.gz: not a readable tar.gz archive"):
        load_data(f"cifar10:{archive}")
    files = cifar_files(per_batch=5, batches=1)
    files["batches.meta"] = pickle.dumps({b"label_names": [b"a", b"b"]})
    archive.write_bytes(cifar_tar_gz(files))
    with pytest.raises(DataError, match=r"cut.tar.gz:cifar-10-batches-py/batches.meta: "
                                        "'label_names' must list 10 names"):
        load_data(f"cifar10:{archive}")


def test_links_in_an_archive_are_not_followed(tmp_path: Path) -> None:
    import io
    import tarfile

    (tmp_path / "secret").write_bytes(batch_bytes(7, seed=5))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in cifar_files(per_batch=4, batches=1).items():
            info = tarfile.TarInfo(f"{BATCH_FOLDER}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo(f"{BATCH_FOLDER}/data_batch_2")
        link.type, link.linkname = tarfile.SYMTYPE, str(tmp_path / "secret")
        tar.addfile(link)
    archive = tmp_path / "linked.tar.gz"
    archive.write_bytes(buffer.getvalue())
    assert len(load_data(f"cifar10:{archive}", val_fraction=0).train) == 4


def test_a_batch_as_python2_wrote_it_loads(tmp_path: Path) -> None:
    (tmp_path / "data_batch_1").write_bytes(python2_batch_bytes(9, seed=4))
    (tmp_path / "test_batch").write_bytes(python2_batch_bytes(5, seed=6))
    bundle = load_data(f"cifar10:{tmp_path}", val_fraction=0)
    data, labels = fake_cifar(5, seed=6)
    assert torch.equal(bundle.test.x, torch.from_numpy(data.reshape(5, 3, 32, 32)))
    assert bundle.test.y.tolist() == labels and len(bundle.train) == 9


def test_a_hostile_pickle_inside_an_archive_is_named_by_member(tmp_path: Path) -> None:
    files = cifar_files(per_batch=3, batches=2)
    files["data_batch_2"] = pickle.dumps({b"data": os.getcwd, b"labels": []})
    archive = tmp_path / "cifar-10-python.tar.gz"
    archive.write_bytes(cifar_tar_gz(files))
    with pytest.raises(DataError) as caught:
        load_data(f"cifar10:{tmp_path}")
    assert str(caught.value).startswith(
        f"{archive}:cifar-10-batches-py/data_batch_2: refused to read: the pickle asks for "
        "posix.getcwd")
