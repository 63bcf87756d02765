"""Node names: they become Python attribute names in compiled and generated code.

So a name must be an identifier, not a keyword, and must not shadow an attribute of
`torch.nn.Module` (a node called "forward" or "training" would break the model).
"""

from __future__ import annotations

import keyword
import re

from dlstudio.graph.errors import GraphError

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}\Z")

# Public attributes of torch.nn.Module (a test checks this against torch itself).
RESERVED = frozenset({
    "T_destination", "add_module", "apply", "bfloat16", "buffers", "call_super_init",
    "children", "compile", "cpu", "cuda", "double", "dump_patches", "eval", "extra_repr",
    "float", "forward", "get_buffer", "get_extra_state", "get_parameter", "get_submodule",
    "half", "ipu", "load_state_dict", "modules", "mtia", "named_buffers", "named_children",
    "named_modules", "named_parameters", "parameters", "register_backward_hook",
    "register_buffer", "register_forward_hook", "register_forward_pre_hook",
    "register_full_backward_hook", "register_full_backward_pre_hook",
    "register_load_state_dict_post_hook", "register_load_state_dict_pre_hook",
    "register_module", "register_parameter", "register_state_dict_post_hook",
    "register_state_dict_pre_hook", "requires_grad_", "set_extra_state", "set_submodule",
    "share_memory", "state_dict", "to", "to_empty", "train", "training", "type", "xpu",
    "zero_grad", "logits", "inputs", "outputs", "self", "torch", "nn", "x",
    # attributes of dlstudio.compile.GraphModule
    "input_names", "input_shapes", "output_shape", "loss_name", "final_activation",
})


def check_name(name: object) -> str:
    """Return the name if it can name a node, else raise GraphError saying why."""
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise GraphError(
            f"name {name!r} is not allowed: use letters, digits and _ (not first), "
            "at most 64 characters, e.g. conv1"
        )
    if keyword.iskeyword(name) or name in RESERVED or name.startswith("_"):
        raise GraphError(f"name {name!r} is reserved; pick another, e.g. {name}_1")
    return name


def base_name(type_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z][a-z])", "_", type_name).lower().replace("__", "_")
