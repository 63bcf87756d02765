"""text:FILE and builtin:text: the vocabulary, the leak-free split, the errors, and the
samples cut to the graph (window, ids or one-hot, next character or one per step)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dlstudio.data import DataBundle, DataError, check_graph, load_data
from dlstudio.data.textfile import TextBundle, encode_prompt, fit_text_to_graph, info_layout
from dlstudio.graph.model import Graph
from dlstudio.graph.templates import build_template
from dlstudio.graph.templates.builder import Builder
from dlstudio.graph.text_fit import TextLayout

POEM = ("Twinkle, twinkle, little star, how I wonder what you are! "
        "Up above the world so high, like a diamond in the sky. ") * 6


@pytest.fixture
def poem(tmp_path: Path) -> Path:
    path = tmp_path / "poem.txt"
    path.write_text(POEM, encoding="utf-8")
    return path


def recurrent(kind: str, shape: tuple[int, ...], units: int, per_step: bool) -> Graph:
    """Input -> (Embedding for ids) -> LSTM -> Dense(units) -> Softmax -> Output."""
    b = Builder()
    b.add("Input", "chars", kind=kind, shape=shape)
    if kind == "tokens":
        b.add("Embedding", "embedding", vocab_size=units, dim=8)
    b.add("LSTM", "lstm", units=16, return_sequences=per_step)
    b.add("Dense", "fc", units=units)
    b.classifier_end()
    return b.graph


def text_of(bundle_ids: torch.Tensor, vocab: tuple[str, ...]) -> str:
    return "".join(vocab[int(i)] for i in bundle_ids)


def test_a_text_file_is_its_characters_split_by_position(poem: Path) -> None:
    bundle = load_data(f"text:{poem}", val_fraction=0.2, test_fraction=0.1)
    info = bundle.info
    assert isinstance(bundle, TextBundle)
    assert info.class_names == tuple(sorted(set(POEM))) and info.kind == "tokens"
    assert info.input_shape == (40,) and info.target_shape == () and info.name == "poem.txt"
    assert info.source == f"text:{poem}"
    vocab = info.class_names
    x, y = bundle.train.x, bundle.train.y
    assert text_of(x[0], vocab) == POEM[:40] and vocab[int(y[0])] == POEM[40]
    assert text_of(x[5], vocab) + vocab[int(y[5])] == POEM[5:46]
    # Each split is its own stretch of text: no window or target reaches into the next.
    train_end = len(bundle.train) + 40  # characters the training windows and targets use
    assert bundle.val is not None and bundle.test is not None
    assert text_of(bundle.val.x[0], vocab) == POEM[train_end:train_end + 40]
    val_end = train_end + len(bundle.val) + 40
    assert text_of(bundle.test.x[0], vocab) == POEM[val_end:val_end + 40]
    assert vocab[int(bundle.test.y[-1])] == POEM[-1]
    counts = [len(bundle.train), len(bundle.val), len(bundle.test)]
    assert sum(counts) == len(POEM) - 40 - 2 * 40  # two boundaries, 40 windows each dropped


def test_builtin_text_keeps_its_ascii_classes_and_windows() -> None:
    bundle = load_data("builtin:text")
    assert isinstance(bundle, TextBundle) and bundle.info.num_classes == 128
    assert bundle.info.class_names[ord("A")] == "A"
    assert bundle.info.input_shape == (40,) and bundle.info.kind == "tokens"


@pytest.mark.parametrize(("content", "words"), [
    (b"", "0 characters"),
    (b"aaaa", "at least 2 different characters"),
    (b"caf\xe9 au lait", "not UTF-8"),
    (b"abcdefgh" * 5, "too few"),
])
def test_unusable_files_are_refused_naming_the_file(tmp_path: Path, content: bytes,
                                                     words: str) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    with pytest.raises(DataError, match=words) as caught:
        load_data(f"text:{path}")
    assert "notes.txt" in str(caught.value)
    with pytest.raises(DataError, match="no file at"):
        load_data(f"text:{tmp_path / 'missing.txt'}")


def test_ids_for_a_tokens_input_of_any_length(poem: Path) -> None:
    bundle = load_data(f"text:{poem}")
    vocab = bundle.info.class_names
    graph = recurrent("tokens", (12,), len(vocab), per_step=False)
    fitted = fit_text_to_graph(bundle, graph)
    assert fitted.info.input_shape == (12,) and fitted.info.kind == "tokens"
    x, y = next(fitted.train.batches(4))
    assert x.dtype == torch.int64 and x.shape == (4, 12) and y.shape == (4,)
    assert text_of(x[1], vocab) + vocab[int(y[1])] == POEM[1:14]
    check_graph(fitted.info, graph)


def test_one_hot_vectors_and_a_target_per_step(poem: Path) -> None:
    bundle = load_data(f"text:{poem}")
    vocab = bundle.info.class_names
    graph = recurrent("sequence", (20, len(vocab)), len(vocab), per_step=True)
    fitted = fit_text_to_graph(bundle, graph)
    info = fitted.info
    assert info.kind == "sequence" and info.input_shape == (20, len(vocab))
    assert info.target_shape == (20,) and info_layout(info) == TextLayout(20, True, True)
    x, y = next(fitted.train.batches(3))
    assert x.shape == (3, 20, len(vocab)) and x.dtype == torch.float32
    assert torch.equal(x.sum(-1), torch.ones(3, 20))
    assert text_of(x[2].argmax(-1), vocab) == POEM[2:22]
    assert text_of(y[2], vocab) == POEM[3:23]  # the next character after every step
    check_graph(info, graph)
    assert fit_text_to_graph(fitted, graph) is fitted  # already cut so


def test_the_primer_model_on_builtin_text_gets_one_hot_ascii_per_step() -> None:
    fitted = fit_text_to_graph(load_data("builtin:text"), build_template("char-rnn"))
    assert fitted.info.input_shape == (40, 128) and fitted.info.target_shape == (40,)
    assert fitted.info.num_classes == 128


def test_other_data_and_graphs_that_cannot_take_text_are_left_as_they_are(poem: Path) -> None:
    digits = load_data("builtin:digits")
    assert fit_text_to_graph(digits, build_template("char-rnn")) is digits
    bundle = load_data(f"text:{poem}")
    wide = recurrent("sequence", (40, 64), 64, per_step=True)
    assert fit_text_to_graph(bundle, wide) is bundle
    vocab = bundle.info.num_classes
    with pytest.raises(DataError, match=f'Input "chars" takes 64 features per step but poem.txt '
                                        f"has a vocabulary of {vocab} characters: set its "
                                        f"shape to 40×{vocab}"):
        check_graph(bundle.info, wide)
    with pytest.raises(DataError, match="set its kind to tokens"):
        check_graph(bundle.info, build_template("mlp"))


def test_prompts_become_the_model_input(poem: Path) -> None:
    bundle = load_data(f"text:{poem}")
    vocab = bundle.info.num_classes
    fitted = fit_text_to_graph(bundle, recurrent("sequence", (8, vocab), vocab, per_step=True))
    info = fitted.info
    ids = encode_prompt(info, "a star").argmax(-1)
    assert text_of(ids, info.class_names) == "  a star"  # padded on the left
    with pytest.raises(DataError, match="'Q' 'Z'"):
        encode_prompt(info, "QZ star")  # no '?' in this text to stand in for them
    ascii_info = load_data("builtin:text").info
    assert text_of(encode_prompt(ascii_info, "café"), ascii_info.class_names)[-4:] == "caf?"


def test_text_that_lost_its_text_is_refused_when_cut_otherwise(poem: Path) -> None:
    bundle = load_data(f"text:{poem}")
    plain = DataBundle(bundle.info, bundle.train, bundle.val)  # as a re-split leaves it
    vocab = bundle.info.num_classes
    assert fit_text_to_graph(plain, recurrent("tokens", (40,), vocab, False)) is plain
    with pytest.raises(DataError, match="40 characters as ids -> the next one and cannot be "
                                        f"cut again here, but the graph takes 40 characters "
                                        f"as one-hot vectors of {vocab} -> the next at every"):
        fit_text_to_graph(plain, recurrent("sequence", (40, vocab), vocab, True))


def test_unicode_text_and_a_byte_order_mark(tmp_path: Path) -> None:
    text = "Ünïcödé — naïve café, ☃ snow; " * 8
    path = tmp_path / "unicode.txt"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("; ", ";\r\n").encode("utf-8"))
    bundle = load_data(f"text:{path}")
    vocab = bundle.info.class_names
    assert vocab == tuple(sorted(set(text.replace("; ", ";\n"))))  # no BOM, no "\r"
    assert text_of(bundle.train.x[0], vocab) == text.replace("; ", ";\n")[:40]
