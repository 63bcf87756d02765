"""Train lessons' setups in full, as a learner's first run would, and print the CPU time
and which steps that run already ticks: how a teacher measures `minutes` and checks that
targets are reachable. `python -m dlstudio.lessons.measure [ID ...]` (not part of the
test suite: it takes minutes)."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from dlstudio.lessons.checks import passes
from dlstudio.lessons.loader import load_lessons
from dlstudio.lessons.model import Lesson
from dlstudio.lessons.setup import lesson_project
from dlstudio.lessons.state import LessonState, checkpoint_weights
from dlstudio.runs import Run, RunStore


def train_setup(lesson: Lesson, store: RunStore) -> tuple[Run, float]:
    """One run of the lesson as Set up leaves it, recorded as the app records runs."""
    from dlstudio.train import Trainer, TrainSettings
    from dlstudio.train.preflight import load_training_data

    project = lesson_project(lesson)
    settings = TrainSettings.from_dict({**project.training,
                                        "data": project.dataset["spec"]})
    data = load_training_data(project.graph, settings)
    run = store.create(name=project.name, data=settings.data, settings=settings.to_dict(),
                       graph=project.graph.to_dict())
    start = time.perf_counter()
    trainer = Trainer(project.graph, data, settings, out_dir=run.checkpoint_dir)
    trainer.events.epoch_ended.connect(lambda stats: run.history.append(stats.to_dict()))
    result = trainer.run()
    seconds = time.perf_counter() - start
    run.status = "stopped" if result.stopped else "finished"
    run.result = {k: v for k, v in result.to_dict().items() if k != "epochs"}
    store.save(run)
    return RunStore.load(run.folder), seconds


def main(argv: list[str]) -> int:
    lessons = load_lessons().lessons
    wanted = [lesson for lesson in lessons if not argv or lesson.id in argv]
    with tempfile.TemporaryDirectory() as folder:
        for lesson in wanted:
            run, seconds = train_setup(lesson, RunStore(Path(folder) / lesson.id))
            state = LessonState(lesson_project(lesson).graph, run.settings, [run],
                                checkpoint_weights)
            ticked = [str(i + 1) for i, step in enumerate(lesson.steps)
                      if step.check is not None and passes(step.check, state)]
            final = {k: round(v, 4) for k, v in (run.history[-1].get("val") or {}).items()
                     if k in ("loss", "accuracy", "mae")}
            print(f"{lesson.id}: {seconds:.1f} s for {len(run.history)} epochs "
                  f"(lesson says {lesson.minutes:g} min); last val {final}; "
                  f"steps ticked by this first run: {', '.join(ticked) or 'none'}",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
