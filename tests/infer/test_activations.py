"""Node outputs for one sample and their preview pictures: real compiled templates, and
tiny networks with hand-set weights whose outputs (and pixels) are known."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlstudio.compile import compile_graph
from dlstudio.data import load_data
from dlstudio.graph.templates import build_template
from dlstudio.graph.templates.builder import Builder
from dlstudio.infer.activations import (
    DIVERGING,
    GRAY,
    capture,
    preview,
    previews,
    recording,
    rgb,
    split_sample,
)


def _dense_relu():
    """features (2) -> Dense 2 -> ReLU -> Output, weights set by hand."""
    b = Builder()
    b.add("Input", "features", kind="vector", shape=(2,))
    b.add("Dense", "fc", units=2)
    b.add("ReLU", "relu")
    b.add("Output", "output", loss="mse")
    model = compile_graph(b.graph)
    with torch.no_grad():
        model.fc.weight.copy_(torch.tensor([[1.0, -1.0], [-2.0, 0.0]]))
        model.fc.bias.copy_(torch.tensor([0.0, 1.0]))
    return model


def test_a_hand_set_network_gives_its_known_outputs_and_pixels() -> None:
    model = _dense_relu()
    found = capture(model, (torch.tensor([3.0, 1.0]),))
    # fc = [3 - 1 + 0, -6 + 0 + 1] = [2, -5]; relu = [2, 0]
    assert found["fc"].tolist() == [2.0, -5.0]
    assert found["relu"].tolist() == [2.0, 0.0]
    assert found["features"].tolist() == [3.0, 1.0]
    fc = preview("fc", found["fc"])
    assert fc.kind == "vector" and fc.shape == (2,) and fc.pixels.shape == (1, 2, 4)
    assert (fc.low, fc.high) == (-5.0, 2.0)
    # signed: the diverging table scaled by the largest magnitude (5)
    assert fc.pixels[0, 0].tolist() == DIVERGING[int(2 * 127.5 / 5 + 128)].tolist()
    assert fc.pixels[0, 1].tolist() == DIVERGING[0].tolist()  # -5: full blue
    assert rgb(fc.pixels)[0, 1].tolist() == [70, 140, 255]
    relu = preview("relu", found["relu"])
    assert rgb(relu.pixels)[0].tolist() == [[255, 255, 255], [0, 0, 0]]  # gray, 0..max
    assert relu.dead == 1 and relu.note == "2 values"


def test_a_dead_channel_is_a_black_tile_and_is_counted() -> None:
    b = Builder()
    b.add("Input", "image", kind="image", shape=(1, 4, 4))
    b.add("Conv2d", "conv", filters=2, kernel_size=1)
    b.add("ReLU", "relu")
    b.add("Flatten", "flatten")
    b.add("Dense", "fc", units=2)
    b.add("Output", "output", loss="mse")
    model = compile_graph(b.graph)
    with torch.no_grad():  # channel 0 copies the input; channel 1 is always negative
        model.conv.weight.copy_(torch.tensor([[[[1.0]]], [[[0.0]]]]))
        model.conv.bias.copy_(torch.tensor([0.0, -1.0]))
    image = torch.arange(16.0).reshape(1, 4, 4)
    found = capture(model, (image,))
    assert torch.equal(found["relu"][0], image[0])
    shown = preview("relu", found["relu"])
    assert shown.kind == "map" and shown.dead == 1 and shown.note == "2 channels"
    pixels = rgb(shown.pixels)[..., 0]
    assert pixels.shape == (4, 9)  # two 4×4 tiles and a one-pixel gap
    assert pixels[0, 0] == 0 and pixels[3, 3] == 255  # normalised: 0 black, 15 white
    assert pixels[1, 2] == round(6 / 15 * 255)
    assert (pixels[:, 5:] == 0).all()  # the dead channel
    assert (pixels[:, 4] == 96).all()  # the gap


@pytest.mark.parametrize("template", ["cnn-small", "mlp", "lstm-text"])
def test_every_node_of_a_template_gets_a_small_picture(template: str) -> None:
    graph = build_template(template)
    model = compile_graph(graph)
    inputs = tuple(torch.randint(0, 20, shape) if template == "lstm-text"
                   else torch.rand(shape) for shape in model.input_shapes)
    shown = previews(model, inputs)
    names = {n.name for n in graph.nodes.values() if n.type != "Output"}
    assert set(shown) == names
    for item in shown.values():
        height, width, depth = item.pixels.shape
        assert depth == 4 and item.pixels.dtype == np.uint8
        assert item.pixels.flags.c_contiguous and (item.pixels[..., 3] == 255).all()
        assert 1 <= height <= 64 and 1 <= width <= 128
    if template == "cnn-small":
        assert shown["conv1"].shape == (32, 26, 26)
        assert shown["conv1"].note == "8 of 32 channels"
        assert shown["conv1"].pixels.shape == (2 * 26 + 1, 4 * 26 + 3, 4)
        assert shown["flatten"].note == "128 strongest of 5408"
        assert shown["flatten"].pixels.shape == (7, 32, 4)  # 4 rows of 32, 3 gaps
        assert shown["fc2"].pixels.shape == (1, 10, 4)
    if template == "lstm-text":
        assert shown["embedding"].kind == "sequence"
        assert shown["embedding"].pixels.shape[0] == 24  # the strongest features
        assert "strongest 24" in shown["embedding"].note


def test_strongest_values_of_a_long_vector_are_kept_in_order() -> None:
    values = torch.zeros(500)
    values[[7, 300, 499]] = torch.tensor([1.0, -3.0, 2.0])
    shown = preview("v", values)
    cells = shown.pixels[::2].reshape(-1, 4)  # the 128 kept, by position (no gap rows)
    assert len(cells) == 128
    coloured = [c.tolist() for c in cells if c.tolist() != DIVERGING[128].tolist()]
    assert coloured == [DIVERGING[int(1 * 127.5 / 3 + 128)].tolist(),  # index 7
                        DIVERGING[0].tolist(),  # index 300, -3
                        DIVERGING[int(2 * 127.5 / 3 + 128)].tolist()]  # index 499
    assert shown.note == "128 strongest of 500" and shown.dead == 497
    gray = preview("g", torch.tensor([0.0, 1.0, 4.0]))
    assert [p[0] for p in rgb(gray.pixels)[0]] == [0, 64, 255]
    assert gray.pixels[0, 2].tolist() == GRAY[255].tolist()


def test_capture_keeps_the_mode_and_recording_stops_after_its_block() -> None:
    model = compile_graph(build_template("mlp"))
    model.train()
    capture(model, (torch.rand(1, 28, 28),), ["fc1"])
    assert model.training
    with recording(model, ["fc1", "nothing-by-this-name"]) as found:
        model(torch.rand(3, 1, 28, 28))
    assert found["fc1"].shape == (128,)  # the first sample of the batch
    kept = found["fc1"]
    model(torch.rand(2, 1, 28, 28))
    assert found["fc1"] is kept  # no hook left behind


def test_a_validation_sample_is_prepared_as_in_training() -> None:
    bundle = load_data("builtin:digits28")
    x, y = split_sample(bundle.val, 3)
    assert torch.allclose(x, bundle.val.inputs()[3])
    assert int(y) == int(bundle.val.y[3])
    with pytest.raises(IndexError, match="outside"):
        split_sample(bundle.val, len(bundle.val))
