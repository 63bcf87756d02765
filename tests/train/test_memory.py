"""The memory check: the estimate against what torch really allocates, a graph of 10^19
parameters refused in moments (by `train`, with its biggest layer named; `summary` only
warns), the data checked before the memory and the memory before any weight, and the
limit setting that moves the line."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import torch

from dlstudio import cli
from dlstudio.compile import compile_graph, training_loss
from dlstudio.data import DataBundle
from dlstudio.graph import Graph
from dlstudio.graph.project import Project, save_project
from dlstudio.graph.summary import summarize
from dlstudio.graph.templates import build_template
from dlstudio.train import Trainer, TrainingError, TrainSettings
from dlstudio.train.memory import (
    BACKWARD_FACTOR,
    check_memory,
    estimate_memory,
    format_bytes,
    measure_kept_bytes,
    ram_available,
)
from dlstudio.train.optim import build_optimizer

from .conftest import digits_mlp


def huge_graph(classes: int = 10) -> Graph:
    """10^19 weights in one Dense: the 8×8 digits enlarged to 100,000 × 100,000, 1,000
    filters kept at that size (10^13 values), flattened into 10^6 units."""
    g = Graph()
    chain = [g.add_node("Input", name="image", params={"kind": "image", "shape": (1, 8, 8)}),
             g.add_node("Upsample", name="enlarge", params={"size": (100_000, 100_000)}),
             g.add_node("Conv2d", name="conv_1", params={"filters": 1000, "kernel_size": 3,
                                                         "padding": "same"}),
             g.add_node("Flatten", name="flatten"),
             g.add_node("Dense", name="dense_1", params={"units": 1_000_000}),
             g.add_node("Dense", name="dense_2", params={"units": classes}),
             g.add_node("Softmax", name="softmax"),
             g.add_node("Output", name="output", params={"loss": "cross_entropy"})]
    for src, dst in zip(chain, chain[1:], strict=False):
        g.connect(src.id, dst.id)
    return g


@pytest.mark.parametrize("template", ["mlp", "cnn-small", "lenet5", "lstm-text",
                                      "transformer-text", "autoencoder"])
def test_parameter_bytes_are_those_of_the_compiled_model(template: str) -> None:
    graph = build_template(template)
    model = compile_graph(graph)
    estimate = estimate_memory(graph, batch_size=8)
    assert estimate.parameter_bytes == sum(p.numel() * 4 for p in model.parameters())
    assert estimate.params == summarize(graph).total_params


@pytest.mark.parametrize(("optimizer", "momentum"),
                         [("adam", 0.9), ("adamw", 0.9), ("sgd", 0.9), ("sgd", 0.0),
                          ("rmsprop", 0.0), ("adagrad", 0.0)])
def test_gradient_and_optimizer_bytes_are_what_one_real_step_keeps(
        optimizer: str, momentum: float) -> None:
    graph = build_template("cnn-small")
    model = compile_graph(graph)
    settings = TrainSettings(optimizer=optimizer, momentum=momentum)
    params = list(model.parameters())
    step = build_optimizer(settings, params, torch.device("cpu"))
    x = torch.randn(4, 1, 28, 28)
    training_loss(model, 0.0)(model.logits(x), torch.randint(0, 10, (4,))).backward()
    step.step()
    grads = sum(p.grad.numel() * p.grad.element_size() for p in params)
    kept = sum(value.numel() * value.element_size() for state in step.state.values()
               for key, value in state.items()
               if isinstance(value, torch.Tensor) and key != "step")
    estimate = estimate_memory(graph, 4, optimizer, momentum)
    assert estimate.gradient_bytes == grads
    assert estimate.optimizer_bytes == kept


@pytest.mark.parametrize("template", ["mlp", "cnn-small", "lenet5", "cnn-two-block",
                                      "autoencoder"])
def test_activation_estimate_covers_what_autograd_keeps_within_four_times(
        template: str) -> None:
    """Measured: every tensor autograd saves for the backward pass of a batch (unique
    storages, the weights left out: they are counted as weights), plus the output.
    The rule counts each output twice (BACKWARD_FACTOR: the saved copy and its gradient
    during backward), so it should lie above that figure, by about 2 (2.2 to 3.5 on
    these templates: pooling and activations save less than their output). The bounds
    (never below, at most 4x) keep it a safe planning figure that still tells 3 GB from
    30 GB, which is all the check decides."""
    graph = build_template(template)
    model = compile_graph(graph)
    batch = 32
    x = torch.randn(batch, 1, 28, 28, requires_grad=True)
    measured = measure_kept_bytes(model, lambda: model.logits(x))
    estimate = estimate_memory(graph, batch).activation_bytes
    assert measured <= estimate <= measured * 4, (format_bytes(estimate),
                                                  format_bytes(measured))
    assert BACKWARD_FACTOR == 2


@pytest.mark.parametrize("onednn", [True, False])
@pytest.mark.parametrize(("layer", "layers", "bidirectional"),
                         [("LSTM", 1, False), ("LSTM", 2, True), ("GRU", 2, False),
                          ("RNN", 1, True)])
def test_recurrent_layers_count_what_they_keep_per_step(
        layer: str, layers: int, bidirectional: bool, onednn: bool) -> None:
    """An LSTM's output is a small part of what it keeps (gates and states of every step):
    the estimate covers what either of torch's CPU kernels (oneDNN, ATen) saves, within
    4x, for the lstm-text shape (40 steps over 32 values, 128 units) and variants."""
    graph = Graph()
    chain = [graph.add_node("Input", params={"kind": "sequence", "shape": (40, 32)}),
             graph.add_node(layer, params={"units": 128, "num_layers": layers,
                                           "bidirectional": bidirectional,
                                           "return_sequences": True}),
             graph.add_node("Output", params={"loss": "mse"})]
    for src, dst in zip(chain, chain[1:], strict=False):
        graph.connect(src.id, dst.id)
    batch = 16
    with torch.backends.mkldnn.flags(enabled=onednn):
        model = compile_graph(graph)
        x = torch.randn(batch, 40, 32, requires_grad=True)
        measured = measure_kept_bytes(model, lambda: model.logits(x))
    estimate = estimate_memory(graph, batch).activation_bytes
    assert measured <= estimate <= measured * 4, (format_bytes(estimate),
                                                  format_bytes(measured))


def test_lstm_text_estimate_covers_what_autograd_keeps() -> None:
    """The whole template (was ~0.04x of the measured figure when only the LSTM's last
    output was counted)."""
    graph = build_template("lstm-text")
    model = compile_graph(graph)
    x = torch.randint(0, 128, (32, 40))
    measured = measure_kept_bytes(model, lambda: model.logits(x))
    estimate = estimate_memory(graph, 32).activation_bytes
    assert measured <= estimate <= measured * 4, (format_bytes(estimate),
                                                  format_bytes(measured))


def test_train_refuses_ten_to_the_nineteen_parameters_at_once(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    project = tmp_path / "huge.dlstudio"
    save_project(Project(huge_graph(), name="huge"), project)
    started = time.perf_counter()
    code = cli.main(["train", str(project), "--data", "builtin:digits", "--epochs", "1",
                     "--device", "cpu", "--out", str(tmp_path / "run")])
    seconds = time.perf_counter() - started
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert err.startswith("dlstudio train: error: the model needs ")
    assert "for one batch of 64" in err and "dense_1 (" in err
    assert err.index("dense_1") < err.index("conv_1")  # biggest first
    assert "--memory-limit-gb" in err
    assert seconds < 10 and not (tmp_path / "run").exists()
    # summary shows the same graph, with exact counts, and only warns
    code = cli.main(["summary", str(project)])
    out, err = capsys.readouterr()
    assert code == 0
    assert "Total params: 10,000,000," in out and "Memory for one batch of 64:" in out
    assert err.startswith("warning: the model needs") and "train would refuse" in err
    code = cli.main(["summary", str(project), "--json"])
    out, _ = capsys.readouterr()
    memory = json.loads(out)["memory"]
    assert memory["batch_size"] == 64 and memory["total_bytes"] > 10**19 * 4
    assert memory["biggest"][0]["name"] == "dense_1"


def test_the_data_is_checked_before_the_memory(digits: DataBundle) -> None:
    """A graph both enormous and wrong for the data: the cheap data error wins."""
    started = time.perf_counter()
    with pytest.raises(TrainingError, match="does not fit the graph") as caught:
        Trainer(huge_graph(classes=7), digits, TrainSettings(epochs=1, device="cpu"))
    assert "7" in str(caught.value) and "memory" not in str(caught.value)
    assert time.perf_counter() - started < 5


def test_the_limit_setting_refuses_and_then_lets_a_small_model_train(
        small_digits: DataBundle) -> None:
    graph = digits_mlp()
    needs = estimate_memory(graph, 16).total
    tight = TrainSettings(epochs=1, batch_size=16, device="cpu",
                          memory_limit_gb=needs / 2 / 1e9)
    with pytest.raises(TrainingError, match="memory limit setting allows: fc1") as caught:
        Trainer(graph, small_digits, tight)
    assert f"needs {format_bytes(needs)} for one batch of 16" in str(caught.value)
    roomy = TrainSettings(epochs=1, batch_size=16, device="cpu",
                          memory_limit_gb=needs * 2 / 1e9)
    result = Trainer(graph, small_digits, roomy).run()
    assert len(result.history) == 1
    assert check_memory(graph, roomy, "cpu").total == needs


def test_the_limit_flag_reaches_the_cli(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    code = cli.main(["train", "--template", "xor", "--epochs", "1", "--device", "cpu",
                     "--memory-limit-gb", "0.000000001", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "but 1 bytes the memory limit setting allows" in err
    code = cli.main(["train", "--template", "xor", "--epochs", "1", "--device", "cpu",
                     "--memory-limit-gb", "1", "--out", str(tmp_path)])
    assert code == 0


def test_free_memory_is_read_from_this_machine() -> None:
    free = ram_available()
    assert free is not None and free > 0
    with open("/proc/meminfo", encoding="ascii") as file:  # Linux: what it reads
        total_kb = int(next(line for line in file if line.startswith("MemTotal")).split()[1])
    assert free <= total_kb * 1024


def test_summary_reads_a_project_once_and_uses_its_training_settings(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A 10,000-node file costs seconds to read: summary's memory line takes the batch
    size and limit from the same read as the graph."""
    import dlstudio.graph.project as project_module

    project = tmp_path / "mlp.dlstudio"
    save_project(Project(digits_mlp(), name="mlp",
                         training={"batch_size": 8, "memory_limit_gb": 1e-9}), project)
    reads: list[Path] = []
    real_load = project_module.load_project

    def counted(path: Path) -> Project:
        reads.append(Path(path))
        return real_load(path)

    monkeypatch.setattr(project_module, "load_project", counted)
    code = cli.main(["summary", str(project)])
    out, err = capsys.readouterr()
    assert code == 0 and reads == [project]
    assert "Memory for one batch of 8:" in out
    assert "the memory limit setting allows" in err and "train would refuse" in err


def test_shapes_inferred_once_give_the_same_estimate_and_table() -> None:
    """summary and train pass the shapes they inferred to the estimate (a 10,000-node
    graph took a third of a second more per inference)."""
    from dlstudio.graph import infer_shapes

    graph = build_template("cnn-small")
    shapes = infer_shapes(graph)
    assert estimate_memory(graph, 16, report=shapes) == estimate_memory(graph, 16)
    assert summarize(graph, shapes) == summarize(graph)
