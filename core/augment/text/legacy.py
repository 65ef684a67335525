"""The engine of ``auglab.text_aug/1``: EDA's and AEDA's operations with one ``random.Random`` per variant.

This is AugLab 0.2's engine, kept as it was so that a configuration or recipe saved then rebuilds the
same variants (a configuration read from an ``auglab.text_aug/1`` file has ``legacy_draws`` set; see
:mod:`core.augment.text.config`). Newer configurations run :mod:`core.augment.text.engine`.

Each variant works on the words of the original text (found once per text by :data:`WORD_RE` and
shared by its variants), records what each operation does to which word slot, then rebuilds the text:
stretches no operation touched are copied from the original as they are, so punctuation, numbers,
spacing and line breaks survive, and every edit's position in the new text is known exactly.

The randomness of variant ``variant`` of example ``index`` under ``seed`` is
``core.seeding.python_random(seed, "text", index, variant)``: its own ``random.Random``, named by
those three numbers (and "text", so that no other stream of the same numbers coincides with it).
Integers are drawn by scaling ``random()`` (:func:`_below`), at half the cost of ``randrange``.
Synonyms are :func:`core.augment.wordnet.synonyms`: every lemma of every sense, as WordNet gives them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

from core.augment import wordnet
from core.augment.text.config import PUNCTUATION, WORDNET_OPERATIONS, TextAugConfig, variant_operations
from core.augment.text.tokens import WORD_RE, Edit, Segment, Split, match_case, split, split_cached
from core.config import MAX_SEED, check_seed
from core.errors import ConfigError
from core.seeding import python_random

T = TypeVar("T")
__all__ = ["WORD_RE", "augment_legacy", "synonyms"]


def synonyms(word: str) -> list[str]:
    """WordNet synonyms of ``word`` (sorted; multi-word ones with spaces; never the word itself).

    Raises:
        core.augment.wordnet.WordNetMissing: WordNet is not installed.
    """
    return list(wordnet.synonyms(word))


class _Work:
    """One variant in progress: the text's words by slot, what happened to each, and insertions.

    Slot ``i`` is the ``i``-th word of the original text. Marks inserted before slot ``i``
    (``before``; slot ``n`` is the end) and words inserted after it (``after``) hang off the slots,
    so the original text is never re-tokenised and untouched stretches are copied as they are.
    """

    __slots__ = (
        "after", "before", "config", "detailed", "n", "never", "note", "old", "op", "rng", "split", "words"
    )  # fmt: skip

    def __init__(self, split: Split, rng: random.Random, config: TextAugConfig, detailed: bool) -> None:
        self.split = split
        self.detailed = detailed  # whether notes for the tooltips are wanted (they cost f-strings)
        self.words = list(split.words)
        self.n = len(split.words)
        self.rng = rng
        self.config = config
        self.never = frozenset(config.protected_words)
        self.op: list[str | None] = [None] * self.n
        self.old: dict[int, str] = {}
        self.note: dict[int, str] = {}  # filled only when detailed
        self.before: dict[int, list[str]] = {}
        self.after: dict[int, list[tuple[str, str]]] = {}

    def free(self) -> list[int]:
        """Slots no operation has touched and the user has not protected."""
        op, never = self.op, self.never
        if never:
            lower = self.split.lower
            return [i for i in range(self.n) if op[i] is None and lower[i] not in never]
        return [i for i in range(self.n) if op[i] is None]

    def replaceable(self) -> list[int]:
        """Free slots SR and RI may use: words of two letters or more, not stop words (by default)."""
        words = self.words
        free = [i for i in self.free() if len(words[i]) > 1]  # "b" in "<b>" is not boron
        if not self.config.protect_stop_words:
            return free
        stop = self.split.stop
        return [i for i in free if not stop[i]]

    def live(self) -> list[int]:
        """Slots whose word is still in the text."""
        op = self.op
        return [i for i in range(self.n) if op[i] != "RD"]


def _below(rng: random.Random, n: int) -> int:
    """A uniform draw from ``range(n)`` (n >= 1).

    One ``random()`` scaled, at half the cost of ``randrange``; the bias, at most n / 2**53, is nil
    for any n a text has.
    """
    return int(rng.random() * n)


def _pick(rng: random.Random, items: Sequence[T]) -> T:
    """A uniformly drawn item of a non-empty sequence (``rng.choice``, through :func:`_below`)."""
    return items[int(rng.random() * len(items))]


def _n(alpha: float, words: int) -> int:
    return max(1, round(alpha * words)) if alpha > 0 else 0


def _draw_with_synonyms(work: _Work, candidates: list[int]) -> int | None:
    """Draw candidates at random, without replacement, until one has synonyms (or none is left).

    Removes what it draws from ``candidates``, so repeated calls keep drawing without replacement.
    """
    while candidates:
        i = _pop_random(work.rng, candidates)
        if wordnet.synonyms(work.words[i]):
            return i
    return None


def _synonym_replacement(work: _Work) -> None:
    candidates = work.replaceable()
    for _ in range(_n(work.config.alpha_sr, work.n)):
        i = _draw_with_synonyms(work, candidates)
        if i is None:
            return
        old = work.words[i]
        new = match_case(_pick(work.rng, wordnet.synonyms(old)), old)
        work.words[i], work.old[i], work.op[i] = new, old, "SR"
        if work.detailed:
            work.note[i] = f"synonym replacement: {old} → {new}"


def _random_insertion(work: _Work) -> None:
    candidates = work.replaceable()  # a source may serve again; drawn ones without synonyms drop out
    for _ in range(_n(work.config.alpha_ri, work.n)):
        i = _draw_with_synonyms(work, candidates)
        if i is None:
            return
        candidates.append(i)
        source = work.words[i]
        new = _pick(work.rng, wordnet.synonyms(source))
        if len(source) > 1 and source.isupper():
            new = new.upper()
        slot = _below(work.rng, work.n)  # RI runs before RD: every slot is still in the text
        story = f"random insertion: a synonym of {source!r}" if work.detailed else ""
        work.after.setdefault(slot, []).append((new, story))


def _pop_random(rng: random.Random, items: list[int]) -> int:
    """Remove and return a uniformly drawn item (swap with the last, then pop: O(1))."""
    j = _below(rng, len(items))
    items[j], items[-1] = items[-1], items[j]
    return items.pop()


def _random_swap(work: _Work) -> None:
    words, rng = work.words, work.rng
    free = work.free()
    for _ in range(_n(work.config.alpha_rs, work.n)):
        if len(free) < 2:
            return
        i, j = _pop_random(rng, free), _pop_random(rng, free)
        work.old[i], work.old[j] = words[i], words[j]
        words[i], words[j] = words[j], words[i]
        work.op[i] = work.op[j] = "RS"
        if work.detailed:
            work.note[i] = f"random swap: {work.old[i]} ↔ {work.old[j]}"
            work.note[j] = f"random swap: {work.old[j]} ↔ {work.old[i]}"


def _random_deletion(work: _Work) -> None:
    p = work.config.p_rd
    if p <= 0:
        return
    rng = work.rng
    # A word that an insertion follows stays, so that no insertion ends up starting a line.
    chosen = [i for i in work.free() if rng.random() < p and i not in work.after]
    for i in chosen:
        work.op[i], work.old[i] = "RD", work.words[i]
    if chosen and not work.live():
        work.op[_pick(rng, chosen)] = None  # EDA keeps one random word rather than none


def _punctuation_insertion(work: _Work) -> None:
    live = work.live()
    if not live or work.config.punct_ratio <= 0:
        return
    rng = work.rng
    for _ in range(1 + _below(rng, max(1, round(work.config.punct_ratio * work.n)))):  # 1 .. ratio x n
        slot = _below(rng, len(live) + 1)  # before the slot-th live word; len(live): at the end
        target = live[slot] if slot < len(live) else work.n
        work.before.setdefault(target, []).append(_pick(rng, PUNCTUATION))


_APPLY = {
    "SR": _synonym_replacement,
    "RI": _random_insertion,
    "RS": _random_swap,
    "RD": _random_deletion,
    "PI": _punctuation_insertion,
}


def _render(work: _Work, detailed: bool) -> tuple[str, tuple[Edit, ...], tuple[Segment, ...]]:
    """The variant's text: untouched stretches copied from the original, touched slots rebuilt.

    A deleted word takes the spaces before it along; one that began a line leaves the line's
    indentation and takes the spaces after it instead, so no line gains or loses indentation.
    """
    split = work.split
    text, starts, ends, n = split.text, split.starts, split.ends, work.n
    out: list[str] = []
    edits: list[Edit] = []
    segments: list[Segment] = []
    length = 0  # characters written so far
    line_blank = True  # nothing but indentation written since the last line break

    def put(piece: str, op: str | None = None, note: str = "") -> None:
        nonlocal length, line_blank
        if piece:
            out.append(piece)
            length += len(piece)
            if "\n" in piece:  # a new line starts: blank while only indentation follows the break
                line_blank = not piece[piece.rindex("\n") + 1 :].strip(" \t")
            elif line_blank:  # most pieces skip this: a line stops being blank once, at its first word
                line_blank = not piece.strip(" \t")
            if detailed:
                segments.append(Segment(piece, op, note))

    touched = {i for i, op in enumerate(work.op) if op is not None}
    cursor = 0  # where in the original text the next untouched stretch starts
    bare: int | None = None  # slot whose gap loses its leading spaces (a line-initial word went)

    def skip_bare_gap() -> None:
        nonlocal cursor
        if bare is not None:
            gap = text[cursor : starts[bare] if bare < n else len(text)]
            cursor += len(gap) - len(gap.lstrip(" \t"))

    for i in sorted(touched | work.before.keys() | work.after.keys()):
        gap_start = ends[i - 1] if i else 0
        if bare is not None and bare < i:  # that slot is untouched: skip its spaces while copying
            skip_bare_gap()
        put(text[cursor:gap_start])
        gap = text[gap_start : starts[i]] if i < n else ""
        if bare == i:
            gap = gap.lstrip(" \t")
        bare = None
        for mark in work.before.get(i, ()):
            put(gap if i < n else " ")
            edits.append(Edit("PI", length, "", mark))
            put(mark, "PI", "punctuation insertion")
            gap = " "
        cursor = gap_start
        if i == n:
            break
        op = work.op[i]
        if op == "RD":
            kept = gap.rstrip(" \t")
            put(kept)
            if line_blank:  # the word began a line: keep the indentation, drop the spaces after it
                put(gap[len(kept) :])
                bare = i + 1
            edits.append(Edit("RD", length, work.old[i], ""))
            if detailed:
                segments.append(Segment(work.old[i], "RD", "random deletion"))
        else:
            put(gap)
            if op is None:
                put(work.words[i])
            else:
                edits.append(Edit(op, length, work.old[i], work.words[i]))
                put(work.words[i], op, work.note[i] if detailed else "")
        for word, story in work.after.get(i, ()):
            if not line_blank:  # after a deleted line-initial word the insertion starts the line
                put(" ")
            edits.append(Edit("RI", length, "", word))
            put(word, "RI", story)
            bare = None  # the next word needs its space again
        cursor = ends[i]
    skip_bare_gap()
    put(text[cursor:])
    return "".join(out), tuple(edits), tuple(segments)


def augment_legacy(
    text: str, config: TextAugConfig, seed: int, index: int, variant: int, detailed: bool
) -> tuple[tuple[str, ...], tuple[str, tuple[Edit, ...], tuple[Segment, ...]]]:
    """Variant ``variant`` of example ``index`` under ``seed``, as ``auglab.text_aug/1`` drew it:
    the operations applied and (text, edits, segments); segments only when ``detailed``."""
    # The common case checked in one go (this runs for every variant); core.seeding checks the seed.
    if not (type(index) is type(variant) is int and 0 <= index <= MAX_SEED and 0 <= variant <= MAX_SEED):
        check_seed("index", index)  # numpy integers pass; anything else gets its sentence
        check_seed("variant", variant)
    rng = python_random(seed, "text", index, variant)
    if not isinstance(text, str):
        raise ConfigError(f"Text must be a string, got {type(text).__name__}.")
    ops = variant_operations(config, variant)
    if not WORDNET_OPERATIONS.isdisjoint(ops):
        wordnet.reader()  # fail early, with how to get WordNet
    words = split_cached(text) if len(text) <= 4096 else split(text)
    work = _Work(words, rng, config, detailed)
    if work.n:
        for op in ops:
            _APPLY[op](work)
    return ops, _render(work, detailed)
