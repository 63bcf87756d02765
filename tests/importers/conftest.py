"""Fixtures for the import tests: the plain-PyTorch architectures, and model files."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest


@pytest.fixture(scope="session")
def arch() -> ModuleType:
    """tests/importers/architectures.py (importlib mode puts no test folder on sys.path)."""
    path = Path(__file__).with_name("architectures.py")
    spec = importlib.util.spec_from_file_location("import_test_architectures", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # fx reads the classes' module while tracing
    spec.loader.exec_module(module)
    return module
