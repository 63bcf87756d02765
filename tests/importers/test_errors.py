"""What cannot be imported is refused in one line that names each part and where it is;
parsing a file for its classes and reading an ONNX file run nothing."""

from __future__ import annotations

import importlib.util
import textwrap

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from dlstudio.importers import (
    ModelImportError,
    classes_in_file,
    import_onnx,
    import_python,
    import_torchvision,
)

UNSUPPORTED = """\
import torch
from torch import nn


class Net(nn.Module):
    input_shapes = [(4,)]

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.bil = nn.Bilinear(4, 4, 4)

    def forward(self, x):
        x = self.fc(x)
        x = self.bil(x, x)
        y = torch.cumsum(x, dim=1)
        return torch.relu(y)
"""


def write(tmp_path, text: str, name: str = "model.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_unsupported_module_and_function_are_listed_with_places(tmp_path):
    with pytest.raises(ModelImportError) as caught:
        import_python(write(tmp_path, UNSUPPORTED), "Net")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("2 parts of Net cannot be imported:")
    assert "nn.Bilinear at model.py:15 (self.bil)" in message
    assert "torch.cumsum at model.py:16" in message


def test_syntax_error_names_the_line_and_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    path = write(tmp_path, f"open({str(marker)!r}, 'w')\nclass Net(nn.Module:\n    pass\n")
    with pytest.raises(ModelImportError, match=r"model.py:2: syntax error"):
        import_python(path, "Net")
    with pytest.raises(ModelImportError, match=r"model.py:2: syntax error"):
        classes_in_file(path)
    assert not marker.exists()


def test_errors_while_running_the_file_name_the_line(tmp_path):
    path = write(tmp_path, "import torch\nx = 1\nraise RuntimeError('broken on purpose')\n")
    with pytest.raises(ModelImportError, match=r"model.py:3: RuntimeError: broken on purpose"):
        import_python(path, "Net")


def test_no_such_class_lists_the_ones_there(tmp_path):
    path = write(tmp_path, UNSUPPORTED)
    with pytest.raises(ModelImportError, match=r"Model is not defined in model.py; its "
                                               r"nn.Module classes: Net"):
        import_python(path, "Model")
    with pytest.raises(ModelImportError, match="torch is not an nn.Module class"):
        import_python(path, "torch")


def test_constructor_arguments_and_missing_shapes(tmp_path):
    path = write(tmp_path, """\
        from torch import nn

        class Wide(nn.Module):
            def __init__(self, width):
                super().__init__()
                self.fc = nn.Linear(3, width)

            def forward(self, x):
                return self.fc(x)

        class Fixed(Wide):
            def __init__(self):
                super().__init__(5)
        """)
    with pytest.raises(ModelImportError, match=r"Wide needs constructor arguments \(width\)"):
        import_python(path, "Wide")
    with pytest.raises(ModelImportError, match="does not say its input shape.*--input-shape"):
        import_python(path, "Fixed")
    assert len(import_python(path, "Fixed", [(3,)]).state) == 2
    with pytest.raises(ModelImportError, match="does not run on inputs of shape"):
        import_python(path, "Fixed", [(4,)])


def test_classes_in_file_parses_only(tmp_path):
    path = write(tmp_path, """\
        import torch
        from torch import nn
        raise SystemExit("this file must not run")

        class Block(nn.Module):
            pass

        class Net(Block):
            pass

        class Helper:
            pass

        class Stack(torch.nn.Sequential):
            pass
        """)
    assert classes_in_file(path) == ["Block", "Net", "Stack"]


@pytest.mark.skipif(importlib.util.find_spec("torchvision") is not None,
                    reason="torchvision is installed here")
def test_torchvision_missing_is_a_clear_error():
    with pytest.raises(ModelImportError, match="needs torchvision, which is not installed"):
        import_torchvision("resnet18")


def onnx_file(tmp_path, op: str = "Relu", **save: object):
    weight = numpy_helper.from_array(np.ones((3, 4), dtype=np.float32), "fc.weight")
    nodes = [helper.make_node("Gemm", ["x", "fc.weight"], ["h"], transB=1, name="fc"),
             helper.make_node(op, ["h"], ["y"], name="odd")]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])], [weight])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    path = tmp_path / "model.onnx"
    onnx.save(model, str(path), **save)
    return path


def test_onnx_unsupported_operator_is_named(tmp_path):
    imported = import_onnx(onnx_file(tmp_path, "Relu"))
    assert [n.type for n in imported.graph.nodes.values()] == ["Input", "Dense", "ReLU",
                                                                 "Output"]
    with pytest.raises(ModelImportError, match=r"1 part of model.onnx cannot be imported: "
                                               r"ONNX Cos at node 'odd'"):
        import_onnx(onnx_file(tmp_path, "Cos"))


def test_onnx_external_data_only_from_beside_the_file(tmp_path):
    path = onnx_file(tmp_path, save_as_external_data=True, location="weights.bin",
                     size_threshold=0)
    assert import_onnx(path).state["fc.weight"].shape == (3, 4)
    model = onnx.load(str(path), load_external_data=False)
    for tensor in model.graph.initializer:
        for entry in tensor.external_data:
            if entry.key == "location":
                entry.value = "../elsewhere/weights.bin"
    onnx.save(model, str(path))
    with pytest.raises(ModelImportError, match="not a file beside the model"):
        import_onnx(path)


def test_not_an_onnx_file(tmp_path):
    path = tmp_path / "junk.onnx"
    path.write_bytes(b"\x00not onnx at all" * 10)
    with pytest.raises(ModelImportError, match="junk.onnx"):
        import_onnx(path)
