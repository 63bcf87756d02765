"""Everything Qt: main window, canvas, panels and the bridge from the trainer to signals.

This is the only package allowed to import PySide6 or pyqtgraph.
"""
