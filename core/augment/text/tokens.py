"""What every text operation shares: words by slot, the edit records, and the case rule.

A text's words are found once (:data:`WORD_RE`) and numbered by slot; operations say what happens to
which slot, and the text is rebuilt around them, so everything between words stays as written. Both
engines use these pieces: :mod:`core.augment.text.legacy` (the draws of ``auglab.text_aug/1``) and
:mod:`core.augment.text.engine` (``auglab.text_aug/2``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import regex

from core.augment.stopwords import STOP_WORDS

# Letters with their combining marks (a decomposed "café", vowelled Arabic), joined by inner
# apostrophes or hyphens. The `regex` module (an NLTK dependency) knows Unicode categories; `re` does not.
WORD_RE = regex.compile(r"[\p{L}\p{M}]+(?:['’-][\p{L}\p{M}]+)*")

# A run of non-space characters that is (part of) a URL, an e-mail address, a path, an identifier or a
# number with letters: "://", "www.", "@", a digit, "_", "/", "\" or a dot between letters ("e.g.",
# "example.com", "sys.argv"). Operations of auglab.text_aug/2 never touch a word inside one.
_GUARD_MARK = regex.compile(r"://|www\.|@|[\d_/\\]|\p{L}\.\p{L}")
_TOKEN_RE = regex.compile(r"\S+")


def match_case(new: str, old: str) -> str:
    """``new`` written in the case pattern of ``old``: ALL CAPS, Capitalised, or as WordNet has it."""
    if len(old) > 1 and old.isupper():
        return new.upper()
    if old[:1].isupper():
        return new[:1].upper() + new[1:]
    return new


class Edit(NamedTuple):
    """One change: ``new`` starts at character ``position`` of the augmented text (a deletion: where
    ``old`` was). ``op`` is an operation code (see ``core.augment.text.OPERATION_NAMES``)."""

    op: str
    position: int
    old: str
    new: str


@dataclass(frozen=True)
class Segment:
    """A piece of the augmented text for display; a deleted word is a segment not in the text."""

    text: str
    op: str | None = None  # None: unchanged text
    note: str = ""  # what happened, for a tooltip


@dataclass(frozen=True)
class TextVariant:
    """One augmented text, its edits, and its segments for highlighting."""

    text: str
    edits: tuple[Edit, ...]
    segments: tuple[Segment, ...]
    operations: tuple[str, ...]  # the operations this variant applied


@dataclass(frozen=True)
class Split:
    """A text's words with their spans; computed once per text and shared by its variants."""

    text: str
    words: tuple[str, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    lower: tuple[str, ...]
    stop: tuple[bool, ...]  # lower-cased word is an English stop word

    def gap(self, i: int) -> str:
        """The text before word ``i`` (after word ``i - 1``)."""
        return self.text[self.ends[i - 1] if i else 0 : self.starts[i]]


def split(text: str) -> Split:
    """The words of ``text`` (:data:`WORD_RE`) with their spans, lower-case forms and stop-word flags."""
    words, starts, ends = [], [], []
    for match in WORD_RE.finditer(text):
        words.append(match.group())
        starts.append(match.start())
        ends.append(match.end())
    lower = tuple(w.lower() for w in words)
    return Split(text, tuple(words), tuple(starts), tuple(ends), lower, tuple(w in STOP_WORDS for w in lower))


split_cached = lru_cache(maxsize=16_384)(split)  # the variants of one example share one split


def guarded(text: str, starts: tuple[int, ...], ends: tuple[int, ...]) -> frozenset[int]:
    """Slots of words inside a URL, e-mail address, path, identifier or number-with-letters token
    (see ``_GUARD_MARK``): "example" and "com" in "https://example.com", "rd" in "3rd", "argv" in
    "sys.argv"."""
    if not _GUARD_MARK.search(text):
        return frozenset()
    spans = [m.span() for m in _TOKEN_RE.finditer(text) if _GUARD_MARK.search(m.group())]
    out = []
    j = 0
    for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
        while j < len(spans) and spans[j][1] <= start:
            j += 1
        if j < len(spans) and spans[j][0] <= start and end <= spans[j][1]:
            out.append(i)
    return frozenset(out)
