"""Test-wide setup. Qt must run offscreen; this is set before anything imports Qt."""

import os
import sys

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True, scope="session")
def _release_clipboard_at_the_end():
    """Copied nodes left on the clipboard crash PySide6 6.11 at exit (see
    dlstudio/ui/canvas/clipboard.py); tests that copy leave them there."""
    yield
    if "PySide6" in sys.modules:
        from dlstudio.ui.canvas.clipboard import release_nodes

        release_nodes()
