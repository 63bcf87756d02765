"""Text as data: `text:FILE` (any UTF-8 file) and builtin:text, cut to the graph's shape.

A text is kept whole (`TextCorpus`: its character ids and vocabulary) so the samples can
be cut as the model asks (`fit_text_to_graph`, layout in graph/text_fit.py): windows of
the Input's length, character ids or one-hot vectors, the next character or the next
character at every step. The trainer, `evaluate` and `predict` all cut it the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from dlstudio.data.errors import DataError
from dlstudio.data.info import DataInfo
from dlstudio.data.options import LoadOptions
from dlstudio.data.pipeline import Augment, BatchPipeline
from dlstudio.data.splits import DataBundle, DataSplit, split_sizes
from dlstudio.graph.model import Graph
from dlstudio.graph.text_fit import TextLayout, text_layout

PAD = " "  # a prompt shorter than the window is padded on the left with it
UNKNOWN = "?"  # a prompt's character outside the vocabulary becomes it, when there is one


@dataclass(frozen=True, eq=False)
class TextCorpus:
    """A whole text: `codes` are ids into `vocab` (one character each), `source` the
    spec it came from; the split shares are the run's."""

    name: str
    source: str
    vocab: tuple[str, ...]
    codes: torch.Tensor
    val_fraction: float = 0.15
    test_fraction: float = 0.0


