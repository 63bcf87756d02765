"""Messages read as a learner would write them: "an image", values as typed."""

from __future__ import annotations

import pytest

from dlstudio.graph.errors import ShapeError
from dlstudio.graph.layers.rules import check_axis
from dlstudio.graph.wording import article, plain


@pytest.mark.parametrize(("word", "expected"), [
    ("image", "an"), ("vector", "a"), ("sequence", "a"), ("input", "an"), ("unit", "a"),
    ("8-dimensional", "an"), ("3-dimensional", "a"), ("11-dimensional", "an"),
    ("1-dimensional", "a"),
])
def test_article_follows_the_sound(word: str, expected: str) -> None:
    assert article(word) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (["1", "28", "abc"], "1, 28, abc"), ((1, 28, 28), "1, 28, 28"), ("three", '"three"'),
    (None, "nothing"), (True, "true"), ([[1], 2], "(1), 2"), (2.5, "2.5"), ([], "nothing"),
])
def test_values_read_as_typed_not_as_python(value: object, expected: str) -> None:
    assert plain(value) == expected
    assert "[" not in plain(value) and "'" not in plain(value)


def test_an_axis_refusal_says_an_8_dimensional_input() -> None:
    with pytest.raises(ShapeError, match="does not exist in an 8-dimensional input"):
        check_axis(9, 8)
