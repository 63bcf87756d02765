"""Set up: the project a lesson starts from (graph, data, training settings), checked
when the lesson loads so Set up cannot fail later."""

from __future__ import annotations

from dlstudio.data import DataError, parse_spec
from dlstudio.graph import Graph, infer_shapes
from dlstudio.graph.errors import ProjectError
from dlstudio.graph.project import Project, load_project
from dlstudio.graph.templates import build_template, template_names
from dlstudio.lessons.errors import LessonError
from dlstudio.lessons.model import Lesson, Setup
from dlstudio.train.settings import TrainSettings, TrainSettingsError, defaults_for_template


def lesson_graph_and_base(setup: Setup) -> tuple[Graph, dict[str, object]]:
    """The starting graph and the settings the overrides go over: the template's training
    defaults, or the project file's own settings."""
    if setup.template is not None:
        if setup.template not in template_names():
            raise LessonError(f"{setup.template!r} is not a template; choose one of "
                              + ", ".join(template_names()), "setup.template")
        built = build_template(setup.template)
        graph = built if isinstance(built, Graph) else built.graph
        try:
            base = defaults_for_template(setup.template).to_dict()
        except KeyError:
            base = TrainSettings().to_dict()
        return graph, base
    assert setup.project is not None
    try:
        project = load_project(setup.project)
    except ProjectError as error:
        raise LessonError(str(error), "setup.project") from None
    return project.graph, {**TrainSettings().to_dict(), **project.training}


def lesson_settings(setup: Setup) -> TrainSettings:
    _, base = lesson_graph_and_base(setup)
    try:
        return TrainSettings.from_dict({**base, **setup.training, "data": setup.data})
    except TrainSettingsError as error:
        raise LessonError(error.problem, f"setup.training.{error.field}") from None


def check_setup(setup: Setup) -> None:
    """Refuse a setup whose template, project, data spec or settings cannot be used, or
    whose graph has shape errors."""
    graph, _ = lesson_graph_and_base(setup)
    try:
        parse_spec(setup.data)
    except DataError as error:
        raise LessonError(str(error), "setup.data") from None
    lesson_settings(setup)
    errors = [p for p in infer_shapes(graph).problems if p.severity == "error"]
    if errors:
        raise LessonError(f"the starting network has errors: {errors[0]}", "setup")


def lesson_project(lesson: Lesson) -> Project:
    """A new, unsaved project for the lesson: its graph, data and full settings (stored
    whole, so they do not depend on which template's defaults the app would pick)."""
    graph, _ = lesson_graph_and_base(lesson.setup)
    settings = lesson_settings(lesson.setup).to_dict()
    data = settings.pop("data")
    return Project(graph=graph, name=lesson.project_name, dataset={"spec": data},
                   training=settings)
