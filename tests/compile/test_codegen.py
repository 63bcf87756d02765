"""generate_source: the file runs where DL Studio is not installed, takes a compiled model's
state_dict with strict=True and computes the same outputs; graph data never becomes code."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlstudio.compile import CompileError, compile_graph, generate_source
from dlstudio.compile.modules import TokenEmbedding
from dlstudio.graph import Graph, LayerSpec, all_layer_specs, infer_shapes

# Runs each generated file with DL Studio made unimportable, loads the weights strictly and
# saves what the model computes.
CHILD = r"""
import json, runpy, sys
sys.modules["dlstudio"] = None
try:
    import dlstudio
except ImportError:
    pass
else:
    raise SystemExit("dlstudio is importable in the child")
import torch
for case in json.loads(sys.argv[1]):
    model = runpy.run_path(case["source"])[case["class_name"]]()
    model.load_state_dict(torch.load(case["weights"], weights_only=True), strict=True)
    model.eval()
    inputs = torch.load(case["inputs"], weights_only=True)
    with torch.no_grad():
        result = {"output": model(*inputs), "logits": model.logits(*inputs)}
    result["frozen"] = sorted(n for n, p in model.named_parameters() if not p.requires_grad)
    result["modules"] = sorted(k for k, m in sys.modules.items()
                               if k.split(".")[0] == "dlstudio" and m is not None)
    torch.save(result, case["result"])
