"""Which module each ONNX node came from, as torch's exporter (dynamo) records it.

torch.onnx.export(dynamo=True) writes, on every node, the module path that called it
(`pkg.torch.onnx.name_scopes`, e.g. ['', 'block1', 'block1.self_attn', 'linear']) and the
classes along that path (`pkg.torch.onnx.class_hierarchy`). The importer names nodes after
their module, and reads attention modules, which torch writes as some thirty small
operators, as one group (onnx_attention). The values are Python list literals, read with
`ast.literal_eval`, which evaluates literals only.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

import onnx

NAME_SCOPES = "pkg.torch.onnx.name_scopes"
CLASS_HIERARCHY = "pkg.torch.onnx.class_hierarchy"

ENCODER_CLASS = "torch.nn.modules.transformer.TransformerEncoderLayer"
ATTENTION_CLASS = "torch.nn.modules.activation.MultiheadAttention"
DLSTUDIO_ATTENTION = "SelfAttention"  # DL Studio's nn.MultiheadAttention (compile/modules)


@dataclass(frozen=True)
class Scope:
    """One node's module path, outermost first, and the class at each step; the last
    entry is the operator's own call (`aten.linear.default`)."""

    paths: tuple[str, ...]
    classes: tuple[str, ...]


@dataclass
class ModuleGroup:
    """The nodes (indices in file order) of one call of an attention module."""

    kind: str  # "MultiheadAttention" or "TransformerEncoderLayer"
    path: str  # the module's path in the exported model: "block1", "enc.self_attn"
    depth: int  # its position in each member's Scope
    indices: list[int] = field(default_factory=list)


def node_scope(proto: onnx.NodeProto) -> Scope | None:
    """The module path the exporter recorded on `proto`; None when it recorded none."""
    props = {entry.key: entry.value for entry in proto.metadata_props}
    if NAME_SCOPES not in props or CLASS_HIERARCHY not in props:
        return None
    try:
        paths, classes = (ast.literal_eval(props[key]) for key in (NAME_SCOPES,
                                                                   CLASS_HIERARCHY))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if not isinstance(paths, list) or not isinstance(classes, list) or \
            len(paths) != len(classes) or not all(isinstance(p, str) for p in paths + classes):
        return None
    return Scope(tuple(paths), tuple(classes))


def module_name(proto: onnx.NodeProto) -> str:
    """The path of the module that called this operator (`block1.norm1`); empty for an
    operator in the top-level forward or a file without the exporter's metadata."""
    scope = node_scope(proto)
    return scope.paths[-2] if scope and len(scope.paths) >= 2 else ""


def attention_kind(class_name: str) -> str | None:
    """The catalogue layer a module class becomes as a whole, if any."""
    if class_name == ENCODER_CLASS:
        return "TransformerEncoderLayer"
    if class_name == ATTENTION_CLASS or class_name.rsplit(".", 1)[-1] == DLSTUDIO_ATTENTION:
        return "MultiheadAttention"
    return None


def module_groups(nodes: list[onnx.NodeProto]) -> dict[int, ModuleGroup]:
    """Every node inside an attention module -> the group of that module's nodes (the
    outermost such module: an encoder layer's own attention is part of its group)."""
    groups: dict[str, ModuleGroup] = {}
    members: dict[int, ModuleGroup] = {}
    for index, proto in enumerate(nodes):
        scope = node_scope(proto)
        if scope is None:
            continue
        for depth, class_name in enumerate(scope.classes[:-1]):
            kind = attention_kind(class_name)
            if kind is not None:
                path = scope.paths[depth]
                group = groups.setdefault(path, ModuleGroup(kind, path, depth))
                group.indices.append(index)
                members[index] = group
                break
    return members
