"""Lesson files: the shipped ones load and use only known checks; a broken file is one
line naming the file and the field, and the other lessons still load."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dlstudio.lessons import (
    CHECKS,
    LESSONS_DIR,
    LessonError,
    check_kinds,
    describe,
    lesson_project,
    load_lesson,
    load_lessons,
)
from dlstudio.lessons.text import paragraphs_html

EXPECTED = {"linear-regression", "logistic-regression", "xor", "mnist-cnns", "overfitting",
            "optimizers", "vgg16-transfer", "lstm-text"}


def test_every_shipped_lesson_loads_with_known_checks():
    result = load_lessons()
    assert result.problems == []
    assert {lesson.id for lesson in result.lessons} == EXPECTED
    assert [lesson.order for lesson in result.lessons] == sorted(
        lesson.order for lesson in result.lessons)
    for lesson in result.lessons:
        checks = [step.check for step in lesson.steps if step.check is not None]
        assert checks, f"{lesson.id} has no step the app can check"
        for check in checks:
            assert set(check_kinds(check)) <= set(CHECKS)
            assert describe(check)
        assert 0 < lesson.minutes <= 10, f"{lesson.id} must run on the CPU in minutes"
        assert lesson.measured


def _minimal(**changes):
    data = {"format": 1, "id": "t", "title": "T", "minutes": 1, "summary": "S",
            "setup": {"template": "xor", "data": "builtin:xor"},
            "steps": [{"title": "Go", "text": "Do it", "check": {"hidden_layer": True}}]}
    data.update(changes)
    return data


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"colour": 1}, "colour", "not a lesson field"),
    ({"minutes": 0}, "minutes", "CPU minutes"),
    ({"id": "Has Space"}, "id", "lower-case"),
    ({"setup": {"template": "xorr", "data": "builtin:xor"}}, "setup.template",
     "not a template"),
    ({"setup": {"template": "xor", "data": "nowhere"}}, "setup.data", "not understood"),
    ({"setup": {"template": "xor", "data": "builtin:xor", "training": {"lr": -1}}},
     "setup.training.lr", ""),
    ({"setup": {"template": "xor", "data": "builtin:xor", "training": {"optimiser": "sgd"}}},
     "setup.training.optimiser", "not a training setting"),
    ({"steps": [{"title": "a", "text": "b", "check": {"hidden_layers": True}}]},
     "steps[0].check", "'hidden_layers' is not a check"),
    ({"steps": [{"title": "a", "text": "b", "check": {"setting": {"optimizr": "sgd"}}}]},
     "steps[0].check.setting.optimizr", "not a training setting"),
    ({"steps": [{"title": "a", "text": "b",
                 "check": {"graph_has": {"type": "Dens", "min_count": 2}}}]},
     "steps[0].check.graph_has.type", "not a layer type"),
    ({"steps": [{"title": "a", "text": "b",
                 "check": {"run_metric": {"name": "val_acc", "at_least": 0.9}}}]},
     "steps[0].check.run_metric.name", "not a metric"),
    ({"steps": [{"title": "a", "text": "b", "check": {"any": [{"hidden_layer": "yes"}]}}]},
     "steps[0].check.any[0].hidden_layer", "true or false"),
    ({"steps": [{"title": "a", "text": "b", "check": {"run_finished": {
        "graph": {"run_metric": {"name": "val_loss", "at_most": 1}}}}}]},
     "steps[0].check.run_finished.graph", "not a check here"),
    ({"steps": []}, "steps", "at least one step"),
])
def test_a_bad_field_is_named_with_its_file(tmp_path, changes, field, words):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_minimal(**changes)))
    with pytest.raises(LessonError) as caught:
        load_lesson(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {field}: "), message
    assert words in message
    assert "\n" not in message


def test_a_broken_file_is_listed_and_the_others_still_load(tmp_path):
    for path in LESSONS_DIR.iterdir():
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "99-broken.json").write_text('{"format": 1, "id": "broken",')
    twin = json.loads((tmp_path / "03-xor.json").read_text())
    (tmp_path / "98-twin.json").write_text(json.dumps(twin))
    result = load_lessons(tmp_path)
    assert {lesson.id for lesson in result.lessons} == EXPECTED
    assert len(result.problems) == 2
    assert any("99-broken.json: not valid JSON at line 1" in p for p in result.problems)
    assert any("98-twin.json: id: the id 'xor' is also 03-xor.json's" in p
               for p in result.problems)


def test_setup_gives_the_lessons_graph_data_and_settings():
    xor = next(lesson for lesson in load_lessons().lessons if lesson.id == "xor")
    project = lesson_project(xor)
    assert sorted(node.type for node in project.graph.nodes.values()) == [
        "Dense", "Input", "Output", "Sigmoid"]
    assert project.dataset == {"spec": "builtin:xor"}
    assert project.training["epochs"] == 60 and project.training["optimizer"] == "adam"
    assert project.name == "lesson-xor"
    assert "data" not in project.training


def test_lesson_text_markup_is_escaped_then_marked_up():
    html = paragraphs_html(["Press **Train** <now> and set `lr` to *small*.",
                            "- one\n- two"])
    assert html == ("<p>Press <b>Train</b> &lt;now&gt; and set <code>lr</code> to "
                    "<i>small</i>.</p><ul><li>one</li><li>two</li></ul>")


def test_the_xor_start_is_a_project_file_beside_the_lessons():
    xor = load_lesson(LESSONS_DIR / "03-xor.json")
    assert xor.setup.project == Path(LESSONS_DIR / "xor-no-hidden-layer.dlstudio")
