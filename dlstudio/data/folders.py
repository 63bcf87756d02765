"""Image folders (`folder:DIR`): one sub-folder of images per class, read with Pillow.

Images stream from disk through a DataLoader (a folder may not fit in memory), resized
to one size and made gray or RGB. A folder holding `train/` (and `val/`, `test/`) with
class sub-folders in each keeps that split instead of drawing one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from dlstudio.data.errors import DataError
from dlstudio.data.info import DataInfo, ImageFacts
from dlstudio.data.options import LoadOptions, parse_size
from dlstudio.data.pipeline import BatchPipeline, measure_normalisation
from dlstudio.data.splits import DataBundle, StreamingSplit, split_indices
from dlstudio.quiet import quiet_warnings

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
GRAY_MODES = {"1", "L", "LA", "I", "I;16", "F"}
SPLIT_FOLDERS = {"train": ("train",), "val": ("val", "valid", "validation"),
                 "test": ("test",)}
NORMALISATION_SAMPLES = 256

Item = tuple[Path, int]


def open_image(path: Path, size: tuple[int, int], channels: int) -> Image.Image:
    """The image at `path` as gray (1 channel) or RGB, resized to (height, width)."""
    with read_image(path) as image, _quiet_pillow():
        try:
            converted = image.convert("L" if channels == 1 else "RGB")
        except Image.DecompressionBombError:  # a frame or tile larger than the header said
            raise DataError(_bomb_message(path, None)) from None
        except Exception as error:  # noqa: BLE001 - any decoder failure on a user's file
            raise DataError(f"cannot read image {path}: {_reason(error)}") from None
    if converted.size != (size[1], size[0]):
        converted = converted.resize((size[1], size[0]), Image.Resampling.BILINEAR)
    return converted


@contextmanager
def read_image(path: Path) -> Iterator[Image.Image]:
    """The image file at `path`, opened (pixels not yet decoded) and closed after.

    A file that is no image, or one whose header claims more pixels than Pillow's
    `MAX_IMAGE_PIXELS` (a decompression bomb: a few KB that would unpack to gigabytes),
    is a DataError naming the file; Pillow's warning about it never reaches the user."""
    with _quiet_pillow():
        try:
            image = Image.open(path)
        except Image.DecompressionBombError:
            raise DataError(_bomb_message(path, _declared_size(path))) from None
        except Exception as error:  # noqa: BLE001 - any decoder failure on a user's file
            raise DataError(f"cannot read image {path}: {_reason(error)}") from None
    with image:
        limit = Image.MAX_IMAGE_PIXELS
        if limit is not None and image.width * image.height > limit:
            raise DataError(_bomb_message(path, image.size))
        yield image


def _quiet_pillow() -> AbstractContextManager[None]:
    """Pillow warns of near-bombs and of damaged metadata (corrupt EXIF) it reads past:
    noise on a terminal; what matters is refused as a DataError instead. Thread-safe
    (dlstudio.quiet): the app reads images in more than one thread."""
    return quiet_warnings()


def _reason(error: Exception) -> str:
    return str(error) or type(error).__name__


def _bomb_message(path: Path, size: tuple[int, int] | None) -> str:
    limit = Image.MAX_IMAGE_PIXELS or 0
    pixels = f"{size[0]}×{size[1]} pixels" if size else "its size"
    return (f"{path}: {pixels} is over the {limit:,}-pixel limit for an image "
            "(a decompression bomb?)")


def _declared_size(path: Path) -> tuple[int, int] | None:
    """Width and height from the file's header alone, for the message: Pillow refuses a
    bomb in `Image.open` before it hands back the image that knows them."""
    Image.init()
    try:
        with path.open("rb") as stream:
            prefix = stream.read(16)
            for name in Image.ID:
                factory, accept = Image.OPEN[name]
                if accept is not None and not accept(prefix):
                    continue
                stream.seek(0)
                try:
                    return factory(stream, str(path)).size
                except Exception:  # noqa: BLE001, S112 - not this format: try the next
                    continue
    except OSError:
        return None
    return None


