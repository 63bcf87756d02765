"""compile_graph: DAGs run, submodules carry node names, frozen layers stay frozen, and
broken graphs are refused with every problem named."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from dlstudio.compile import CompileError, GraphModule, compile_graph
from dlstudio.compile.modules import GRULayer, LSTMLayer, Reshape, RNNLayer, TokenEmbedding
from dlstudio.graph import Graph, Problem


def test_residual_graph_runs_with_node_named_submodules(resnet_graph: Graph) -> None:
    model = compile_graph(resnet_graph)
    assert isinstance(model, GraphModule)
    layer_names = [n.name for n in resnet_graph.nodes.values()
                   if n.type not in ("Input", "Output")]
    assert [name for name, _ in model.named_children()] == layer_names
    assert "stem.weight" in model.state_dict()
    assert "bn1.running_mean" in model.state_dict()
    assert "conv1.bias" not in model.state_dict()  # bias=False reached the module
    probabilities = model(torch.randn(2, 3, 8, 8))
    assert probabilities.shape == (2, 5)
    torch.testing.assert_close(probabilities.sum(dim=1), torch.ones(2))
    assert model.input_names == ["image"]
    assert model.input_shapes == [(3, 8, 8)]
    assert model.output_shape == (5,)
    assert (model.loss_name, model.final_activation) == ("cross_entropy", "softmax")


def test_skip_connection_really_adds_the_branch(resnet_graph: Graph) -> None:
    model = compile_graph(resnet_graph).eval()
    seen: dict[str, torch.Tensor] = {}
    for name in ("relu0", "bn1", "skip"):
        getattr(model, name).register_forward_hook(
            lambda module, args, output, name=name: seen.__setitem__(name, output))
    model(torch.randn(2, 3, 8, 8))
    torch.testing.assert_close(seen["skip"], seen["relu0"] + seen["bn1"])


def test_untrainable_layer_is_frozen(resnet_graph: Graph) -> None:
    model = compile_graph(resnet_graph)
    assert not any(p.requires_grad for p in model.stem.parameters())
    assert all(p.requires_grad for name, p in model.named_parameters()
               if not name.startswith("stem."))
    model.logits(torch.randn(2, 3, 8, 8)).sum().backward()
    assert model.stem.weight.grad is None
    assert model.conv1.weight.grad is not None


def test_two_input_concat_dag_takes_inputs_in_graph_order(concat_graph: Graph) -> None:
    model = compile_graph(concat_graph)
    assert model.input_names == ["meta", "image"]  # the order they were added
    assert model.input_shapes == [(3,), (2, 6, 6)]
    meta, image = torch.randn(2, 3), torch.randn(2, 2, 6, 6)
    assert model(meta, image).shape == (2, 4)
    joined = model.joined(model.branch_a(image), model.branch_b(image))
    assert joined.shape == (2, 8, 6, 6)
    with pytest.raises(TypeError, match="2 input tensor"):
        model(image)


def test_nodes_that_do_not_reach_the_output_are_left_out(concat_graph: Graph) -> None:
    spare = concat_graph.add_node("Input", name="spare", params={"kind": "vector",
                                                                 "shape": (5,)})
    dead_end = concat_graph.add_node("Dense", name="dead_end", params={"units": 3})
    concat_graph.connect(spare.id, dead_end.id)
    model = compile_graph(concat_graph)
    assert "dead_end" not in dict(model.named_children())
    assert model.input_names == ["meta", "image"]


def test_output_fed_straight_from_an_input(build, chain) -> None:
    graph = Graph()
    chain(graph, build(graph, "Input", "x_in", kind="vector", shape=(3,)),
          build(graph, "Output", "out", loss="mse"))
    model = compile_graph(graph)
    x = torch.randn(2, 3)
    assert model(x) is x and model.logits(x) is x


def test_a_broken_graph_is_refused_naming_every_node(build, chain) -> None:
    graph = Graph()
    image = build(graph, "Input", "image", kind="image", shape=(1, 4, 4))
    dense = build(graph, "Dense", "too_soon", units=3)
    conv = build(graph, "Conv2d", "huge_kernel", kernel_size=9)
    chain(graph, image, dense)
    chain(graph, image, conv)
    with pytest.raises(CompileError) as caught:
        compile_graph(graph)
    error = caught.value
    assert isinstance(error, ValueError)
    assert all(isinstance(p, Problem) for p in error.problems)
    assert {p.node_id for p in error.problems} >= {dense.id, conv.id}
    message = str(error)
    assert '"too_soon"' in message and '"huge_kernel"' in message
    assert "no Output node" in message


def test_a_name_set_behind_the_graphs_back_is_refused(resnet_graph: Graph) -> None:
    resnet_graph.node_by_name("conv1").name = "forward"
    with pytest.raises(CompileError, match="reserved"):
        compile_graph(resnet_graph)
    resnet_graph.node_by_name("forward").name = "bn1"
    with pytest.raises(CompileError, match="another node has this name"):
        compile_graph(resnet_graph)


def test_state_dict_moves_between_compiled_copies(text_graph: Graph) -> None:
    trained, fresh = compile_graph(text_graph), compile_graph(text_graph)
    fresh.load_state_dict(trained.state_dict(), strict=True)
    ids = torch.randint(0, 11, (3, 7))
    torch.testing.assert_close(fresh(ids), trained(ids))
    replica = copy.deepcopy(trained)
    torch.testing.assert_close(replica(ids), trained(ids))


@pytest.mark.parametrize(("layer", "plain"), [(RNNLayer, nn.RNN), (LSTMLayer, nn.LSTM),
                                              (GRULayer, nn.GRU)])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_recurrent_layers_keep_torch_keys_and_give_the_last_step(layer, plain,
                                                                  bidirectional) -> None:
    kwargs = {"num_layers": 2, "bidirectional": bidirectional}
    ours = layer(3, 4, return_sequences=False, **kwargs)
    reference = plain(3, 4, batch_first=True, **kwargs)
    assert list(ours.state_dict()) == list(reference.state_dict())
    reference.load_state_dict(ours.state_dict())
    x = torch.randn(2, 5, 3)
    sequence, state = reference(x)
    h_n = state[0] if plain is nn.LSTM else state
    last_layer = h_n[-2:] if bidirectional else h_n[-1:]
    torch.testing.assert_close(ours(x), torch.cat(tuple(last_layer), dim=-1))
    ours.return_sequences = True
    torch.testing.assert_close(ours(x), sequence)


def test_small_modules() -> None:
    assert Reshape((2, 3))(torch.arange(12.0).reshape(2, 6)).shape == (2, 2, 3)
    embed = TokenEmbedding(5, 2)
    float_ids = torch.tensor([[0.0, 4.0]])
    torch.testing.assert_close(embed(float_ids), embed.weight[[0, 4]].unsqueeze(0))
