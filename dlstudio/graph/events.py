"""A minimal event: the one notification mechanism of the core.

The graph and the trainer announce changes through these; the UI subscribes and turns
them into Qt signals. Plain callables keep the core free of Qt.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Event:
    """A list of subscribers called in order with the arguments of `emit`."""

    def __init__(self) -> None:
        self._subscribers: list[Callable[..., Any]] = []

    def connect(self, callback: Callable[..., Any]) -> None:
        if callback not in self._subscribers:
            self._subscribers.append(callback)

    def disconnect(self, callback: Callable[..., Any]) -> None:
        if callback in self._subscribers:
            self._subscribers.remove(callback)

    def emit(self, *args: Any) -> None:
        for callback in list(self._subscribers):
            callback(*args)

    def __len__(self) -> int:
        return len(self._subscribers)
