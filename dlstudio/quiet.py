"""Library warnings silenced around one short call, safely when threads do it at once.

`warnings.catch_warnings` saves and restores the process-wide filter list. Two threads
inside it at once (the app reads an image for Try it while a run's loader reads its
folder, or loads a checkpoint) can restore each other's state: warnings then stay off
for good, or a Pillow bomb warning reaches the terminal mid-read. One lock around every
such block in the core keeps each save and restore paired. Hold it only around short
calls (opening or decoding one file), never a whole export or run.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.RLock()  # re-entrant: an image decode inside an image open


@contextmanager
def quiet_warnings() -> Iterator[None]:
    """Every warning ignored inside the block; what matters is raised as an error by
    the caller instead (a DataError for a bomb, a CheckpointError for a damaged file)."""
    with _LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
