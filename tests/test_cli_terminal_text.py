"""Names from data files reach the terminal escaped: a CSV label or a folder name holding
an escape sequence, a newline or a bidi override is printed as visible `\\x1b`, `\\n`,
`\\u202e` by `predict`, `evaluate`, `train`'s test table and every error line."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dlstudio import cli
from dlstudio.cli.safe_text import shown
from dlstudio.graph.project import Project, save_project
from dlstudio.graph.templates import build_template

from .cli_checks import refused, run

RED = "cat\x1b[31mRED\nfake: line"
BACKWARDS = "dog\u202egod"
CLEAR = "bird\x1b[2J"


@pytest.mark.parametrize(("raw", "expected"), [
    ("cat\x1b[31mRED\n", "cat\\x1b[31mRED\\n"),
    ("a\u202eb\u2066c\u200bd", "a\\u202eb\\u2066c\\u200bd"),
    ("del\x7f c1\x85 \x9b tab\t cr\r", "del\\x7f c1\\x85 \\x9b tab\\t cr\\r"),
    ("line\u2028sep\u2029", "line\\u2028sep\\u2029"),
    ("bad\udcff name", "bad\\udcff name"),  # an undecodable file name (surrogateescape)
    ("café 猫 a b ü.png", "café 猫 a b ü.png"),  # printable text is left alone
])
def test_shown_escapes_what_a_terminal_would_act_on(raw: str, expected: str) -> None:
    assert shown(raw) == expected
    assert shown(raw).isprintable()


def _has_no_controls(text: str) -> None:
    assert "\x1b" not in text and "\u202e" not in text
    assert all(line.isprintable() for line in text.splitlines())


@pytest.fixture(scope="module")
def csv_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("labels")
    rng = np.random.default_rng(0)
    with (folder / "t.csv").open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["x1", "x2", "label"])
        for a, b in rng.random((40, 2)):
            writer.writerow([f"{a:.3f}", f"{b:.3f}", RED if a > 0.5 else BACKWARDS])
    assert cli.main(["train", "--template", "xor", "--data", f"csv:{folder / 't.csv'}",
                     "--epochs", "1", "--out", str(folder / "run")]) == 0
    return folder / "run" / "last.pt"


def test_predict_escapes_csv_labels(csv_checkpoint: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    code, out, err = run(capsys, "predict", "--checkpoint", str(csv_checkpoint), "0.9, 0.1")
    assert code == 0 and err == ""
    _has_no_controls(out)
    assert len(out.splitlines()) == 1
    assert "cat\\x1b[31mRED\\nfake: line" in out and "dog\\u202egod" in out
    code, out, _ = run(capsys, "predict", "--checkpoint", str(csv_checkpoint), "0.9, 0.1",
                       "--json")  # JSON escapes on its own, and keeps the true name
    assert code == 0 and "\x1b" not in out and "\\u001b[31mRED\\nfake: line" in out


def test_evaluate_escapes_the_class_table(csv_checkpoint: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "evaluate", "--checkpoint", str(csv_checkpoint),
                         "--split", "all")
    assert code == 0, err
    _has_no_controls(out)
    assert "cat\\x1b[31mRED\\nfake: line" in out and "dog\\u202egod" in out


def _image_folder(root: Path) -> Path:
    rng = np.random.default_rng(1)
    for name, level in ((CLEAR, 40), ("fish", 200)):
        (root / name).mkdir(parents=True)
        for i in range(6):
            pixels = (rng.random((28, 28)) * 50 + level).astype(np.uint8)
            Image.fromarray(pixels, "L").save(root / name / f"{i}.png")
    return root


def test_train_test_table_escapes_folder_names(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    graph = build_template("mlp")
    graph.set_param(graph.node_by_name("fc2").id, "units", 2)
    save_project(Project(graph=graph), tmp_path / "two.dlstudio")
    folder = _image_folder(tmp_path / "images")
    code, out, err = run(capsys, "train", str(tmp_path / "two.dlstudio"), "--data",
                         f"folder:{folder}", "--epochs", "1", "--test-fraction", "0.3",
                         "--out", str(tmp_path / "run"))
    assert code == 0, err
    _has_no_controls(out)
    assert "bird\\x1b[2J" in out


def test_error_lines_escape_file_names(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x\x1b]0;owned\x07\n.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")  # one data row: refused
    refused("train", *run(capsys, "train", "--template", "xor", "--data", f"csv:{bad}",
                          "--epochs", "1", "--out", str(tmp_path / "run")),
            "x\\x1b]0;owned\\x07 .csv")  # the line break made a space: one line


def test_train_log_escapes_a_data_file_name(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """The data's name (the CSV's stem) is in train's log lines on stderr."""
    name = tmp_path / "t\x1b[2J\u202e.csv"
    name.write_text("x1,x2,y\n" + "".join(f"{i % 3},{i % 5},{'ab'[i % 2]}\n"
                                           for i in range(20)), encoding="utf-8")
    code, out, err = run(capsys, "train", "--template", "xor", "--data", f"csv:{name}",
                         "--epochs", "1", "--out", str(tmp_path / "run\x1b[0m"))
    assert code == 0, err
    _has_no_controls(out + err)
    assert "t\\x1b[2J\\u202e" in err and "run\\x1b[0m" in out


def test_import_escapes_the_source_and_written_paths(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from dlstudio.compile.codegen import generate_source

    folder = tmp_path / "m\x1b[31m\u202e"
    folder.mkdir()
    source = folder / "net.py"
    source.write_text(generate_source(build_template("xor"), "Net"), encoding="utf-8")
    code, out, err = run(capsys, "import", f"{source}:Net", "-o", str(folder / "x.dlstudio"))
    assert code == 0, err
    _has_no_controls(out + err)
    assert out.count("m\\x1b[31m\\u202e") == 2  # the project and the weights
