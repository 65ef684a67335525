"""Built-in text samples that need no upload: short labelled reviews, and real English prose.

Pages, the CLI and recipes pick them by short or display name through :mod:`core.data.sources`;
:data:`TEXT_SAMPLES` is the table of loaders it reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from core.config import check_int
from core.data.text_io import TextDataset, TextExample, load_csv

ASSETS = Path(__file__).resolve().parents[2] / "assets"
REVIEWS = "Product reviews (24, positive / negative)"
PYDOC = "Python documentation sentences (300, unlabelled)"
PYDOC_TOPICS = "Python documentation, every topic (about 450,000 characters of prose and code, unlabelled)"

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def load_reviews() -> TextDataset:
    """24 short product reviews written for AugLab, labelled positive or negative."""
    path = ASSETS / "sample_reviews.csv"
    dataset = load_csv(path.read_bytes(), path.name, "text", "label")
    dataset.name = REVIEWS
    return dataset


def pydoc_sentences(count: int = 300, min_words: int = 6, max_words: int = 40) -> list[str]:
    """The first ``count`` prose sentences of CPython's bundled documentation topics (``pydoc_data``).

    Paragraphs are split at sentence ends; sentences with code markers or outside the word range
    are left out, so what remains is plain English prose.

    Raises:
        ConfigError: A count below 0, or a word range that is not whole numbers with 1 <= min <= max.
    """
    from pydoc_data.topics import topics

    count = check_int("count", count, 0)
    min_words = check_int("min_words", min_words, 1)
    max_words = check_int("max_words", max_words, min_words)
    sentences: list[str] = []
    if count == 0:
        return sentences
    for key in sorted(topics):
        for paragraph in topics[key].split("\n\n"):
            flat = " ".join(paragraph.split())
            for sentence in _SENTENCE_END.split(flat):
                words = sentence.split()
                if min_words <= len(words) <= max_words and not set("*`>()[]{}=_") & set(sentence):
                    sentences.append(sentence)
                    if len(sentences) == count:
                        return sentences
    return sentences


def load_pydoc() -> TextDataset:
    """300 sentences of real English prose from CPython's documentation, unlabelled."""
    examples = [TextExample(s, None, f"pydoc_data sentence {i + 1}") for i, s in enumerate(pydoc_sentences())]
    return TextDataset(name=PYDOC, examples=examples, notices=[], problems=[])


def load_pydoc_topics() -> TextDataset:
    """Every non-blank line of CPython's documentation topics, in sorted topic order: a corpus big
    enough to train a character-level LSTM."""
    from pydoc_data.topics import topics

    lines = [line for key in sorted(topics) for line in topics[key].splitlines() if line.strip()]
    examples = [TextExample(line, None, f"pydoc_data line {i + 1}") for i, line in enumerate(lines)]
    return TextDataset(name=PYDOC_TOPICS, examples=examples, notices=[], problems=[])


TEXT_SAMPLES: dict[str, Callable[[], TextDataset]] = {
    REVIEWS: load_reviews,
    PYDOC: load_pydoc,
    PYDOC_TOPICS: load_pydoc_topics,
}
"""Built-in text datasets by display name; each works offline and returns a fresh dataset.

Pick them by short or display name through :func:`core.data.sources.load_builtin_text`."""
