"""Text examples and datasets, and the cap on an example's length that keeps the pages responsive."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from core.config import check_int
from core.data.image_io import LoadProblem
from core.data.wording import plural, where

MAX_EXAMPLE_CHARS = 10_000
"""Longest example the loaders keep, in characters (Unicode code points); longer ones are cut to it.

About 1,700 English words, far longer than any sentence or review: a longer "example" is usually a whole
document without line breaks, which the pages would re-augment and redraw on every click."""


@dataclass(frozen=True)
class TextExample:
    """One text to augment.

    Attributes:
        text: The text exactly as written in the file (no stripping, no normalisation).
        label: Class label, or None when unlabelled.
        origin: Where it came from, for messages, e.g. ``"reviews.csv row 12"`` or ``"notes.txt line 3"``.
    """

    text: str
    label: str | None = None
    origin: str = ""


@dataclass
class TextDataset:
    """A named collection of text examples, with what was noticed and what could not be used.

    Attributes:
        name: Display name: the uploaded file's name, or ``"Pasted text"``.
        examples: The examples, in file order.
        notices: Sentences about what was done to the data (encoding fallback, lines skipped, ...).
        problems: CSV rows that could not be used, each naming the row.
    """

    name: str
    examples: list[TextExample] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        """Sorted distinct labels, ignoring unlabelled examples."""
        return sorted({ex.label for ex in self.examples if ex.label is not None})

    @property
    def labelled(self) -> bool:
        """True when at least one example carries a label."""
        return any(ex.label is not None for ex in self.examples)


def check_max_chars(max_chars: int | None) -> int | None:
    """``max_chars`` as an int of at least 1, or None (no cap).

    Raises:
        ConfigError: Not a whole number of at least 1.
    """
    return None if max_chars is None else check_int("max_chars", max_chars, 1)


def cap_lengths(
    examples: Sequence[TextExample], numbers: Sequence[int], name: str, word: str, max_chars: int | None
) -> tuple[list[TextExample], list[str]]:
    """Cut examples longer than ``max_chars`` characters to their first ``max_chars``, with one notice.

    Args:
        examples: The examples, in file order.
        numbers: The line or row number of each example, for the notice.
        name: The file name as the user knows it.
        word: ``"line"`` or ``"row"``.
        max_chars: The cap in characters, or None for no cap.

    Returns:
        The examples (cut where needed) and zero or one notice naming the file, the cap, the lines or rows
        cut and the longest length.
    """
    if max_chars is None:
        return list(examples), []
    cut = [number for example, number in zip(examples, numbers, strict=True) if len(example.text) > max_chars]
    if not cut:
        return list(examples), []
    longest = max(len(example.text) for example in examples)
    notice = (
        f"{name}: {plural(len(cut), word)} had more than {max_chars:,} characters ({where(word, cut)}; the "
        f"longest has {longest:,}); each was cut to its first {max_chars:,} characters, which keeps the "
        f"preview responsive; split long documents into one example per {word} (e.g. per paragraph) to "
        "use all of their text."
    )
    capped = [
        replace(example, text=example.text[:max_chars]) if len(example.text) > max_chars else example
        for example in examples
    ]
    return capped, [notice]
