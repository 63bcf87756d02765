"""The `dlstudio` command line: one module per subcommand, assembled in `main.py`."""

from dlstudio.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