@dataclass(frozen=True)
class OneHotPipeline(BatchPipeline):
    """Character ids -> one-hot vectors, per batch, so splits keep the compact ids."""

    vocab: int = 0

    def __call__(self, x: torch.Tensor, *, augment: Augment | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        x = F.one_hot(x.long(), self.vocab).float()
        return x if augment is None else augment(x, generator)


@dataclass(frozen=True, eq=False)
class TextBundle(DataBundle):
    """A DataBundle that keeps its text, so it can be cut again for another graph."""

    corpus: TextCorpus | None = None
    layout: TextLayout = TextLayout()


def is_text_source(source: str) -> bool:
    """Data whose samples are cut from a text (and can be cut to fit the graph)."""
    return source == "builtin:text" or source.startswith("text:")


def load_text_file(path: Path, opts: LoadOptions, source: str) -> TextBundle:
    """`text:FILE`: the file's characters, its sorted distinct characters the vocabulary."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark is no character
    except FileNotFoundError:
        raise DataError(f"{source}: no file at {path}") from None
    except UnicodeDecodeError as error:
        raise DataError(f"{source}: {path} is not UTF-8 text (byte {error.start} cannot be "
                        "read): save it as UTF-8") from None
    except OSError as error:
        raise DataError(f"{source}: cannot read {path}: {error.strerror or error}") from None
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    distinct, codes = np.unique(points, return_inverse=True)  # sorted, and each one's index
    if len(distinct) < 2:
        raise DataError(f"{source}: {path} holds {len(text)} characters of "
                        f"{len(distinct)} kind{'s' * (len(distinct) != 1)}; a text model "
                        "needs at least 2 different characters")
    vocab = tuple(chr(int(point)) for point in distinct)
    return text_bundle(TextCorpus(path.name, source, vocab,
                                  torch.from_numpy(codes.astype(np.int64).reshape(-1)),
                                  opts.val_fraction, opts.test_fraction))


def text_bundle(corpus: TextCorpus, layout: TextLayout | None = None) -> TextBundle:
    """The corpus cut as `layout` says (default: windows of 40 ids -> the next one).

    Split by position (train, then val, then test): each part is a separate stretch of
    the text and windows never cross from one into another, so no validation text leaks
    into training, for any window length. For 40 characters these are the windows
    builtin:text always had.
    """
    layout = layout or TextLayout()
    window, vocab = layout.window, len(corpus.vocab)
    count = len(corpus.codes) - window
    if count < 2:
        raise DataError(f"{corpus.source}: {len(corpus.codes)} characters are too few for "
                        f"windows of {window}: give a longer text or a shorter Input")
    try:
        _, n_val, n_test = split_sizes(count, corpus.val_fraction, corpus.test_fraction)
    except DataError as error:
        raise DataError(f"{corpus.source}: {error}") from None
    test_start = count - n_test
    val_start = test_start - n_val
    followed = n_val + n_test > 0
    pieces = (corpus.codes[:val_start] if followed else corpus.codes,
              corpus.codes[val_start:test_start] if n_test else corpus.codes[val_start:],
              corpus.codes[test_start:])
    if len(pieces[0]) <= window or (n_val and len(pieces[1]) <= window):
        raise DataError(f"{corpus.source}: {len(corpus.codes)} characters are too few for "
                        f"windows of {window} with val_fraction {corpus.val_fraction} and "
                        f"test_fraction {corpus.test_fraction}: give a longer text, a "
                        "shorter Input or smaller shares")
    pipeline = OneHotPipeline("sequence", vocab=vocab) if layout.one_hot \
        else BatchPipeline("tokens")
    splits = [_windows(piece, layout, pipeline) if n else None
              for piece, n in zip(pieces, (1, n_val, n_test), strict=True)]
    train = splits[0]
    assert train is not None
    target = "the next character at every step" if layout.per_step else "the next one"
    form = f"one-hot over {vocab}" if layout.one_hot else "ids"
    info = DataInfo(
        name=corpus.name, kind=layout.input_kind(), task="classification",
        input_shape=layout.input_shape(vocab), target_shape=layout.target_shape(),
        class_names=corpus.vocab, source=corpus.source,
        description=f"{corpus.name}: {window} characters ({form}) -> {target}")
    return TextBundle(info, train, splits[1], splits[2], corpus=corpus, layout=layout)


def _windows(piece: torch.Tensor, layout: TextLayout, pipeline: BatchPipeline) -> DataSplit:
    """Every window of the piece and its target(s); views, so a long text is not copied
    once per window."""
    windows = piece.unfold(0, layout.window, 1)
    y = windows[1:] if layout.per_step else piece[layout.window:]
    return DataSplit(windows[:-1], y, pipeline)


def fit_text_to_graph(bundle: DataBundle, graph: Graph) -> DataBundle:
    """Text cut to the graph's Input and Output (see graph/text_fit.py); other data, and
    text a graph cannot take (its checks say why), are returned as they are.

    Text samples that no longer carry their text (re-split into a plain DataBundle) and
    are cut otherwise than the graph asks are refused: the checks would pass them (text
    fits either way) and the model would fail on the first batch."""
    vocab = bundle.info.num_classes
    layout = text_layout(graph, vocab) if is_text_source(bundle.info.source) else None
    if layout is None:
        return bundle
    if isinstance(bundle, TextBundle) and bundle.corpus is not None:
        return bundle if layout == bundle.layout else text_bundle(bundle.corpus, layout)
    have = info_layout(bundle.info)
    if have is not None and have != layout:
        raise DataError(f"{bundle.info.name}: these samples are {_words(have, vocab)} and "
                        f"cannot be cut again here, but the graph takes "
                        f"{_words(layout, vocab)}")
    return bundle


def _words(layout: TextLayout, vocab: int) -> str:
    form = f"one-hot vectors of {vocab}" if layout.one_hot else "ids"
    target = "the next at every step" if layout.per_step else "the next one"
    return f"{layout.window} characters as {form} -> {target}"


# ----- a trained text model's input, from its DataInfo alone -------------------------------
def info_layout(info: DataInfo) -> TextLayout | None:
    """How a model trained on text takes it, or None when its data was not characters."""
    if info.task != "classification" or not all(len(c) == 1 for c in info.class_names):
        return None
    shape, per_step = tuple(info.input_shape), tuple(info.target_shape) != ()
    if info.kind == "tokens" and len(shape) == 1:
        return TextLayout(shape[0], False, per_step)
    if info.kind == "sequence" and len(shape) == 2 and shape[1] == info.num_classes \
            and is_text_source(info.source):
        return TextLayout(shape[0], True, per_step)
    return None


def encode_prompt(info: DataInfo, prompt: str) -> torch.Tensor:
    """The model input for the end of `prompt`: its last `window` characters, padded on
    the left with spaces, as ids or one-hot vectors. A character outside the vocabulary
    becomes '?' when the vocabulary has one; otherwise the prompt is refused."""
    layout = info_layout(info)
    if layout is None:
        raise DataError(f"{info.name} is not text: it takes {info.describe_input()}")
    index = {c: i for i, c in enumerate(info.class_names)}
    text = prompt[-layout.window:]
    unknown = sorted({c for c in text if c not in index})
    if unknown and UNKNOWN not in index:
        shown = " ".join(repr(c) for c in unknown[:5]) + (" …" if len(unknown) > 5 else "")
        raise DataError(f"the prompt has characters {info.name} never showed the model: "
                        f"{shown}; use only the {len(index)} characters of its text")
    if len(text) < layout.window:
        if PAD not in index:
            raise DataError(f"the prompt is {len(text)} characters; {info.name} has no "
                            f"space to pad it with, so give at least {layout.window}")
        text = text.rjust(layout.window, PAD)
    ids = torch.tensor([index.get(c, index.get(UNKNOWN, 0)) for c in text],
                       dtype=torch.int64)
    if layout.one_hot:
        return F.one_hot(ids, len(index)).float()
    return ids

