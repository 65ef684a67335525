"""Counts and lengths of a set of text examples, for the summary a page shows before augmenting."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from core.data.labels import count_labels
from core.data.text_io.examples import TextExample


@dataclass(frozen=True)
class LengthStats:
    """Minimum, median, mean and maximum of a length per example (words or characters)."""

    minimum: int
    median: float
    mean: float
    maximum: int


@dataclass(frozen=True)
class TextSummary:
    """Counts and lengths of a set of text examples.

    Attributes:
        total: Number of examples.
        label_counts: Examples per label, sorted by label, with ``"(unlabelled)"`` last for examples
            without a label.
        words: Words per example (whitespace-separated tokens, as :meth:`str.split` counts them), or
            None when there are no examples.
        characters: Characters (Unicode code points) per example, or None when there are no examples.
    """

    total: int
    label_counts: dict[str, int]
    words: LengthStats | None
    characters: LengthStats | None


def word_count(text: str) -> int:
    """Number of whitespace-separated tokens; text in a script without spaces (e.g. Chinese) counts as 1."""
    return len(text.split())


def _length_stats(values: list[int]) -> LengthStats | None:
    if not values:
        return None
    return LengthStats(
        minimum=min(values),
        median=float(statistics.median(values)),
        mean=float(statistics.fmean(values)),
        maximum=max(values),
    )


def summarize_text(examples: Sequence[TextExample]) -> TextSummary:
    """Count examples per label and describe their lengths in words and characters.

    Args:
        examples: The examples to describe.

    Returns:
        The summary; see :class:`TextSummary`.
    """
    return TextSummary(
        total=len(examples),
        label_counts=count_labels(ex.label for ex in examples),
        words=_length_stats([word_count(ex.text) for ex in examples]),
        characters=_length_stats([len(ex.text) for ex in examples]),
    )
