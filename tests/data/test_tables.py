"""CSV tables: string labels become class names, numeric targets regress, errors name
the row and the column."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dlstudio.data import DataError, load_data


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


IRIS_LIKE = """sepal,petal,species
5.1,1.4,setosa
4.9,1.3,setosa
6.3,4.9,versicolor
6.0,4.5,versicolor
7.1,5.9,virginica
6.5,5.8,virginica
5.0,1.5,setosa
6.7,4.4,versicolor
"""


def test_string_labels_become_sorted_class_names(tmp_path: Path) -> None:
    path = _write(tmp_path / "flowers.csv", IRIS_LIKE)
    bundle = load_data(f"csv:{path}", val_fraction=0.25)
    info = bundle.info
    assert info.class_names == ("setosa", "versicolor", "virginica")
    assert info.feature_names == ("sepal", "petal") and info.input_shape == (2,)
    assert info.task == "classification" and info.name == "flowers"
    assert len(bundle.train) + len(bundle.val) == 8
    x = torch.cat([bundle.train.x, bundle.val.x])
    y = torch.cat([bundle.train.y, bundle.val.y])
    assert y[x[:, 0] == 7.1].tolist() == [2] and y[x[:, 0] == 5.1].tolist() == [0]
    # standardised with the training split's statistics
    inputs = bundle.train.inputs()
    assert torch.allclose(inputs.mean(0), torch.zeros(2), atol=1e-5)


def test_target_column_by_name_or_index(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", IRIS_LIKE)
    by_name = load_data(f"csv:{path}:species").info
    assert by_name.feature_names == ("sepal", "petal")
    numeric = _write(tmp_path / "n.csv", "y,a,b\n" + "".join(f"{i / 3},{i},{-i}\n"
                                                             for i in range(25)))
    first = load_data(f"csv:{numeric}:y").info
    assert first.task == "regression" and first.feature_names == ("a", "b")
    # a text column cannot be a feature
    with pytest.raises(DataError, match=r"row 2, column 'species': 'setosa' is not a number"):
        load_data(f"csv:{path}:sepal")
    by_index = load_data(f"csv:{path}:-1").info
    assert by_index.class_names == ("setosa", "versicolor", "virginica")
    with pytest.raises(DataError, match="no column named 'colour'.*'sepal', 'petal', 'species'"):
        load_data(f"csv:{path}:colour")
    with pytest.raises(DataError, match="column index 5 is out of range"):
        load_data(f"csv:{path}:5")


def test_numeric_targets_regress_or_classify(tmp_path: Path) -> None:
    rows = "\n".join(f"{i},{i * 0.5},{i * 1.7 + 0.3}" for i in range(30))
    regression = _write(tmp_path / "reg.csv", "a,b,y\n" + rows)
    info = load_data(f"csv:{regression}").info
    assert info.task == "regression" and info.target_shape == (1,)
    bundle = load_data(f"csv:{regression}")
    assert bundle.train.y.shape[1:] == (1,) and bundle.train.y.dtype == torch.float32
    classes = _write(tmp_path / "cls.csv", "".join(f"{i},{i % 3 + 1}\n" for i in range(30)))
    info = load_data(f"csv:{classes}").info  # no header: whole numbers, few values
    assert info.class_names == ("1", "2", "3") and info.feature_names == ("column 1",)
    forced = load_data(f"csv:{classes}", task="regression").info
    assert forced.task == "regression"


def test_csv_problems_name_the_row_and_column(tmp_path: Path) -> None:
    ragged = _write(tmp_path / "ragged.csv", "a,b,y\n1,2,x\n3,4\n")
    with pytest.raises(DataError, match="ragged.csv row 3: 2 fields"):
        load_data(f"csv:{ragged}")
    empty = _write(tmp_path / "empty.csv", "a,b,y\n1,,x\n3,4,z\n")
    with pytest.raises(DataError, match="row 2, column 'b': an empty cell"):
        load_data(f"csv:{empty}")
    single = _write(tmp_path / "single.csv", "a,y\n1,x\n2,x\n3,x\n")
    with pytest.raises(DataError, match="single class"):
        load_data(f"csv:{single}")
    with pytest.raises(DataError, match="does not exist"):
        load_data(f"csv:{tmp_path / 'nope.csv'}")


def test_semicolon_tables_are_read(tmp_path: Path) -> None:
    path = _write(tmp_path / "semi.csv", "x;label\n1.5;yes\n2.5;no\n0.5;yes\n3.0;no\n")
    info = load_data(f"csv:{path}").info
    assert info.class_names == ("no", "yes") and info.input_shape == (1,)


@pytest.mark.parametrize("cell", ["3.4e38", "-1e31"])
def test_numbers_too_large_to_standardise_are_refused(tmp_path: Path, cell: str) -> None:
    """Finite, but standardised in float32 they become infinite (found by fuzzing)."""
    path = tmp_path / "big.csv"
    path.write_text(f"x,y\n1,a\n{cell},b\n2,a\n", encoding="utf-8")
    with pytest.raises(DataError, match=rf"row 3, column 'x': '{cell}' is beyond ±1e\+30"):
        load_data(f"csv:{path}")


def test_quoted_line_breaks_nul_bytes_and_huge_fields(tmp_path: Path) -> None:
    """A label may hold a line break inside quotes, or a NUL (shown escaped); a field
    past the csv module's limit is one clear refusal, not a csv.Error."""
    path = tmp_path / "q.csv"
    path.write_text('x,label\n1,"two\nlines"\n2,b\x00\n3,"two\nlines"\n', encoding="utf-8")
    assert load_data(f"csv:{path}").info.class_names == ("b\x00", "two\nlines")
    path.write_text("x,label\n1,a\n2," + "b" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"q.csv line 3: not readable as CSV \(field larger"):
        load_data(f"csv:{path}")


def test_utf16_with_a_bom_reads_and_latin1_is_named(tmp_path: Path) -> None:
    """Excel's "Unicode text" is UTF-16 with a BOM; other encodings are refused saying
    which byte is not UTF-8 (both found by fuzzing odd encodings)."""
    path = tmp_path / "u.csv"
    path.write_bytes("x,label\n1,chat\n2,éléphant\n3,chat\n".encode("utf-16"))
    assert load_data(f"csv:{path}").info.class_names == ("chat", "éléphant")
    path.write_bytes("x,label\n1,chat\n2,éléphant\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"u.csv: it is not UTF-8 text \(byte 0xe9 at "
                                        r"offset 17\); save it as UTF-8"):
        load_data(f"csv:{path}")
