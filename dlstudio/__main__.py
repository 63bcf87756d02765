"""``python -m dlstudio ...``: the same command line as the ``dlstudio`` script."""

from dlstudio.cli import main

raise SystemExit(main())
