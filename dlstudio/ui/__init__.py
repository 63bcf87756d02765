"""Everything Qt: main window, canvas, panels and the bridge from the trainer to signals.

This is the only package allowed to import PySide6 or pyqtgraph.
"""

from dlstudio.ui.compat import keep_singletons_alive

keep_singletons_alive()  # before any Qt call: see compat.py
