"""The primer's character LSTM (char-rnn) trains as built; text checkpoints evaluate and
generate with the samples cut as in training."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from dlstudio import cli
from dlstudio.compile import compile_graph
from dlstudio.data import load_data
from dlstudio.graph.model import Graph
from dlstudio.graph.project import Project, save_project
from dlstudio.graph.summary import summarize
from dlstudio.graph.templates import build_template
from dlstudio.infer import Predictor, evaluate_checkpoint
from dlstudio.train import Trainer, defaults_for_template, load_checkpoint

RHYME = ("the cat sat on the mat. the dog sat on the log. "
         "a cat and a dog sat on a mat and a log. ") * 6


def sized(graph: Graph, window: int, vocab: int) -> Graph:
    """char-rnn for another text: the Input's shape and the last Dense's units."""
    nodes = {node.name: node for node in graph.nodes.values()}
    graph.set_param(nodes["chars"].id, "shape", (window, vocab))
    graph.set_param(nodes["fc"].id, "units", vocab)
    return graph


@pytest.fixture(scope="module")
def rhyme_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list, str]:
    """char-rnn (128 units) trained 2 epochs on a small text; (checkpoint, history, spec)."""
    folder = tmp_path_factory.mktemp("rhyme")
    path = folder / "rhyme.txt"
    path.write_text(RHYME, encoding="utf-8")
    spec = f"text:{path}"
    data = load_data(spec, val_fraction=0.2)
    graph = sized(build_template("char-rnn"), 20, data.info.num_classes)
    settings = replace(defaults_for_template("char-rnn"), data=spec, epochs=2, batch_size=32,
                       lr=1e-2, val_fraction=0.2, device="cpu")
    result = Trainer(graph, data, settings, out_dir=folder / "run").run()
    assert result.checkpoint is not None
    return Path(result.checkpoint), result.history, spec


def test_char_rnn_is_the_primers_model() -> None:
    graph = build_template("char-rnn")
    assert summarize(graph).total_params == 148_608
    model = compile_graph(graph)
    assert sum(p.numel() for p in model.parameters()) == 148_608
    assert model.output_shape == (40, 128)  # a distribution over 128 codes at every step
    # the same network written in plain PyTorch: nn.LSTM has two bias vectors per gate
    plain = torch.nn.ModuleList([torch.nn.LSTM(128, 128, batch_first=True),
                                 torch.nn.Linear(128, 128)])
    assert sum(p.numel() for p in plain.parameters()) == 148_608
    # As built it takes builtin:text: one-hot ASCII characters, the next one at every step.
    settings = replace(defaults_for_template("char-rnn"), device="cpu", epochs=1)
    trainer = Trainer(graph, load_data("builtin:text"), settings)
    assert trainer.data.info.input_shape == (40, 128)
    assert trainer.data.info.target_shape == (40,)


def test_char_rnn_learns_a_small_text(rhyme_run: tuple[Path, list, str]) -> None:
    _, history, _ = rhyme_run
    first, last = history[0], history[-1]
    assert last.train["loss"] < first.train["loss"]
    assert last.val["loss"] < first.val["loss"] < np.log(16)  # chance over the characters


def test_a_text_checkpoint_evaluates_on_the_windows_it_validated_on(
        rhyme_run: tuple[Path, list, str]) -> None:
    checkpoint, history, spec = rhyme_run
    evaluation = evaluate_checkpoint(checkpoint)
    assert evaluation.data == spec and evaluation.task == "classification"
    assert evaluation.loss == pytest.approx(history[-1].val["loss"], rel=1e-4)
    assert evaluation.metrics["accuracy"] == pytest.approx(history[-1].val["accuracy"],
                                                           abs=1e-6)


def test_generation_is_greedy_or_seeded_sampling(rhyme_run: tuple[Path, list, str]) -> None:
    checkpoint, _, _ = rhyme_run
    predictor = Predictor.from_checkpoint(checkpoint)
    greedy = predictor.generate("the cat ", 40)
    assert greedy == predictor.generate("the cat ", 40) and len(greedy) == 40

    def sampled(seed: int, top_k: int | None = None) -> str:
        return predictor.generate("the cat ", 40, temperature=1.5, top_k=top_k,
                                  rng=np.random.default_rng(seed))

    assert sampled(1) == sampled(1)
    assert sampled(1) != greedy and sampled(1) != sampled(2)
    assert sampled(3, top_k=1) == greedy  # the one most likely character, every time
    prediction = predictor.predict_text("the dog ", top_k=3, length=10, temperature=0.8,
                                        sample_top_k=3, rng=np.random.default_rng(0))
    assert len(prediction.top) == 3 and len(prediction.continuation or "") == 10
    assert prediction.label in RHYME


def test_a_token_model_samples_too() -> None:
    info = load_data("builtin:text").info
    torch.manual_seed(0)
    predictor = Predictor(compile_graph(build_template("transformer-text")), info)
    runs = [predictor.generate("Alice was", 12, 1.0, 5, np.random.default_rng(4))
            for _ in range(2)]
    assert runs[0] == runs[1] and len(runs[0]) == 12


def test_folds_cut_the_text_for_the_graph_first(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    text = tmp_path / "rhyme.txt"
    text.write_text(RHYME, encoding="utf-8")
    vocab = load_data(f"text:{text}").info.num_classes
    project = tmp_path / "chars.dlstudio"
    save_project(Project(graph=sized(build_template("char-rnn"), 16, vocab),
                         dataset={"spec": f"text:{text}"}), project)
    code = cli.main(["train", str(project), "--folds", "2", "--epochs", "1", "--device", "cpu",
                     "--out", str(tmp_path / "runs")])
    _, err = capsys.readouterr()
    assert code == 0, err
    info = load_checkpoint(tmp_path / "runs" / "fold-2" / "last.pt").data_info
    assert info.input_shape == (16, vocab) and info.target_shape == (16,)
