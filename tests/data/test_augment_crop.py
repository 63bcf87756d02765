"""Random crop with zero padding: each image moves by whole pixels within ±P, zeros fill
the border, samples differ, P=0 changes nothing, bad P is refused, non-images skip it."""

from __future__ import annotations

import pytest
import torch

from dlstudio.data import Augmentation, DataError, load_data
from dlstudio.data.augment import Augmenter
from dlstudio.train import TrainSettings, TrainSettingsError


def _offset(out: torch.Tensor, image: torch.Tensor, pad: int) -> tuple[int, int]:
    """The (dy, dx) that turns `image` into `out` (out[i, j] = image[i - dy, j - dx] with
    zeros outside); fails when no whole-pixel move within ±pad does."""
    padded = torch.nn.functional.pad(image, (pad, pad, pad, pad))
    height, width = image.shape[-2:]
    for dy in range(-pad, pad + 1):
        for dx in range(-pad, pad + 1):
            window = padded[..., pad - dy:pad - dy + height, pad - dx:pad - dx + width]
            if torch.equal(out, window):
                return dy, dx
    raise AssertionError("not a zero-padded whole-pixel crop")


def test_each_image_moves_by_whole_pixels_with_zeros_filling() -> None:
    x = torch.rand(32, 3, 10, 12) + 0.5  # no zeros of its own: every zero is padding
    out = Augmenter(Augmentation(crop=4))(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.dtype == x.dtype
    offsets = [_offset(out[i], x[i], 4) for i in range(len(x))]
    assert len(set(offsets)) > 10  # each sample gets its own crop
    assert {dy for dy, _ in offsets} | {dx for _, dx in offsets} >= {-4, 4}


def test_the_same_seed_gives_the_same_crops() -> None:
    augmenter = Augmenter(Augmentation(crop=2))
    x = torch.rand(8, 1, 6, 6)
    first = augmenter(x, torch.Generator().manual_seed(3))
    assert torch.equal(first, augmenter(x, torch.Generator().manual_seed(3)))


def test_zero_padding_is_the_identity() -> None:
    augmenter = Augmentation(crop=0).for_data(load_data("builtin:digits").info)
    x = torch.rand(8, 1, 8, 8)
    assert not augmenter.active and torch.equal(augmenter(x), x)


@pytest.mark.parametrize("bad", [-1, 65, 2.5, True, "4"])
def test_bad_padding_is_refused_in_one_line_naming_crop(bad: object) -> None:
    with pytest.raises(DataError, match="crop"):
        Augmentation(crop=bad)  # type: ignore[arg-type]
    with pytest.raises(TrainSettingsError, match="crop") as error:
        TrainSettings(augment={"crop": bad})
    assert "\n" not in str(error.value)


def test_crop_is_kept_in_settings_and_dropped_for_vectors_with_a_note() -> None:
    assert TrainSettings(augment={"crop": 4}).augment["crop"] == 4
    assert TrainSettings().augment["crop"] == 0
    augmenter = Augmentation(crop=4).for_data(load_data("builtin:xor").info)
    assert augmenter.settings.crop == 0 and "crop" in augmenter.notes[0]


def test_training_batches_are_cropped_and_unaugmented_batches_are_not() -> None:
    bundle = load_data("builtin:digits28")
    augmenter = Augmentation(crop=3).for_data(bundle.info)
    plain, _ = next(bundle.train.batches(16))
    again, _ = next(bundle.train.batches(16))
    cropped, _ = next(bundle.train.batches(16, augment=augmenter,
                                           generator=torch.Generator().manual_seed(1)))
    assert cropped.shape == plain.shape and not torch.equal(cropped, plain)
    assert torch.equal(again, plain)  # evaluation passes no augmenter: images untouched
