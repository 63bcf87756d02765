"""Launch the DL Studio desktop app: ``python main.py [PROJECT_FILE]``."""

import os
import sys

# Before torch loads: idle compute threads sleep instead of spinning, so a training run
# leaves the window's thread the CPU time it needs to stay smooth (bench/ui_responsiveness).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from dlstudio.ui.app import run  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(run(sys.argv))
