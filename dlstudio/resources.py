"""Locate bundled data files (icons, style sheets, built-in data, example projects).

They live in the top-level ``resources/`` folder of the repository, next to the package,
so this works from a source checkout and an editable install (``pip install -e .``).
"""

from __future__ import annotations

from pathlib import Path

RESOURCES_DIR: Path = Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    """Return the path of ``resources/<parts...>``; the file need not exist."""
    return RESOURCES_DIR.joinpath(*parts)
