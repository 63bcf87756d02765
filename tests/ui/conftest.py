"""UI tests: garbage is collected between tests, while no worker thread runs.

Left to chance, a collection can start on the main thread in the middle of a later test
while a worker thread runs torch's ONNX export, and free objects of earlier tests there;
that crashed the interpreter (segmentation fault) on this machine.
"""

import gc

import pytest


@pytest.fixture(autouse=True)
def _collect_garbage_between_tests():
    yield
    gc.collect()
