"""`dlstudio download NAME`: fetch MNIST, Fashion-MNIST, KMNIST or CIFAR-10 into the data
cache, checked against the published sums, and print the --data spec that reads it.

The spec on stdout lets a script chain it: `dlstudio train ... --data "$(dlstudio
download cifar10)"`. Progress goes to stderr. An interrupted download resumes when run
again; $DLSTUDIO_DATA_URL points every download at a mirror.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dlstudio.cli.safe_text import shown
from dlstudio.cli.support import (
    EXIT_OK,
    Command,
    ProgressBar,
    UserError,
    add_json_flag,
    print_json,
)

if TYPE_CHECKING:  # torch loads only when a download starts
    from dlstudio.data import DownloadProgress

# The names, without importing torch to list them (dlstudio.data loads it).
NAMES = ("mnist", "fashion-mnist", "kmnist", "cifar10")


def _add_download(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", choices=NAMES,
                        help=f"the set to fetch: {', '.join(NAMES)}")
    parser.add_argument("--cache", type=Path, metavar="DIR",
                        help="where the sets are kept (default: $DLSTUDIO_DATA_DIR, else "
                             "~/.cache/dlstudio/data); the set goes into DIR/NAME")
    add_json_flag(parser)


def _run_download(args: argparse.Namespace) -> int:
    from dlstudio.data import DataError, default_cache_dir, download_dataset, download_spec

    cache = args.cache or default_cache_dir()
    if sys.stderr.isatty():  # a refusal in a log stays one line
        print(f"{args.name} into {shown(cache / args.name)} (a complete copy is not fetched "
              "again)", file=sys.stderr, flush=True)
    progress = _FileBars()
    try:
        folder = download_dataset(args.name, cache, progress=progress)
    except DataError as error:
        progress.end(None)
        raise UserError(str(error)) from None
    except KeyboardInterrupt:
        progress.end(None)
        raise UserError(f"download of {args.name} interrupted; run the same command "
                        "again to resume") from None
    progress.end(folder)
    spec = download_spec(args.name, folder)
    if args.json:
        print_json({"name": args.name, "folder": str(folder), "spec": spec})
    else:
        print(shown(spec))
    return EXIT_OK


class _FileBars:
    """One progress bar per file of the set, on stderr."""

    def __init__(self) -> None:
        self._bar: ProgressBar | None = None
        self._file = ""

    def __call__(self, progress: DownloadProgress) -> None:
        if self._bar is None or progress.file != self._file:
            if self._bar is not None:
                self._bar.end(None)
            self._file, self._bar = progress.file, ProgressBar(sys.stderr)
            if sys.stderr.isatty():
                print(f"{shown(progress.file)} ({progress.file_index + 1} of "
                      f"{progress.file_count})", file=sys.stderr, flush=True)
        self._bar(progress.done, progress.total or 0)

    def end(self, folder: Path | None) -> None:
        if self._bar is not None:
            self._bar.end(None)
        if folder is not None:
            print(f"ready in {shown(folder)}", file=sys.stderr, flush=True)


COMMAND = Command("download", "fetch MNIST, Fashion-MNIST, KMNIST or CIFAR-10 into the "
                  "data cache and print its --data spec", _add_download, _run_download)
