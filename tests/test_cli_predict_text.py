"""`dlstudio predict` on text models: greedy by default, seeded sampling with
--temperature and --top-k, the same for id models and the one-hot per-step char-rnn."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from dlstudio.compile import compile_graph
from dlstudio.data import load_data
from dlstudio.data.textfile import fit_text_to_graph
from dlstudio.graph.templates import build_template
from dlstudio.train import defaults_for_template, save_checkpoint

from .cli_checks import refused, run


def untrained_checkpoint(folder: Path, template: str, loss: str | None = None) -> Path:
    """A seeded, untrained `template` on builtin:text cut as training would cut it: its
    odds are nearly even, so a sampled text differs from the greedy one. `loss` replaces
    the Output's."""
    graph = build_template(template)
    if loss is not None:
        graph.nodes_of_type("Output")[0].params["loss"] = loss
    torch.manual_seed(0)
    model = compile_graph(graph)
    info = fit_text_to_graph(load_data("builtin:text"), graph).info
    path = folder / f"{template}{'-' + loss if loss else ''}.pt"
    save_checkpoint(path, graph=graph, settings=defaults_for_template(template),
                    data_info=info, model_state=model.state_dict(), optimizer_state={},
                    history=[], epoch=0)
    return path


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("text-models")
    return {name: untrained_checkpoint(folder, name) for name in ("lstm-text", "char-rnn")}


def continuation(capsys: pytest.CaptureFixture[str], checkpoint: Path, *flags: str) -> str:
    code, out, err = run(capsys, "predict", "--checkpoint", str(checkpoint), "Alice was",
                         "--json", "--length", "30", *flags)
    assert code == 0, err
    (prediction,) = json.loads(out)["predictions"]
    return prediction["continuation"]


@pytest.mark.parametrize("template", ["lstm-text", "char-rnn"])
def test_sampling_is_seeded_and_differs_from_greedy(capsys: pytest.CaptureFixture[str],
                                                    checkpoints: dict[str, Path],
                                                    template: str) -> None:
    checkpoint = checkpoints[template]
    greedy = continuation(capsys, checkpoint)
    assert len(greedy) == 30 and greedy == continuation(capsys, checkpoint, "--seed", "5")
    sampled = continuation(capsys, checkpoint, "--temperature", "1.2", "--seed", "5")
    assert sampled == continuation(capsys, checkpoint, "--temperature", "1.2", "--seed", "5")
    assert sampled != greedy
    assert sampled != continuation(capsys, checkpoint, "--temperature", "1.2", "--seed", "6")
    # top-k 1 leaves only the most likely character: the greedy text whatever the seed
    assert continuation(capsys, checkpoint, "--temperature", "1.2", "--top-k", "1",
                        "--seed", "7") == greedy


def test_the_json_says_how_it_generated(capsys: pytest.CaptureFixture[str],
                                        checkpoints: dict[str, Path]) -> None:
    code, out, _ = run(capsys, "predict", "--checkpoint", str(checkpoints["char-rnn"]),
                       "Alice", "--generate", "8", "--temperature", "0.5", "--top-k", "3",
                       "--seed", "1", "--json")
    data = json.loads(out)
    assert code == 0 and data["generation"] == {"length": 8, "temperature": 0.5,
                                                "top_k": 3, "seed": 1}
    (prediction,) = data["predictions"]
    assert len(prediction["top"]) == 3 and len(prediction["continuation"]) == 8
    code, out, _ = run(capsys, "predict", "--checkpoint", str(checkpoints["char-rnn"]),
                       "Alice", "--length", "5")
    assert code == 0 and out.startswith("'Alice': ") and "continues: " in out


@pytest.mark.parametrize(("flags", "words"), [
    (("--temperature", "-0.5"), ("--temperature", "-0.5")),
    (("--temperature", "nan"), ("--temperature",)),
    (("--top-k", "0"), ("--top-k", "at least 1")),
    (("--length", "-3"), ("--length",)),
])
def test_bad_generation_flags_are_refused(capsys: pytest.CaptureFixture[str],
                                          checkpoints: dict[str, Path],
                                          flags: tuple[str, ...], words: tuple[str, ...]) -> None:
    refused("predict", *run(capsys, "predict", "--checkpoint", str(checkpoints["char-rnn"]),
                            "Alice", *flags), *words)


def test_a_per_step_model_trained_on_one_hot_targets_reads_its_last_step(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """char-rnn with mse: its (T, C) outputs give the next character at the last step,
    one probability per character, as with cross_entropy."""
    checkpoint = untrained_checkpoint(tmp_path, "char-rnn", loss="mse")
    code, out, err = run(capsys, "predict", "--checkpoint", str(checkpoint), "Alice",
                         "--length", "5", "--top-k", "128", "--json")
    assert code == 0, err
    (prediction,) = json.loads(out)["predictions"]
    assert len(prediction["continuation"]) == 5 and len(prediction["top"]) == 128
    assert sum(entry["probability"] for entry in prediction["top"]) == pytest.approx(1.0)
