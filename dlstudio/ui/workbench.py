"""The whole app around the main window: the Train workspace (data and settings, the live
dashboard, a glance at the network) and the Evaluate workspace (a run measured on
held-out data, and Try it), wired so that a run's weights reach Try it, Evaluate and
File > Export, and so that starting a run shows Train."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dlstudio.ui.byom.install import Byom, install_byom
from dlstudio.ui.canvas.activation_overlay import ActivationOverlay, install_activations
from dlstudio.ui.canvas.activation_panel import ActivationPanel
from dlstudio.ui.canvas.cost_overlay import install_cost_overlay
from dlstudio.ui.evaluate import EvaluatePanel
from dlstudio.ui.health.install import install_health
from dlstudio.ui.main_window import MainWindow
from dlstudio.ui.training import TrainingUI, install_training
from dlstudio.ui.training.lr_finder_dialog import install_lr_finder
from dlstudio.ui.tryit import TryItPanel
from dlstudio.ui.workspaces import evaluate, train
from dlstudio.ui.workspaces.glance import GraphGlance


@dataclass
class Workbench:
    """What `install_workbench` added to a window (for tests and screenshots)."""

    training: TrainingUI
    try_panel: TryItPanel
    evaluation: EvaluatePanel
    glance: GraphGlance
    byom: Byom
    activations: ActivationOverlay
    network: ActivationPanel  # the Evaluate workspace's view of the network and outputs


def install_workbench(window: MainWindow) -> Workbench:
    """Add the Train and Evaluate workspaces; follow each run's weights."""
    training = install_training(window)
    byom = install_byom(window, training.panel.form)
    install_health(window, training)  # badges, Problems lines, one-click fixes
    install_lr_finder(window, training.session)
    install_cost_overlay(window)  # View ▸ Show layer costs
    glance = GraphGlance()
    train.build_train(window.workspaces.add(train.KEY, train.TITLE, train.TIP),
                      training.dashboard,
                      {"Data and training": training.panel, "Network": glance})
    try_panel = TryItPanel()
    evaluation = EvaluatePanel()
    activations = install_activations(window, try_panel, training.panel.data.load)
    network = ActivationPanel(activations)
    evaluate.build_evaluate(window.workspaces.add(evaluate.KEY, evaluate.TITLE, evaluate.TIP),
                            evaluation, {"Try it": try_panel, "Layer outputs": network})
    session = training.session

    def on_weights_ready(checkpoint: Path | None) -> None:
        window.trained_checkpoint = checkpoint
        try_panel.set_model(checkpoint)

    def on_runs_changed() -> None:
        evaluation.set_store(session.store)

    def on_locked_changed(locked: bool) -> None:
        if locked and window.follows_training():
            window.show_workspace(train.KEY)

    def on_document_changed(_document: object) -> None:
        glance.follow(window.view.canvas_scene)
        network.glance.follow(window.view.canvas_scene)

    session.weights_ready.connect(on_weights_ready)
    session.runs_changed.connect(on_runs_changed)
    session.locked_changed.connect(on_locked_changed)
    window.document_changed.connect(on_document_changed)
    window.action_map["train"].triggered.connect(session.train)
    glance.design_requested.connect(lambda: window.show_workspace("design"))
    window.closed.connect(evaluation.shutdown)
    # Replay: an epoch chosen on either slider is tried in Try it (the run's own
    # checkpoint, window.trained_checkpoint and Export stay as they are).
    training.dashboard.replay.weights_chosen.connect(try_panel.set_model)
    evaluation.weights_chosen.connect(try_panel.set_model)
    window.closed.connect(training.dashboard.replay.shutdown)
    glance.follow(window.view.canvas_scene)
    network.glance.follow(window.view.canvas_scene)
    network.glance.design_requested.connect(lambda: window.show_workspace("design"))
    training.panel.data.spec_changed.connect(lambda _spec: activations.forget_data())
    on_runs_changed()
    on_weights_ready(session.latest_checkpoint())
    return Workbench(training, try_panel, evaluation, glance, byom, activations, network)
