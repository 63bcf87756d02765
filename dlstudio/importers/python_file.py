"""Import a module class from a .py file, or a torchvision model by name.

`import_python` runs the file: that is what importing Python means, and the user asked
for it (the docs and the app's dialog say so). `classes_in_file` only parses the file
with `ast`, so the dialog can list its classes without running anything.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import secrets
import sys
import traceback
from pathlib import Path

from torch import nn

from dlstudio.importers.errors import ModelImportError
from dlstudio.importers.fx_import import trace_module
from dlstudio.importers.imported import ImportedModel

DEFAULT_IMAGE = (3, 224, 224)


def classes_in_file(path: Path) -> list[str]:
    """Names of the nn.Module subclasses defined in `path`, found by parsing it only:
    classes whose base is `nn.X`, `torch.nn.X`, `Module` or another such class there."""
    tree = _parse(Path(path))
    classes = [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    found: list[str] = []
    changed = True
    while changed:
        changed = False
        for node in classes:
            if node.name not in found and any(_is_module_base(b, found) for b in node.bases):
                found.append(node.name)
                changed = True
    return [node.name for node in classes if node.name in found]


def _parse(path: Path) -> ast.Module:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ModelImportError(f"cannot read {path}: {getattr(error, 'strerror', None) or error}"
                               ) from None
    try:
        return ast.parse(text, filename=str(path))
    except SyntaxError as error:
        raise ModelImportError(f"{path.name}:{error.lineno}: syntax error: {error.msg}") \
            from None


def _is_module_base(base: ast.expr, known: list[str]) -> bool:
    if isinstance(base, ast.Name):
        return base.id == "Module" or base.id in known
    parts = []
    while isinstance(base, ast.Attribute):
        parts.append(base.attr)
        base = base.value
    return isinstance(base, ast.Name) and base.id in ("nn", "torch") and bool(parts)


def import_python(path: Path, class_name: str,
                  input_shapes: list[tuple[int, ...]] | None = None) -> ImportedModel:
    """Run `path`, build `class_name()` and trace it. Runs the file by design."""
    path = Path(path)
    if not path.is_file():
        raise ModelImportError(f"no Python file at {path}")
    _parse(path)  # a syntax error is reported before anything runs
    namespace = _run_file(path)
    cls = namespace.get(class_name)
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        listed = ", ".join(n for n, v in namespace.items()
                           if isinstance(v, type) and issubclass(v, nn.Module)
                           and getattr(v, "__module__", "") == namespace["__name__"])
        what = "is not an nn.Module class" if class_name in namespace else "is not defined"
        raise ModelImportError(f"{class_name} {what} in {path.name}"
                               + (f"; its nn.Module classes: {listed}" if listed else ""))
    module = _construct(cls, path)
    imported = trace_module(module, input_shapes, name=class_name)
    imported.source = f"{path.name}:{class_name}"
    return imported


def _run_file(path: Path) -> dict[str, object]:
    """Execute the file as a module of its own; its errors become one line with the line
    number in the file."""
    name = f"dlstudio_import_{secrets.token_hex(4)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ModelImportError(f"cannot load {path} as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look their module up here
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)  # as `python model.py` would: its sibling modules import
    try:
        spec.loader.exec_module(module)
    except SystemExit as error:  # would end the CLI or the app's worker without a word
        raise _exit_error(error, path, "while being imported") from None
    except Exception as error:
        raise ModelImportError(f"{_place(error, path)}: {type(error).__name__}: "
                               f"{_one_line(error)}") from None
    finally:
        sys.modules.pop(name, None)
        if folder in sys.path:
            sys.path.remove(folder)
    return vars(module)


def _construct(cls: type[nn.Module], path: Path) -> nn.Module:
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        signature = None
    needed = [p.name for p in (signature.parameters.values() if signature else ())
              if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD,
                                                     p.KEYWORD_ONLY)]
    if needed:
        raise ModelImportError(f"{cls.__name__} needs constructor arguments "
                               f"({', '.join(needed)}): import a class whose __init__ takes "
                               "none, e.g. a subclass that passes them")
    try:
        return cls()
    except SystemExit as error:
        raise _exit_error(error, path, f"in {cls.__name__}()") from None
    except Exception as error:
        raise ModelImportError(f"{_place(error, path)}: {cls.__name__}() failed: "
                               f"{type(error).__name__}: {_one_line(error)}") from None


def _exit_error(error: SystemExit, path: Path, when: str) -> ModelImportError:
    """`ex.py:8: ex.py called sys.exit(3) while being imported`: KeyboardInterrupt still
    interrupts, but a file's own exit is a refusal like any other error."""
    code = "" if error.code is None else repr(error.code)
    return ModelImportError(f"{_place(error, path)}: {path.name} called sys.exit({code}) "
                            f"{when}")


def _place(error: BaseException, path: Path) -> str:
    """`model.py:12`: the last line of the user's file in the error's traceback."""
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if Path(frame.filename).resolve() == path.resolve():
            line = frame.lineno
    return f"{path.name}:{line}" if line else path.name


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:300]


def import_torchvision(name: str,
                       input_shapes: list[tuple[int, ...]] | None = None) -> ImportedModel:
    """torchvision's model `name` with random weights (nothing is downloaded)."""
    try:
        import torchvision
    except ImportError:
        raise ModelImportError(f"torchvision:{name} needs torchvision, which is not "
                               "installed here (pip install torchvision)") from None
    known = torchvision.models.list_models()
    if name not in known:
        raise ModelImportError(f"torchvision has no model {name!r}; it has: "
                               f"{', '.join(sorted(known))}")
    model = torchvision.models.get_model(name, weights=None)
    notes = []
    if input_shapes is None:
        input_shapes = [DEFAULT_IMAGE]
        notes.append("input shape 3×224×224 assumed (give --input-shape for another)")
    imported = trace_module(model, input_shapes, name=f"torchvision:{name}")
    imported.source = f"torchvision:{name}"
    imported.notes[:0] = [*notes, "weights are random: torchvision's trained weights are "
                          "not downloaded"]
    return imported
