"""Batch augmentation keeps shapes, respects what the data allows and repeats by seed."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from dlstudio.data import Augmentation, DataError, load_data


def test_augmentation_keeps_shapes_and_changes_images() -> None:
    bundle = load_data("builtin:digits28")
    augmenter = Augmentation(shift=0.1, rotation=15, scale=0.1, noise=0.05).for_data(bundle.info)
    plain, _ = next(bundle.train.batches(32))
    augmented, _ = next(bundle.train.batches(32, augment=augmenter))
    assert augmented.shape == plain.shape and not torch.allclose(augmented, plain)


def test_digits_are_never_flipped_and_the_note_says_why() -> None:
    info = load_data("builtin:digits").info
    augmenter = Augmentation(flip_horizontal=True, flip_vertical=True).for_data(info)
    assert not augmenter.settings.flip_horizontal and not augmenter.settings.flip_vertical
    assert not augmenter.active and len(augmenter.notes) == 2
    x = torch.rand(8, 1, 8, 8)
    assert torch.equal(augmenter(x), x)


def test_allowed_horizontal_flips_mirror_exactly() -> None:
    info = load_data("builtin:digits").info
    flippable = replace(info, allowed_flips=("horizontal",))
    augmenter = Augmentation(flip_horizontal=True).for_data(flippable)
    x = torch.rand(64, 1, 8, 8)
    out = augmenter(x, torch.Generator().manual_seed(0))
    same = torch.isclose(out, x, atol=1e-5).flatten(1).all(1)
    mirrored = torch.isclose(out, x.flip(-1), atol=1e-5).flatten(1).all(1)
    assert bool((same | mirrored).all()) and 10 < int(mirrored.sum()) < 54


def test_empty_borders_take_the_background() -> None:
    info = load_data("builtin:digits28").info  # light on dark: background 0
    augmenter = Augmentation(shift=0.3, rotation=30).for_data(info)
    black = torch.zeros(16, 1, 28, 28)
    assert torch.allclose(augmenter(black), black, atol=1e-6)
    assert augmenter.background == 0.0


def test_same_generator_seed_same_augmentation() -> None:
    info = load_data("builtin:digits28").info
    augmenter = Augmentation(rotation=20, noise=0.1).for_data(info)
    x = torch.rand(4, 1, 28, 28)
    first = augmenter(x, torch.Generator().manual_seed(5))
    assert torch.equal(first, augmenter(x, torch.Generator().manual_seed(5)))
    assert not torch.equal(first, augmenter(x, torch.Generator().manual_seed(6)))


def test_vectors_get_noise_only_and_tokens_nothing() -> None:
    xor = load_data("builtin:xor").info
    augmenter = Augmentation(rotation=10, noise=0.1).for_data(xor)
    assert augmenter.settings == Augmentation(noise=0.1) and "images only" in augmenter.notes[0]
    text = Augmentation(noise=0.1).for_data(load_data("builtin:text").info)
    assert not text.active and "token ids" in text.notes[0]


def test_settings_round_trip_and_bad_values_are_named() -> None:
    settings = Augmentation(shift=0.1, rotation=10, flip_horizontal=True)
    assert Augmentation.from_dict(settings.to_dict()) == settings
    with pytest.raises(DataError, match="rotation must be between 0 and 180"):
        Augmentation(rotation=-1)
    with pytest.raises(DataError, match="unknown field 'zoom'"):
        Augmentation.from_dict({"zoom": 1})