"""
KIND_SHAPES = {"image": (3, 6, 6), "sequence": (5, 4), "vector": (6,), "tokens": (6,)}


def default_layer_graph(spec: LayerSpec) -> Graph:
    """The layer with its default parameters between Inputs it accepts and an Output."""
    for kind, shape in KIND_SHAPES.items():
        graph = Graph()
        layer = graph.add_node(spec.type, name="layer")
        for i, port in enumerate(layer.input_ports, 1):
            source = graph.add_node("Input", name=f"input_{i}",
                                    params={"kind": kind, "shape": shape})
            graph.connect(source.id, layer.id, dst_port=port)
        graph.connect(layer.id, graph.add_node("Output", params={"loss": "mse"}).id)
        embeds = layer.spec.recipe(layer.params, [shape])
        is_embedding = embeds is not None and embeds.cls == "TokenEmbedding"
        if infer_shapes(graph).ok and (kind == "tokens") == is_embedding:
            return graph
    raise AssertionError(f"no input kind suits {spec.type} with its defaults")


def sample_inputs(model: torch.nn.Module, graph: Graph) -> list[torch.Tensor]:
    vocab = min((m.num_embeddings for m in model.modules() if isinstance(m, TokenEmbedding)),
                default=None)
    tensors = []
    for name, shape in zip(model.input_names, model.input_shapes, strict=True):
        kind = graph.node_by_name(name).params["kind"]
        tensors.append(torch.randint(0, vocab, (3, *shape)) if kind == "tokens"
                       else torch.randn(3, *shape))
    return tensors


def test_generated_files_match_the_compiled_models(tmp_path: Path, resnet_graph: Graph,
                                                   text_graph: Graph,
                                                   concat_graph: Graph) -> None:
    graphs = {"ResNetLike": resnet_graph, "TextModel": text_graph, "TwoInputs": concat_graph}
    for spec in all_layer_specs():
        if spec.type not in ("Input", "Output"):
            graphs[f"Only{spec.type}"] = default_layer_graph(spec)
    cases, expected = [], {}
    for class_name, graph in graphs.items():
        torch.manual_seed(len(cases))
        model = compile_graph(graph)
        inputs = sample_inputs(model, graph)
        model(*inputs)  # a training-mode pass moves BatchNorm's running statistics
        model.eval()
        with torch.no_grad():
            expected[class_name] = (model(*inputs), model.logits(*inputs), sorted(
                n for n, p in model.named_parameters() if not p.requires_grad))
        stem = tmp_path / class_name
        stem.with_suffix(".py").write_text(generate_source(graph, class_name), "utf-8")
        torch.save(model.state_dict(), stem.with_suffix(".pt"))
        torch.save(inputs, f"{stem}_inputs.pt")
        cases.append({"class_name": class_name, "source": f"{stem}.py",
                      "weights": f"{stem}.pt", "inputs": f"{stem}_inputs.pt",
                      "result": f"{stem}_result.pt"})

    run = subprocess.run([sys.executable, "-I", "-c", CHILD, json.dumps(cases)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr

    for case in cases:
        result = torch.load(case["result"], weights_only=True)
        output, logits, frozen = expected[case["class_name"]]
        torch.testing.assert_close(result["output"], output, rtol=1e-6, atol=1e-6)
        torch.testing.assert_close(result["logits"], logits, rtol=1e-6, atol=1e-6)
        assert result["frozen"] == frozen
        assert result["modules"] == []
    assert expected["ResNetLike"][2] == ["stem.bias", "stem.weight"]


def test_source_reads_like_hand_written_code(resnet_graph: Graph, text_graph: Graph) -> None:
    source = generate_source(resnet_graph, "ResNetLike")
    assert source.startswith("# Generated by DL Studio")
    assert "load_state_dict" in source.split("import torch")[0]
    assert "        conv1 = self.conv1(relu0)\n" in source
    assert "        skip = self.skip(relu0, bn1)\n" in source
    assert "        self.stem.requires_grad_(False)" in source
    assert "class Add(nn.Module):" in source and "class Concat" not in source
    assert "if __name__" not in source
    assert generate_source(resnet_graph, "ResNetLike") == source
    for text in (source, generate_source(text_graph)):
        imports = [ast.unparse(node) for node in ast.walk(ast.parse(text))
                   if isinstance(node, ast.Import | ast.ImportFrom)]
        assert imports == ["import torch", "from torch import nn"]


def test_source_is_lint_clean(tmp_path: Path, resnet_graph: Graph, text_graph: Graph) -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    if ruff is None:
        pytest.skip("ruff is not installed next to this interpreter")
    for name, graph in (("resnet.py", resnet_graph), ("text.py", text_graph)):
        (tmp_path / name).write_text(generate_source(graph), "utf-8")
    run = subprocess.run([ruff, "check", "--isolated", "--line-length", "100", "--select",
                          "E,F,W,B,UP", str(tmp_path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout


def test_a_name_set_behind_the_graphs_back_cannot_inject_code(resnet_graph: Graph) -> None:
    resnet_graph.node_by_name("conv1").name = "x; import os"
    with pytest.raises(CompileError, match="not allowed"):
        generate_source(resnet_graph)


class SneakyFloat(float):
    def __repr__(self) -> str:
        return "__import__('os').system('echo pwned')"


class SneakyStr(str):
    def __repr__(self) -> str:
        return "__import__('os').getcwd()"


@pytest.mark.parametrize(("node_type", "key", "value"), [
    ("Dropout", "rate", SneakyFloat(0.5)),
    ("Conv2d", "padding", SneakyStr("same")),
    ("LeakyReLU", "negative_slope", float("nan")),
    ("BatchNorm2d", "eps", [1e-5]),
    ("Conv2d", "bias", object()),
])
def test_parameter_values_other_than_plain_literals_are_refused(build, chain, node_type, key,
                                                                value) -> None:
    graph = Graph()
    layer = build(graph, node_type, "layer")
    chain(graph, build(graph, "Input", "image", shape=(1, 4, 4)), layer,
          build(graph, "Output", "out", loss="mse"))
    layer.params[key] = value  # bypasses validation on purpose
    with pytest.raises(CompileError, match=f'"layer": layer.[a-z_]+ is a {type(value).__name__},'):
        generate_source(graph)


@pytest.mark.parametrize("class_name", [
    "Model(nn.Module):\n    pass\nimport os\nclass Model", "class", "Reshape", "torch",
    "nn", "Mödel", "",
])
def test_class_name_must_be_a_fresh_identifier(resnet_graph: Graph, class_name: str) -> None:
    with pytest.raises(CompileError, match="class name"):
        generate_source(resnet_graph, class_name)


NAMES = st.one_of(
    st.text(min_size=1, max_size=20),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True),
    st.sampled_from(["relu)\nimport os\n(", "a.b", "__class__", "forward", "None", "x y"]),
)


@settings(max_examples=60, deadline=None)
@given(name=NAMES)
def test_any_name_gives_an_error_or_a_clean_file(name: str) -> None:
    graph = Graph()
    source_node = graph.add_node("Input", name="values", params={"kind": "vector",
                                                                 "shape": (3,)})
    relu = graph.add_node("ReLU", name="relu")
    graph.connect(source_node.id, relu.id)
    graph.connect(relu.id, graph.add_node("Output", params={"loss": "mse"}).id)
    relu.name = name
    try:
        source = generate_source(graph)
    except CompileError:
        return
    assert name.isidentifier()
    tree = ast.parse(source)
    imports = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
    assert len(imports) == 2
    assert f"        {name} = self.{name}(values)\n" in source
