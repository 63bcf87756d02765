"""DL Studio: design, train, watch, try and ship neural networks on a node canvas.

The package is layered graph -> compile -> train -> ui; only ``dlstudio.ui`` touches Qt,
so everything else can be used from scripts, the ``dlstudio`` command line and tests.
"""

__version__ = "0.1.0"
