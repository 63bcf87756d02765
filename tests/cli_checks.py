"""What the command-line tests share: run `dlstudio` in-process and check a refusal is
one line on stderr with exit code 2 (docs/cli.md's contract)."""

from __future__ import annotations

import pytest

from dlstudio import cli


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of `dlstudio ARGV...`."""
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def refused(command: str | None, code: int, out: str, err: str, *words: str) -> None:
    """Exit code 2, nothing on stdout, one line on stderr (from `dlstudio COMMAND` when
    given) that holds every one of `words`."""
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    if command is not None:
        assert err.startswith(f"dlstudio {command}: error:"), err
    for word in words:
        assert word in err, err
