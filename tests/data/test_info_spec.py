"""DataInfo survives JSON (checkpoints) and refuses malformed fields by name; data specs
parse as DESIGN.md fixes them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlstudio.data import DataError, DataInfo, DataSpec, builtin_names, load_data, parse_spec


def test_every_builtin_info_round_trips_through_json() -> None:
    for name in builtin_names():
        info = load_data(f"builtin:{name}").info
        text = json.dumps(info.to_dict())
        assert DataInfo.from_dict(json.loads(text)) == info, name


def test_loaded_file_infos_round_trip(mnist_folder: Path, image_folder: Path) -> None:
    for spec in (f"idx:{mnist_folder}", f"folder:{image_folder}"):
        info = load_data(spec).info
        assert DataInfo.from_dict(json.loads(json.dumps(info.to_dict()))) == info


@pytest.mark.parametrize(("change", "message"), [
    ({"kind": None}, "field 'kind' has the wrong type"),
    ({"input_shape": [1, -2]}, "field 'input_shape' must hold positive whole numbers"),
    ({"image": {"polarity": "sideways", "original_size": [8, 8]}}, "'image.polarity'"),
    ({"normalisation": {"mean": [0.1]}}, "field 'normalisation.std' is missing"),
    ({"version": 2}, "version 2 is not supported"),
    ({"task": "ranking"}, "task 'ranking' is not one of"),
    ({"class_names": ["only"]}, "classification needs at least 2 class names"),
])
def test_malformed_info_is_refused_by_field(change: dict, message: str) -> None:
    data = load_data("builtin:digits").info.to_dict() | change
    with pytest.raises(DataError, match=message):
        DataInfo.from_dict(data)


def test_a_missing_field_or_a_non_object_is_named() -> None:
    data = load_data("builtin:digits").info.to_dict()
    with pytest.raises(DataError, match="field 'name' is missing"):
        DataInfo.from_dict({k: v for k, v in data.items() if k != "name"})
    with pytest.raises(DataError, match="expected a JSON object"):
        DataInfo.from_dict([data])


def test_specs_parse_into_their_parts(tmp_path: Path) -> None:
    assert parse_spec("builtin:xor") == DataSpec("builtin", "xor")
    assert parse_spec("idx:/data/mnist") == DataSpec("idx", "/data/mnist")
    assert parse_spec("folder:pics") == DataSpec("folder", "pics")
    assert parse_spec("csv:table.csv:price") == DataSpec("csv", "table.csv", "price")
    assert str(parse_spec("csv:table.csv:price")) == "csv:table.csv:price"
    odd = tmp_path / "a:b.csv"  # an existing file wins over a target column
    odd.write_text("x,y\n1,a\n2,b\n3,a\n")
    assert parse_spec(f"csv:{odd}") == DataSpec("csv", str(odd))


@pytest.mark.parametrize("spec", ["mnist", "http:x", "builtin:", "zip:file.zip"])
def test_bad_specs_list_the_accepted_forms(spec: str) -> None:
    with pytest.raises(DataError, match="builtin:NAME, idx:DIR, csv:FILE.*folder:DIR"):
        load_data(spec)


def test_options_are_checked_before_loading() -> None:
    with pytest.raises(DataError, match="channels must be 1 .gray. or 3"):
        load_data("builtin:digits", channels=2)
    with pytest.raises(DataError, match="image_size must be a size in pixels"):
        load_data("builtin:digits", image_size=0)
    with pytest.raises(DataError, match="task must be one of"):
        load_data("builtin:digits", task="ranking")
