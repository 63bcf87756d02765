"""The built-in sets: right sizes and shapes, the promised facts, and they train."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlstudio.data import DataError, builtin_description, builtin_names, load_data
from dlstudio.data.builtin import _digits_8x8, digits_28, text_codes
from dlstudio.resources import resource_path


def test_every_builtin_yields_batches_of_its_declared_shapes() -> None:
    assert {"digits", "digits28", "xor", "spirals", "blobs", "linear", "sine",
            "text"} <= set(builtin_names())
    for name in builtin_names():
        bundle = load_data(f"builtin:{name}")
        info = bundle.info
        assert info.source == f"builtin:{name}" and builtin_description(name)
        x, y = next(bundle.train.batches(5))
        assert tuple(x.shape) == (5, *info.input_shape), name
        assert tuple(y.shape) == (5, *info.target_shape), name
        assert x.dtype == (torch.int64 if info.kind == "tokens" else torch.float32)
        assert y.dtype == (torch.int64 if info.task == "classification" else torch.float32)
        if info.task == "classification":
            assert int(bundle.train.y.max()) < info.num_classes


def test_digits_has_1797_samples_of_8x8_in_10_classes() -> None:
    bundle = load_data("builtin:digits", val_fraction=0.2, test_fraction=0.1)
    total = len(bundle.train) + len(bundle.val) + len(bundle.test)
    assert total == 1797
    assert bundle.info.input_shape == (1, 8, 8)
    assert bundle.info.class_names == tuple("0123456789")
    assert bundle.info.allowed_flips == ()
    assert bundle.info.image.polarity == "light_on_dark"
    everything = torch.cat([bundle.train.y, bundle.val.y, bundle.test.y])
    assert torch.bincount(everything).tolist() == [178, 182, 177, 183, 181, 182, 181, 179,
                                                   174, 180]
    # stored 0..16 counts, scaled to 0..1 and then normalised by the training statistics
    assert float(bundle.train.x.max()) == 16.0
    inputs = bundle.train.inputs()
    assert abs(float(inputs.mean())) < 1e-4 and abs(float(inputs.std()) - 1) < 1e-2


def test_digits28_centres_the_digit_in_a_20x20_box() -> None:
    x8 = torch.zeros(1, 1, 8, 8)
    x8[0, 0, 2:6, 3:5] = 16
    x28 = digits_28(x8)
    assert x28.shape == (1, 1, 28, 28)
    assert float(x28.max()) <= 1.0 and float(x28.min()) >= 0.0
    assert float(x28[..., :4, :].abs().sum()) == 0 and float(x28[..., 24:, :].abs().sum()) == 0
    assert float(x28[..., :, :4].abs().sum()) == 0 and float(x28[..., :, 24:].abs().sum()) == 0
    info = load_data("builtin:digits28").info
    assert info.input_shape == (1, 28, 28)
    assert info.image.content_fraction == pytest.approx(20 / 28)


def test_linear_set_is_fitted_by_w_3_and_b_one_half() -> None:
    bundle = load_data("builtin:linear", val_fraction=0.0)
    x, y = bundle.train.x, bundle.train.y
    design = torch.cat([x, torch.ones_like(x)], dim=1).double()
    w, b = torch.linalg.lstsq(design, y.double()).solution.flatten().tolist()
    assert w == pytest.approx(3.0, abs=0.25) and b == pytest.approx(0.5, abs=0.15)
    assert bundle.info.normalisation is None  # its own units, so w and b read directly


def test_xor_labels_are_exact_for_jittered_corners() -> None:
    bundle = load_data("builtin:xor", val_fraction=0.0)
    corner = bundle.train.x.round()
    expected = (corner[:, 0] != corner[:, 1]).long()
    assert torch.equal(bundle.train.y, expected)
    assert float((bundle.train.x - corner).abs().max()) < 0.3


def test_builtin_data_is_the_same_every_time() -> None:
    for name in ("spirals", "blobs", "sine"):
        first, second = load_data(f"builtin:{name}"), load_data(f"builtin:{name}")
        assert torch.equal(first.train.x, second.train.x)


def test_text_windows_predict_the_next_character() -> None:
    bundle = load_data("builtin:text")
    corpus = resource_path("data", "alice-chapter1.txt").read_text(encoding="utf-8")
    codes = text_codes(corpus)
    x, y = bundle.train.x, bundle.train.y
    assert x.shape[1] == 40 and torch.equal(x[0], codes[:40]) and int(y[0]) == int(codes[40])
    assert bundle.info.class_names[ord("A")] == "A" and bundle.info.num_classes == 128
    # Split by position: validation is the end of the text, and its first window starts
    # after the last training window's target character (no shared text).
    val_start = len(codes) - 40 - len(bundle.val)
    assert torch.equal(bundle.val.x[0], codes[val_start:val_start + 40])
    last_train_target = len(bundle.train) - 1 + 40
    assert val_start > last_train_target


def test_text_codes_replace_non_ascii_with_a_question_mark() -> None:
    assert text_codes("a\u00e9b").tolist() == [97, 63, 98]


def test_unknown_builtin_names_the_choices() -> None:
    with pytest.raises(DataError, match="unknown built-in data set 'nope'.*digits28"):
        load_data("builtin:nope")


def test_a_small_network_learns_the_digits_from_index_batches() -> None:
    torch.manual_seed(0)
    bundle = load_data("builtin:digits", seed=1)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(0)
    for _ in range(8):
        for x, y in bundle.train.batches(64, shuffle=True, generator=generator):
            loss = nn.functional.cross_entropy(model(x), y)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    with torch.no_grad():
        correct = sum(int((model(x).argmax(1) == y).sum()) for x, y in bundle.val.batches(256))
    assert correct / len(bundle.val) > 0.9


def test_digits28_puts_each_centre_of_mass_in_the_middle_like_mnist() -> None:
    images = digits_28(_digits_8x8()[0])
    grid = torch.arange(28, dtype=images.dtype)
    mass = images.sum(dim=(1, 2, 3))
    rows = (images.sum(dim=(1, 3)) * grid).sum(dim=1) / mass
    cols = (images.sum(dim=(1, 2)) * grid).sum(dim=1) / mass
    assert (rows - 13.5).abs().max() <= 0.5 and (cols - 13.5).abs().max() <= 0.5
