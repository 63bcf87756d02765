"""The `dlstudio` command line: one module per subcommand, assembled in `main.py`."""

try:  # importing the commands imports torch: seconds in which Ctrl+C may come
    from dlstudio.cli.main import build_parser, main
except KeyboardInterrupt:  # one line and 130, as main() gives once it runs
    import sys

    sys.stderr.write("dlstudio: interrupted\n")
    raise SystemExit(130) from None

__all__ = ["build_parser", "main"]
