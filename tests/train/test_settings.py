"""Training settings: checked field by field, flat for project files, per-template defaults."""

from __future__ import annotations

import pytest

from dlstudio.graph.project import Project, project_from_dict, project_to_dict
from dlstudio.graph.templates import build_template, template_names
from dlstudio.train import TrainSettings, TrainSettingsError, defaults_for_template


def test_settings_round_trip_through_a_flat_dict() -> None:
    settings = TrainSettings(optimizer="sgd", nesterov=True, schedule="onecycle", loss="huber",
                             augment={"shift": 0.1, "flip_horizontal": True}, seed=3)
    flat = settings.to_dict()
    assert flat["augment.shift"] == 0.1 and "augment" not in flat
    assert all(not isinstance(v, (dict, list)) for v in flat.values())
    assert TrainSettings.from_dict(flat) == settings


def test_a_project_stores_the_settings_as_its_training_object() -> None:
    settings = TrainSettings(epochs=3, augment={"noise": 0.2})
    project = Project(graph=build_template("xor"), training=settings.to_dict())
    loaded = project_from_dict(project_to_dict(project))
    assert TrainSettings.from_dict(loaded.training) == settings


def test_nested_augmentation_and_missing_keys_are_accepted() -> None:
    settings = TrainSettings.from_dict({"epochs": 4, "augment": {"rotation": 10}})
    assert settings.epochs == 4 and settings.lr == 1e-3
    assert settings.augmentation.rotation == 10.0


@pytest.mark.parametrize(("changes", "field"), [
    ({"epochs": 0}, "epochs"),
    ({"epochs": 2.5}, "epochs"),
    ({"batch_size": True}, "batch_size"),
    ({"lr": 0}, "lr"),
    ({"lr": float("nan")}, "lr"),
    ({"optimizer": "lbfgs"}, "optimizer"),
    ({"momentum": 1.0}, "momentum"),
    ({"optimizer": "sgd", "momentum": 0.0, "nesterov": True}, "nesterov"),
    ({"schedule": "linear"}, "schedule"),
    ({"gamma": 0}, "gamma"),
    ({"label_smoothing": 1.0}, "label_smoothing"),
    ({"loss": "hinge"}, "loss"),
    ({"monitor": "val_speed"}, "monitor"),
    ({"seed": -1}, "seed"),
    ({"device": "tpu"}, "device"),
    ({"device": "cuda:x"}, "device"),
    ({"augment": {"spin": 1}}, "augment.spin"),
    ({"augment": {"rotation": 500}}, "augment"),
    ({"val_fraction": 1.0}, "val_fraction"),
])
def test_bad_values_name_their_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(TrainSettingsError) as caught:
        TrainSettings.from_dict(changes)
    assert caught.value.field == field and repr(field) in str(caught.value)


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(TrainSettingsError, match="'epoch'.*not a training setting"):
        TrainSettings.from_dict({"epoch": 3})


def test_whole_numbers_are_accepted_for_rates() -> None:
    assert TrainSettings(lr=1).lr == 1.0 and isinstance(TrainSettings(lr=1).lr, float)


@pytest.mark.parametrize("name", template_names())
def test_every_template_has_defaults_with_data(name: str) -> None:
    settings = defaults_for_template(name)
    assert settings.data.startswith("builtin:")
    assert build_template(name)  # the name is a real template


def test_defaults_for_an_unknown_template_list_the_known_ones() -> None:
    with pytest.raises(KeyError, match="xor"):
        defaults_for_template("nope")
