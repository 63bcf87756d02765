"""The published ImageNet weights that templates can start from, and their download.

The files are the plain state_dicts torchvision publishes (no torchvision needed to read
them). What comes from torch.hub: the cache folder (`torch.hub.get_dir()/checkpoints`,
shared with torchvision's own downloads, so a file either fetched is reused) and the
check, as `torch.hub.download_url_to_file(..., hash_prefix=...)` does it: the file's
SHA-256 must start with the hex digits in its name, read with torch.hub's own
`HASH_REGEX` (`vgg16-397923af.pth` -> `397923af`).

The transfer itself is DL Studio's (`dlstudio.data.download.download_file`), because
torch.hub's helper cannot do two things the app needs: resume an interrupted 528 MB
download (HTTP Range on `<file>.part`, renamed only when complete and checked, so a
broken download never looks finished) and report progress to a callback (the app's
progress bar; torch.hub only draws tqdm on the terminal).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dlstudio.weights.errors import WeightsError

BASE_URL = "https://download.pytorch.org/models/"
URL_VARIABLE = "DLSTUDIO_WEIGHTS_URL"  # another base URL: a mirror, or a test server
PREFIX = "pretrained:"
IMAGENET_SIZE = (224, 224)

Progress = Callable[[int, int], None]  # (bytes so far, total bytes or 0 when unknown)


@dataclass(frozen=True)
class PretrainedWeights:
    """One published file: what it is and which template layout it fits."""

    file: str
    architecture: str
    description: str

    @property
    def url(self) -> str:
        base = os.environ.get(URL_VARIABLE) or BASE_URL
        return base.rstrip("/") + "/" + self.file

    @property
    def hash_prefix(self) -> str:
        """The start of the file's SHA-256, from its name (as torch.hub reads it)."""
        from torch.hub import HASH_REGEX

        found = HASH_REGEX.search(self.file)
        assert found is not None, f"{self.file} has no hash in its name"
        return found.group(1)


_VGG16 = PretrainedWeights("vgg16-397923af.pth", "vgg16",
                           "VGG16 trained on ImageNet (torchvision's IMAGENET1K_V1, 528 MB)")
_RESNET18 = PretrainedWeights("resnet18-f37072fd.pth", "resnet18",
                              "ResNet-18 trained on ImageNet (torchvision's IMAGENET1K_V1, "
                              "45 MB)")

# Template name -> its published weights (vgg16-transfer starts from VGG16's base).
PRETRAINED: dict[str, PretrainedWeights] = {
    "vgg16": _VGG16,
    "vgg16-transfer": _VGG16,
    "resnet18": _RESNET18,
}


def pretrained_names() -> list[str]:
    """The templates that have a pretrained start, for menus and messages."""
    return list(PRETRAINED)


def pretrained_entry(name: str) -> PretrainedWeights:
    """`name`'s published file; WeightsError lists the names that have one."""
    if name not in PRETRAINED:
        raise WeightsError(f"no published weights for {name!r}; pretrained starts exist for "
                           f"{', '.join(PRETRAINED)}")
    return PRETRAINED[name]


def cache_dir() -> Path:
    """Where torch.hub keeps downloaded weights ($TORCH_HOME/hub/checkpoints)."""
    from torch.hub import get_dir

    return Path(get_dir()) / "checkpoints"


def cached_path(name: str) -> Path:
    """Where `name`'s file is once downloaded (or copied there by hand, offline)."""
    return cache_dir() / pretrained_entry(name).file


def fetch_pretrained(name: str, progress: Progress | None = None,
                     timeout: float = 30.0) -> Path:
    """The local file of `name`'s published weights, downloaded the first time.
    `progress(done, total)` follows the download; an exception it raises stops it (the
    part already fetched is kept to resume)."""
    from dlstudio.data.download import download_file
    from dlstudio.data.errors import DataError

    entry = pretrained_entry(name)
    target = cache_dir() / entry.file
    if target.is_file():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise WeightsError(f"cannot create the weights cache {target.parent}: "
                           f"{error.strerror or error}") from None

    def report(done: int, total: int | None) -> None:
        if progress is not None:
            progress(done, total or 0)

    try:
        download_file(entry.url, target, entry.hash_prefix, report, timeout)
    except DataError as error:
        raise WeightsError(f"cannot download the {name} weights: {error}; check the "
                           f"network, or put {entry.file} in {target.parent} by hand") from None
    return target