def image_to_tensor(image: Image.Image) -> torch.Tensor:
    """A gray or RGB Pillow image as a (C, H, W) float tensor in 0..1."""
    array = np.asarray(image, dtype=np.float32) / 255.0
    if array.ndim == 2:
        array = array[None]
    else:
        array = array.transpose(2, 0, 1)
    return torch.from_numpy(np.ascontiguousarray(array))


class ImageFiles(Dataset):
    """(image tensor in 0..1, class id) for a list of files; picklable for workers."""

    def __init__(self, items: list[Item], size: tuple[int, int], channels: int) -> None:
        self.items = items
        self.size = size
        self.channels = channels

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        path, label = self.items[index]
        return image_to_tensor(open_image(path, self.size, self.channels)), label


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*")
                  if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def _class_folders(folder: Path) -> dict[str, list[Path]]:
    """Class name -> its image files, for every visible sub-folder holding images."""
    classes = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = _images_in(sub)
        if files:
            classes[sub.name] = files
    return classes


def _split_layout(folder: Path) -> dict[str, Path] | None:
    """{'train': ..., 'val': ..., 'test': ...} when the folder is split already."""
    found = {}
    for split, names in SPLIT_FOLDERS.items():
        for name in names:
            if (folder / name).is_dir():
                found[split] = folder / name
                break
    return found if "train" in found and len(found) > 1 else None


def _items(folder: Path, classes: dict[str, list[Path]], names: list[str]) -> list[Item]:
    unknown = sorted(set(classes) - set(names))
    if unknown:
        raise DataError(f"{folder}: class folder {unknown[0]!r} is not among the training "
                        f"classes ({', '.join(names)})")
    return [(path, names.index(name)) for name, files in classes.items() for path in files]


def load_folder(path: str | Path, opts: LoadOptions | None = None,
                source: str | None = None) -> DataBundle:
    """The image folder at `path`. Size and channels default to those of the first image."""
    opts = opts or LoadOptions()
    folder = Path(path)
    if not folder.is_dir():
        raise DataError(f"image folder {folder} does not exist")
    layout = _split_layout(folder)
    train_classes = _class_folders(layout["train"] if layout else folder)
    names = list(train_classes)
    if len(names) < 2:
        raise DataError(f"{folder} needs one sub-folder of images per class, at least 2; "
                        f"found {len(names)} ({', '.join(names) or 'none'})")
    items = _items(folder, train_classes, names)
    parts: dict[str, list[Item]] = {}
    if layout:
        parts = {split: _items(where, _class_folders(where), names)
                 for split, where in layout.items() if split != "train"}
    val_fraction = 0.0 if "val" in parts else opts.val_fraction
    test_fraction = 0.0 if layout else opts.test_fraction
    train_idx, val_idx, test_idx = split_indices(len(items), seed=opts.seed,
                                                 val_fraction=val_fraction,
                                                 test_fraction=test_fraction)
    train_items = [items[i] for i in train_idx]
    parts.setdefault("val", [items[i] for i in val_idx])
    parts.setdefault("test", [items[i] for i in test_idx])
    size, channels = _size_and_channels(items[0][0], opts)
    train = ImageFiles(train_items, size, channels)
    norm = measure_normalisation(
        torch.stack([train[i][0] for i in range(min(len(train), NORMALISATION_SAMPLES))]),
        BatchPipeline("image"))
    pipeline = BatchPipeline("image", normalisation=norm)
    info = DataInfo(
        name=folder.name, kind="image", task="classification", input_shape=(channels, *size),
        class_names=tuple(names), normalisation=norm, image=ImageFacts(None, size),
        allowed_flips=("horizontal",), source=source or f"folder:{folder}",
        description=f"images from {folder}, {len(names)} classes")

    def stream(part: list[Item]) -> StreamingSplit | None:
        return StreamingSplit(ImageFiles(part, size, channels), pipeline) if part else None

    return DataBundle(info, StreamingSplit(train, pipeline), stream(parts["val"]),
                      stream(parts["test"]))


def _size_and_channels(first: Path, opts: LoadOptions) -> tuple[tuple[int, int], int]:
    size = parse_size(opts.image_size)
    channels = opts.channels
    if size is None or channels is None:
        with read_image(first) as image:
            size = size or (image.height, image.width)
            channels = channels or (1 if image.mode in GRAY_MODES else 3)
    return size, channels
