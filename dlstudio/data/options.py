"""The options every data source takes, gathered so loaders share one signature."""

from __future__ import annotations

from dataclasses import dataclass

from dlstudio.data.errors import DataError
from dlstudio.data.info import TASKS
from dlstudio.data.splits import check_fractions

ImageSize = int | tuple[int, int]


def parse_size(image_size: ImageSize | None) -> tuple[int, int] | None:
    """`28` or `(28, 28)` as (height, width); None stays None."""
    if image_size is None:
        return None
    size = (image_size, image_size) if isinstance(image_size, int) else image_size
    if (not isinstance(size, (tuple, list)) or len(size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 4096
                       for v in size)):
        raise DataError(f"image_size must be a size in pixels (1..4096) or a (height, width) "
                        f"pair, got {image_size!r}")
    return size[0], size[1]


def check_channels(channels: int | None) -> None:
    if channels not in (None, 1, 3):
        raise DataError(f"channels must be 1 (gray) or 3 (RGB), got {channels!r}")


@dataclass(frozen=True)
class LoadOptions:
    """seed: the split shuffle. val_fraction / test_fraction: shares held out.
    image_size / channels: resize images and convert gray <-> RGB (image data only).
    task: how to read a numeric CSV target ("classification" or "regression"); other
    sources know their task."""

    seed: int = 0
    val_fraction: float = 0.15
    test_fraction: float = 0.0
    image_size: ImageSize | None = None
    channels: int | None = None
    task: str | None = None

    def __post_init__(self) -> None:
        check_fractions(self.val_fraction, self.test_fraction)
        parse_size(self.image_size)
        check_channels(self.channels)
        if self.task is not None and self.task not in TASKS:
            raise DataError(f"task must be one of {', '.join(TASKS)}, got {self.task!r}")
