"""Copying nodes: the chosen nodes and the wires among them, as JSON on the clipboard.

JSON (not pickle) so pasting between two open windows, or into a text editor to look,
is safe; anything that is not our format is simply not offered for pasting.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

NODES_MIME = "application/x-dlstudio-nodes"


def put_nodes(data: dict[str, Any]) -> None:
    """Place copied nodes on the system clipboard (and as text, for a look)."""
    text = json.dumps(data, indent=1)
    mime = QMimeData()
    mime.setData(NODES_MIME, text.encode("utf-8"))
    mime.setText(text)
    QGuiApplication.clipboard().setMimeData(mime)


def get_nodes() -> dict[str, Any] | None:
    """Copied nodes from the clipboard, or None when it holds something else."""
    mime = QGuiApplication.clipboard().mimeData()
    if mime is None or not mime.hasFormat(NODES_MIME):
        return None
    try:
        data = json.loads(bytes(mime.data(NODES_MIME)).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) and data.get("nodes") else None


def release_nodes() -> None:
    """Take our copied nodes off the clipboard before the application object goes away.

    PySide6 6.11 crashes at exit (segmentation fault, offscreen and elsewhere) when the
    clipboard still holds a QMimeData the app put there; other programs' data is left.
    """
    if QGuiApplication.instance() is None:
        return
    clipboard = QGuiApplication.clipboard()
    mime = clipboard.mimeData()
    if mime is not None and mime.hasFormat(NODES_MIME):
        clipboard.clear()
