"""Targets as learners write them: one-hot target columns in a CSV file."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dlstudio.data import DataError, load_data
from dlstudio.graph import Graph
from dlstudio.train import Trainer, TrainSettings

ONE_HOT = """length,width,setosa,versicolor,virginica
5.1,1.4,1,0,0
4.9,1.3,1,0,0
5.0,1.5,1,0,0
4.7,1.2,1,0,0
6.3,4.9,0,1,0
6.0,4.5,0,1,0
6.7,4.4,0,1,0
6.1,4.7,0,1,0
7.1,5.9,0,0,1
6.5,5.8,0,0,1
7.3,6.3,0,0,1
6.9,5.7,0,0,1
"""


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _classes(bundle) -> list[int]:
    return torch.cat([bundle.train.y, bundle.val.y]).tolist()


def test_named_one_hot_columns_are_classes_in_the_order_given(tmp_path: Path) -> None:
    path = _write(tmp_path / "iris.csv", ONE_HOT)
    bundle = load_data(f"csv:{path}:setosa,versicolor,virginica", val_fraction=0.25)
    info = bundle.info
    assert info.task == "classification"
    assert info.class_names == ("setosa", "versicolor", "virginica")
    assert info.feature_names == ("length", "width") and info.input_shape == (2,)
    assert sorted(_classes(bundle)) == [0] * 4 + [1] * 4 + [2] * 4
    reordered = load_data(f"csv:{path}:virginica, setosa,versicolor", val_fraction=0.25)
    assert reordered.info.class_names == ("virginica", "setosa", "versicolor")
    assert torch.equal(reordered.train.x, bundle.train.x)
    assert [(c + 1) % 3 for c in bundle.train.y.tolist()] == reordered.train.y.tolist()


def test_one_hot_columns_at_the_end_are_found_without_a_target(tmp_path: Path) -> None:
    path = _write(tmp_path / "iris.csv", ONE_HOT)
    info = load_data(f"csv:{path}").info
    assert info.class_names == ("setosa", "versicolor", "virginica")
    assert info.feature_names == ("length", "width")
    # a column of zeros before them would make two readings: the last column is the target
    lines = ["a,b,none,x,y"] + [f"{i},{i % 2},0,{i % 2},{1 - i % 2}" for i in range(6)]
    ambiguous = _write(tmp_path / "ambiguous.csv", "\n".join(lines) + "\n")
    assert load_data(f"csv:{ambiguous}").info.feature_names == ("a", "b", "none", "x")


@pytest.mark.parametrize(("row", "held"), [
    ("6.5,5.8,0,0,0", "no 1"),
    ("6.5,5.8,0,1,1", "2 1s (in 'versicolor' and 'virginica')"),
])
def test_a_row_without_exactly_one_1_is_refused_naming_the_row(tmp_path: Path, row: str,
                                                               held: str) -> None:
    path = _write(tmp_path / "bad.csv", ONE_HOT.replace("6.5,5.8,0,0,1", row))
    with pytest.raises(DataError) as caught:
        load_data(f"csv:{path}:setosa,versicolor,virginica")
    assert str(caught.value) == (
        f"{path} row 11: the one-hot target columns 'setosa', 'versicolor', 'virginica' "
        f"hold {held}; exactly one must be 1")


def test_several_numeric_columns_are_a_regression_with_one_output_each(
        tmp_path: Path) -> None:
    path = _write(tmp_path / "iris.csv", ONE_HOT)
    bundle = load_data(f"csv:{path}:length,width")
    assert bundle.info.task == "regression" and bundle.info.target_shape == (2,)
    assert bundle.train.y.shape[1:] == (2,) and bundle.info.input_shape == (3,)
    with pytest.raises(DataError, match="several target columns make classes only when"):
        load_data(f"csv:{path}:length,width", task="classification")
    with pytest.raises(DataError, match="names a column twice"):
        load_data(f"csv:{path}:setosa,setosa")
    with pytest.raises(DataError, match="no column named 'rose'"):
        load_data(f"csv:{path}:setosa,rose")


def _classifier(loss: str, hidden: int = 16) -> Graph:
    g = Graph()
    nodes = [g.add_node("Input", name="features", params={"kind": "vector", "shape": (2,)}),
             g.add_node("Dense", name="fc1", params={"units": hidden}),
             g.add_node("Tanh", name="tanh"),
             g.add_node("Dense", name="fc2", params={"units": 3}),
             g.add_node("Softmax", name="softmax"),
             g.add_node("Output", name="output", params={"loss": loss})]
    for src, dst in zip(nodes, nodes[1:], strict=False):
        g.connect(src.id, dst.id)
    return g


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_one_hot_data_trains_with_cross_entropy_and_with_mse(tmp_path: Path,
                                                             loss: str) -> None:
    path = _write(tmp_path / "iris.csv", ONE_HOT)
    bundle = load_data(f"csv:{path}:setosa,versicolor,virginica", val_fraction=0.0)
    settings = TrainSettings(epochs=60, batch_size=12, lr=0.05, device="cpu",
                             mixed_precision=False, monitor="train_loss")
    result = Trainer(_classifier(loss), bundle, settings).run()
    losses = [epoch.train["loss"] for epoch in result.history]
    assert losses[-1] < 0.5 * losses[0]
    assert result.final["accuracy"] == 1.0
