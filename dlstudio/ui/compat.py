"""Work around reference-count bugs of shiboken6 6.12.0 on CPython before 3.12.

Measured here: every call of a Qt method that returns nothing releases a reference to
None it never took, and every signal emission one to True. After a few thousand calls
(one repaint of a big canvas) the count reaches zero and the interpreter aborts
("Fatal Python error: none_dealloc" / "bool_dealloc"), at run time or at exit. From 3.12
these singletons are immortal; before it, we give them counts no session can use up.
tests/ui/test_canvas_items.py checks that a long run of such calls survives.
"""

from __future__ import annotations

import ctypes
import sys

_HEADROOM = 1 << 40


def keep_singletons_alive() -> None:
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return
    if hasattr(sys, "gettotalrefcount"):  # debug builds lay PyObject out differently
        return
    for singleton in (None, True, False):
        refcount = ctypes.c_ssize_t.from_address(id(singleton))  # ob_refcnt comes first
        if refcount.value < _HEADROOM:
            refcount.value += _HEADROOM
