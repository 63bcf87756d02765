"""Drawing-pad preprocessing: pad ink becomes what the training data looked like."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from dlstudio.data import DataError, DataInfo, ImageFacts, Normalisation, load_data
from dlstudio.data.builtin import _digits_8x8
from dlstudio.data.pipeline import BatchPipeline
from dlstudio.infer.pad import ink_from_image, paper_value, preprocess_drawing

PAD = 280
PEN = 23
NORM = Normalisation((0.13,), (0.31,))
MNIST_LIKE = DataInfo(
    name="mnist-like", kind="image", task="classification", input_shape=(1, 28, 28),
    class_names=tuple("0123456789"), normalisation=NORM,
    image=ImageFacts("light_on_dark", (28, 28), content_fraction=20 / 28))


def draw(*strokes: list[tuple[float, float]], size: int = PAD, width: int = PEN
         ) -> np.ndarray:
    """Ink (size, size) in 0..1 with thick round strokes, as the pad draws them."""
    image = Image.new("L", (size, size))
    pen = ImageDraw.Draw(image)
    for points in strokes:
        pen.line(points, fill=255, width=width, joint="curve")
        for x, y in (points[0], points[-1]):
            pen.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2),
                        fill=255)
    return np.asarray(image, dtype=np.float32) / 255.0


def centre_of_mass(picture: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(picture.shape)
    total = picture.sum()
    return float((rows * picture).sum() / total), float((cols * picture).sum() / total)


def ink_box(picture: np.ndarray, floor: float = 0.0) -> tuple[int, int]:
    """(height, width) of the pixels holding ink."""
    rows = np.flatnonzero((picture > floor).any(axis=1))
    cols = np.flatnonzero((picture > floor).any(axis=0))
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


SEVEN_IN_A_CORNER = [(20, 20), (110, 20), (45, 150)]


def test_mnist_recipe_scales_into_20x20_and_centres_by_mass() -> None:
    sample = preprocess_drawing(draw(SEVEN_IN_A_CORNER), MNIST_LIKE)
    assert sample is not None
    picture = sample.picture[..., 0]
    assert picture.shape == (28, 28)
    height, width = ink_box(picture)
    assert height == 20 and width <= 20  # the taller side fills the 20-pixel box
    row, col = centre_of_mass(picture)
    assert abs(row - 13.5) <= 1.0 and abs(col - 13.5) <= 1.0
    assert picture[0].max() == 0 and picture[:, 0].max() == 0  # black background
    assert picture.max() > 0.9  # white ink


def test_aspect_ratio_is_kept() -> None:
    sample = preprocess_drawing(draw([(40, 140), (240, 140)]), MNIST_LIKE)
    assert sample is not None
    height, width = ink_box(sample.picture[..., 0], floor=0.05)
    assert width == 20
    assert 2 <= height <= 4  # 23/223 of 20 pixels, plus antialiasing


def test_normalisation_and_polarity_follow_the_data() -> None:
    ink = draw(SEVEN_IN_A_CORNER)
    sample = preprocess_drawing(ink, MNIST_LIKE)
    assert sample is not None
    expected = (torch.from_numpy(sample.picture[..., 0]) - 0.13) / 0.31
    assert torch.allclose(sample.tensor[0], expected, atol=1e-6)

    dark_on_light = replace(MNIST_LIKE, normalisation=None,
                            image=replace(MNIST_LIKE.image, polarity="dark_on_light"))
    inverse = preprocess_drawing(ink, dark_on_light)
    assert inverse is not None
    assert np.allclose(inverse.picture, 1.0 - sample.picture, atol=1e-6)
    assert inverse.picture[0, 0, 0] == 1.0  # white paper


def test_placement_maps_the_pad_onto_the_model_input() -> None:
    ink = draw(SEVEN_IN_A_CORNER)
    sample = preprocess_drawing(ink, MNIST_LIKE)
    assert sample is not None
    pad_row, pad_col = centre_of_mass(ink)
    x, y = sample.placement.to_input(pad_col + 0.5, pad_row + 0.5)
    row, col = centre_of_mass(sample.picture[..., 0])
    assert abs(x - (col + 0.5)) < 0.5 and abs(y - (row + 0.5)) < 0.5
    assert sample.placement.to_pad(x, y) == pytest.approx((pad_col + 0.5, pad_row + 0.5))


def test_empty_pad_gives_none_and_wrong_inputs_are_named() -> None:
    assert preprocess_drawing(np.zeros((PAD, PAD), np.float32), MNIST_LIKE) is None
    with pytest.raises(DataError, match="height×width"):
        preprocess_drawing(np.zeros((4, 4, 3), np.float32), MNIST_LIKE)
    vector = DataInfo(name="xor", kind="vector", task="classification", input_shape=(2,),
                      class_names=("0", "1"))
    with pytest.raises(DataError, match="vectors of 2 features"):
        preprocess_drawing(draw(SEVEN_IN_A_CORNER), vector)


def test_digits28_at_another_size_and_channels_goes_through_the_training_pipeline() -> None:
    info = load_data("builtin:digits28", image_size=56, channels=3).info
    sample = preprocess_drawing(draw(SEVEN_IN_A_CORNER), info)
    assert sample is not None
    assert sample.tensor.shape == (3, 56, 56)
    native = preprocess_drawing(draw(SEVEN_IN_A_CORNER), replace(
        info, input_shape=(1, 28, 28), normalisation=None))
    assert native is not None
    pipeline = BatchPipeline("image", channels=3, size=(56, 56),
                             normalisation=info.normalisation)
    expected = pipeline(torch.from_numpy(native.picture[..., 0])[None, None])[0]
    assert torch.allclose(sample.tensor, expected, atol=1e-5)
    assert sample.placement.scale[0] == pytest.approx(2 * native.placement.scale[0])


def test_8x8_digits_fill_the_frame_like_the_uci_bitmaps() -> None:
    """The UCI digits fill all 8 rows and sit centred: every 8×8 sample with an even
    width, blown up onto the pad, comes back exactly."""
    info = load_data("builtin:digits").info
    x, _ = _digits_8x8()
    checked = 0
    for sample in x[:300, 0]:
        cols = np.flatnonzero(sample.numpy().any(axis=0))
        if (cols[-1] - cols[0] + 1) % 2 or cols[0] + cols[-1] != 7:
            continue  # odd widths, or off-centre digits, land a column away
        ink = np.kron(sample.numpy() / 16.0, np.ones((35, 35), np.float32))
        result = preprocess_drawing(ink, info)
        assert result is not None
        assert np.allclose(result.picture[..., 0], sample.numpy() / 16.0, atol=1e-4)
        checked += 1
    assert checked > 100


def test_digits28_samples_drawn_on_the_pad_come_back_nearly_unchanged() -> None:
    """A training image blown up onto the pad returns the same picture, up to the
    centre-of-mass shift (digits28 centres the box, the MNIST recipe the mass: a 7
    moves down by up to 3 pixels)."""
    bundle = load_data("builtin:digits28")
    images = bundle.train.x[:100, 0].numpy()
    for image in images:
        ink = np.asarray(Image.fromarray(image).resize((PAD, PAD), Image.Resampling.BILINEAR))
        result = preprocess_drawing(np.clip(ink, 0, 1), bundle.info)
        assert result is not None
        picture = result.picture[..., 0]
        best = min(np.abs(np.roll(picture, (dy, dx), axis=(0, 1)) - image).mean()
                   for dy in range(-3, 4) for dx in range(-3, 4))
        assert best < 0.03


def test_photo_models_see_the_whole_pad_as_dark_ink_on_white() -> None:
    info = DataInfo(name="photos", kind="image", task="classification",
                    input_shape=(3, 32, 32), class_names=("cat", "dog"),
                    image=ImageFacts(None, (32, 32)))
    sample = preprocess_drawing(draw([(20, 20), (100, 100)]), info)
    assert sample is not None
    picture = sample.picture
    assert picture.shape == (32, 32, 3)
    assert np.allclose(picture[..., 0], picture[..., 2])
    assert picture[-1, -1, 0] == 1.0  # untouched paper, bottom right
    assert picture[5, 5, 0] < 0.2  # ink where it was drawn, top left
    assert torch.allclose(paper_value(info), torch.ones(3))


def test_paper_value_is_normalised_background() -> None:
    assert paper_value(MNIST_LIKE).item() == pytest.approx(-0.13 / 0.31)


@pytest.mark.parametrize("dark_on_light", [True, False])
def test_loaded_pictures_become_ink_whatever_their_background(
        tmp_path: Path, dark_on_light: bool) -> None:
    image = Image.new("L", (200, 100), 255 if dark_on_light else 0)
    ImageDraw.Draw(image).line([(100, 10), (100, 90)], fill=0 if dark_on_light else 255,
                               width=12)
    path = tmp_path / "digit.png"
    image.save(path)
    with Image.open(path) as loaded:
        ink = ink_from_image(loaded, (PAD, PAD))
    assert ink.shape == (PAD, PAD)
    assert ink[PAD // 2, PAD // 2] > 0.9  # the line, in the middle of the fitted picture
    assert ink[PAD // 2, 20] == 0.0 and ink[5, 5] == 0.0  # its background and the margin
    assert ink_from_image(Image.new("L", (50, 50), 128), (PAD, PAD)).max() == 0.0
