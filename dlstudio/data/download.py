"""Download MNIST, Fashion-MNIST or KMNIST (read by `idx:DIR`) or CIFAR-10 (read by
`cifar10:DIR`) into a cache folder.

Each file is checked against its published SHA-256 (MD5 for CIFAR-10, the only sum its
authors publish), written to `<file>.part` and renamed only when complete and correct;
an interrupted download resumes from the `.part` file where the server allows it.
Archives are unpacked by `archives.extract_tar`, which refuses links and paths outside
the cache. $DLSTUDIO_DATA_URL replaces every mirror (a local copy, or a test server).
Errors say what failed and what to do (offline: copy the files in by hand).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from dlstudio.atomic import write_atomic
from dlstudio.data.archives import extract_tar
from dlstudio.data.errors import DataError, DownloadCancelled
from dlstudio.data.idx import META_FILE, IdxMeta

FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
CHUNK = 1 << 16
DATA_URL_VARIABLE = "DLSTUDIO_DATA_URL"  # base URL; set NAME's files live under NAME/
DIGESTS = {"sha256": "SHA-256", "md5": "MD5"}
URL_SCHEMES = ("http", "https", "ftp", "file")  # what urlopen can fetch from


@dataclass(frozen=True)
class MnistFamilySource:
    """Where one data set lives and the SHA-256 of each of its four files."""

    mirrors: tuple[str, ...]
    sha256: Mapping[str, str]
    meta: IdxMeta


# The published sums, as repeated by torchvision and other projects (docs/data.md says
# where they come from); a caller can override them (`checksums=`).
FAMILIES: dict[str, MnistFamilySource] = {
    "mnist": MnistFamilySource(
        mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "https://storage.googleapis.com/cvdf-datasets/mnist/"),
        sha256={
            FILES[0]: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            FILES[1]: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            FILES[2]: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            FILES[3]: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        },
        meta=IdxMeta("mnist", tuple(str(d) for d in range(10)), content_fraction=20 / 28,
                     description="MNIST handwritten digits (LeCun, Cortes & Burges)"),
    ),
    "fashion-mnist": MnistFamilySource(
        mirrors=("https://fashion-mnist.s3.eu-central-1.amazonaws.com/",
                 "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
        sha256={
            FILES[0]: "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            FILES[1]: "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            FILES[2]: "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            FILES[3]: "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        },
        meta=IdxMeta("fashion-mnist", ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                       "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
                     allowed_flips=("horizontal",),
                     description="Fashion-MNIST clothing images (Zalando Research, MIT)"),
    ),
    "kmnist": MnistFamilySource(
        mirrors=("https://codh.rois.ac.jp/kmnist/dataset/kmnist/",
                 "http://codh.rois.ac.jp/kmnist/dataset/kmnist/"),
        sha256={
            FILES[0]: "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4",
            FILES[1]: "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17",
            FILES[2]: "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5",
            FILES[3]: "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c",
        },
        meta=IdxMeta("kmnist", ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"),
                     description="Kuzushiji-MNIST cursive hiragana (CODH, CC BY-SA 4.0)"),
    ),
}


@dataclass(frozen=True)
class ArchiveSource:
    """A data set published as one archive: its MD5, the folder it unpacks to, the files
    that folder must hold, and the spec scheme that reads the cache folder."""

    mirrors: tuple[str, ...]
    file: str
    md5: str
    folder: str
    files: tuple[str, ...]
    scheme: str
    description: str


ARCHIVES: dict[str, ArchiveSource] = {
    "cifar10": ArchiveSource(
        mirrors=("https://www.cs.toronto.edu/~kriz/",),
        file="cifar-10-python.tar.gz", md5="c58f30108f718f92721af3b95e74349a",
        folder="cifar-10-batches-py",
        files=("batches.meta", *(f"data_batch_{n}" for n in range(1, 6)), "test_batch"),
        scheme="cifar10",
        description="CIFAR-10 colour photos, 10 classes (Krizhevsky, 2009), 163 MB"),
}


def downloadable() -> list[str]:
    """Every set `download_dataset` fetches, in menu order."""
    return [*FAMILIES, *ARCHIVES]


def download_spec(name: str, folder: Path | str) -> str:
    """The --data spec that reads a folder `download_dataset(name)` returned."""
    return f"{ARCHIVES[name].scheme if name in ARCHIVES else 'idx'}:{folder}"


def download_dataset(name: str, cache_dir: str | Path | None = None, **options: Any
                     ) -> Path:
    """Fetch any set of `downloadable()` (options as for its own download function)."""
    if name in ARCHIVES:
        return download_archive(name, cache_dir, **options)
    if name in FAMILIES:
        return download_mnist_family(name, cache_dir, **options)
    raise DataError(f"unknown data set {name!r} to download; choose one of: "
                    f"{', '.join(downloadable())}")


@dataclass(frozen=True)
class DownloadProgress:
    """Reported after every chunk: bytes of the current file, and which file of how many.
    `total` is None when the server does not say the size."""

    dataset: str
    file: str
    file_index: int
    file_count: int
    done: int
    total: int | None


Progress = Callable[[DownloadProgress], None]
Cancel = Callable[[], bool]


def default_cache_dir() -> Path:
    """$DLSTUDIO_DATA_DIR, else $XDG_CACHE_HOME/dlstudio/data, else ~/.cache/dlstudio/data."""
    if os.environ.get("DLSTUDIO_DATA_DIR"):
        return Path(os.environ["DLSTUDIO_DATA_DIR"])
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "dlstudio" / "data"


def download_mnist_family(name: str, cache_dir: str | Path | None = None, *,
                          base_url: str | None = None,
                          checksums: Mapping[str, str] | None = None,
                          progress: Progress | None = None, cancel: Cancel | None = None,
                          timeout: float = 30.0) -> Path:
    """Fetch the four IDX files of `name` ("mnist", "fashion-mnist" or "kmnist") into
    `cache_dir/name` and return that folder (ready for `idx:`). Files already there
    with the right checksum are kept. `base_url` replaces the mirrors, `checksums`
    (file name -> SHA-256) replaces the published sums."""
    if name not in FAMILIES:
        raise DataError(f"unknown data set {name!r} to download; choose one of: "
                        f"{', '.join(FAMILIES)}")
    family = FAMILIES[name]
    sums = {**family.sha256, **(checksums or {})}
    folder = _make_folder(Path(cache_dir or default_cache_dir()) / name)
    mirrors = _mirrors(name, base_url, family.mirrors)
    for index, file in enumerate(FILES):
        target = folder / file
        if target.is_file() and _sha256(target) == sums[file]:
            continue

        def report(done: int, total: int | None, file: str = file, index: int = index
                   ) -> None:
            if cancel is not None and cancel():
                raise DownloadCancelled(f"download of {name} cancelled at {file}; the "
                                        "part already fetched is kept to resume")
            if progress is not None:
                progress(DownloadProgress(name, file, index, len(FILES), done, total))

        _fetch_from_mirrors(name, file, mirrors, target, sums[file], report, timeout)
    write_atomic(folder / META_FILE, _meta_json(family.meta))
    return folder


def download_archive(name: str, cache_dir: str | Path | None = None, *,
                     base_url: str | None = None, checksums: Mapping[str, str] | None = None,
                     progress: Progress | None = None, cancel: Cancel | None = None,
                     timeout: float = 30.0) -> Path:
    """Fetch the archive of `name` (an ARCHIVES key), check its MD5 (`checksums`, file
    name -> MD5, replaces the published sum), unpack it into `cache_dir/name` and delete
    it; return that folder (ready for its spec, see `download_spec`). A complete
    unpacked copy already there is kept and nothing is fetched."""
    if name not in ARCHIVES:
        raise DataError(f"unknown archive {name!r} to download; choose one of: "
                        f"{', '.join(ARCHIVES)}")
    source = ARCHIVES[name]
    folder = _make_folder(Path(cache_dir or default_cache_dir()) / name)
    if all((folder / source.folder / file).is_file() for file in source.files):
        return folder
    target = folder / source.file
    expected = (checksums or {}).get(source.file, source.md5)

    def report(done: int, total: int | None) -> None:
        if cancel is not None and cancel():
            raise DownloadCancelled(f"download of {name} cancelled; the part already "
                                    "fetched is kept to resume")
        if progress is not None:
            progress(DownloadProgress(name, source.file, 0, 1, done, total))

    if not (target.is_file() and _digest(target, "md5") == expected):
        mirrors = _mirrors(name, base_url, source.mirrors)
        _fetch_from_mirrors(name, source.file, mirrors, target, expected,
                            report, timeout, "md5",
                            by_hand=f"{source.file} (or its {source.folder} folder)")
    try:
        unpacked = extract_tar(target, folder, source.folder, cancel)
        missing = [file for file in source.files if not (unpacked / file).is_file()]
        if missing:
            raise DataError(f"{target}: the archive lacks {', '.join(missing)} in "
                            f"{source.folder}/ (a changed mirror?)")
    except DownloadCancelled:
        raise
    except DataError:
        target.unlink(missing_ok=True)  # checked yet unusable: fetch it afresh next time
        raise
    target.unlink()  # the unpacked copy is all that is read
    return folder


def _make_folder(folder: Path) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DataError(f"cannot create the download folder {folder}: "
                        f"{error.strerror or error}") from None
    return folder


def _mirrors(name: str, base_url: str | None, published: tuple[str, ...]
             ) -> tuple[str, ...]:
    """`base_url`, else $DLSTUDIO_DATA_URL/name/, else the published mirrors."""
    if base_url:
        return (base_url,)
    if base := os.environ.get(DATA_URL_VARIABLE):
        if urlsplit(base).scheme.lower() not in URL_SCHEMES:
            raise DataError(f"${DATA_URL_VARIABLE} {base!r} is not a URL: give one such as "
                            "https://host/path or file:///folder")
        return (base.rstrip("/") + f"/{name}/",)
    return published


def _meta_json(meta: IdxMeta) -> str:
    return json.dumps(meta.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _fetch_from_mirrors(name: str, file: str, mirrors: tuple[str, ...], target: Path,
                        expected: str, report: Callable[[int, int | None], None],
                        timeout: float, algorithm: str = "sha256",
                        by_hand: str = "the four IDX files") -> None:
    problems = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + file
        try:
            _fetch(url, target, expected, report, timeout, algorithm)
            return
        except _Failed as failure:
            problems.append(f"{url}: {failure}")
    where = target.parent
    raise DataError(f"cannot download {name} ({file}): " + "; ".join(problems) + ". Check "
                    f"the network connection, or copy {by_hand} into {where} by hand and "
                    f"load them with {download_spec(name, where)}")


def download_file(url: str, target: Path, sha256_prefix: str,
                  report: Callable[[int, int | None], None], timeout: float = 30.0) -> None:
    """Fetch one file to `target` through `<target>.part` (resumed where the server
    allows), checking that its SHA-256 starts with `sha256_prefix` (a whole sum, or the
    prefix torch.hub puts in file names). DataError says what failed."""
    if not sha256_prefix:
        raise DataError(f"no checksum to check {target.name} against")
    try:
        _fetch(url, target, sha256_prefix, report, timeout)
    except _Failed as failure:
        raise DataError(f"{url}: {failure}") from None


class _Failed(Exception):
    """One mirror failed for one file; the next mirror is tried."""


def _fetch(url: str, target: Path, expected: str,
           report: Callable[[int, int | None], None], timeout: float,
           algorithm: str = "sha256") -> None:
    part = target.with_name(target.name + ".part")
    offset = part.stat().st_size if part.is_file() else 0
    headers = {"User-Agent": "dlstudio", **({"Range": f"bytes={offset}-"} if offset else {})}
    try:
        with urlopen(Request(url, headers=headers), timeout=timeout) as response:
            resumed = offset > 0 and response.status == 206
            done = offset if resumed else 0
            length = response.headers.get("Content-Length")
            total = done + int(length) if length and length.isdigit() else None
            with open(part, "ab" if resumed else "wb") as out:
                report(done, total)
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    done += len(chunk)
                    report(done, total)
        if total is not None and done < total:  # http.client reports a cut body as EOF
            raise _Failed(f"the connection broke after {done} of {total} bytes; try again "
                          "to resume")
    except HTTPError as error:
        if error.code == 416 and offset:  # the .part is stale: start again from zero
            part.unlink()
            return _fetch(url, target, expected, report, timeout, algorithm)
        raise _Failed(f"the server answered {error.code} {error.reason}") from None
    except URLError as error:
        raise _Failed(f"unreachable ({error.reason})") from None
    except (OSError, http.client.HTTPException) as error:
        raise _Failed(f"the connection broke ({error or type(error).__name__}); "
                      "try again to resume") from None
    actual = _digest(part, algorithm)
    if not actual.startswith(expected):  # `expected` is a whole sum or its prefix
        part.unlink()
        wanted = expected if len(expected) == len(actual) else f"{expected}..."
        raise _Failed(f"the file's {DIGESTS[algorithm]} is {actual}, expected {wanted} (a "
                      "corrupted download or a changed mirror; the download was deleted)")
    os.replace(part, target)


def _sha256(path: Path) -> str:
    return _digest(path, "sha256")


def _digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
