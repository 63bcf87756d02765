"""Launch the DL Studio desktop app: ``python main.py [PROJECT_FILE]``."""

import sys

from dlstudio.ui.app import run

if __name__ == "__main__":
    raise SystemExit(run(sys.argv))
