"""The core never loads Qt: every non-UI module imports cleanly in a fresh interpreter.

Modules are discovered with pkgutil, so new ones are covered without editing this file.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import dlstudio

REPO = Path(__file__).resolve().parent.parent
QT_MODULES = ("PySide6", "pyqtgraph")

# Imports each module in turn and reports the first module after which a watched top-level
# package appeared in sys.modules, so a failure names the culprit.
_CHILD = """
import importlib, json, sys
modules, watched = json.loads(sys.argv[1]), json.loads(sys.argv[2])
out, sys.stdout = sys.stdout, sys.stderr  # keep stdout for the answer alone
culprits = {}
for name in modules:
    importlib.import_module(name)
    for w in watched:
        if w in sys.modules and w not in culprits:
            culprits[w] = name
out.write(json.dumps(culprits))
"""


def _on_error(name: str) -> None:
    raise ImportError(f"could not import package {name} while discovering modules")


def core_modules(prefix: str = "dlstudio") -> list[str]:
    """All modules under ``prefix`` except dlstudio.ui and __main__ entry points."""
    found = ["dlstudio"] + [
        m.name for m in pkgutil.walk_packages(dlstudio.__path__, "dlstudio.", onerror=_on_error)
    ]
    return sorted(
        name
        for name in found
        if (name == prefix or name.startswith(prefix + "."))
        and name != "dlstudio.ui"
        and not name.startswith("dlstudio.ui.")
        and name.rsplit(".", 1)[-1] != "__main__"
    )


def _culprits(modules: list[str], watched: tuple[str, ...]) -> dict[str, str]:
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(modules), json.dumps(list(watched))],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_discovery_finds_core_modules() -> None:
    modules = core_modules()
    assert "dlstudio.resources" in modules
    assert not any(m.startswith("dlstudio.ui") for m in modules)


def test_core_modules_never_load_qt() -> None:
    culprits = _culprits(core_modules(), QT_MODULES)
    assert culprits == {}, f"Qt loaded outside dlstudio.ui (package: first importer): {culprits}"


def test_graph_package_never_loads_torch() -> None:
    modules = core_modules("dlstudio.graph")
    if not modules:
        return
    culprits = _culprits(modules, ("torch", *QT_MODULES))
    assert culprits == {}, f"dlstudio.graph must stay free of torch and Qt: {culprits}"
