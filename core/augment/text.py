"""Text augmentation: EDA's four operations (Wei & Zou 2019) and AEDA's punctuation insertion.

Operations, each on the words of one text:

- ``SR`` synonym replacement: ``n`` words that are not protected become a WordNet synonym;
- ``RI`` random insertion: ``n`` times, a synonym of a random unprotected word is inserted after a
  random word (after, so that no line starts with a lower-case insertion);
- ``RS`` random swap: ``n`` times, two words trade places;
- ``RD`` random deletion: each word is deleted with probability ``p_rd``, never all of them;
- ``PI`` punctuation insertion (AEDA, Karimi et al. 2021): between 1 and ``punct_ratio`` x words marks
  from ``. ; ? : ! ,`` are inserted at random word boundaries.

``n = max(1, round(alpha * words))`` for SR, RI and RS; an alpha of 0 turns the operation off. As in
EDA, each variant applies one operation (variant ``v`` uses the ``v % k``-th of the ``k`` chosen
operations); with ``combine`` every variant applies all of them, in the order above.

What users of the reference implementations miss, kept here: the text outside the edits stays as
written (punctuation, contractions such as "didn't", numbers such as "3.5", spacing and line breaks);
a word is edited at most once per variant; a replacement takes the case pattern of the word it
replaces; a word is never replaced by itself or a case variant; stop words are protected from SR and
RI, and so are single letters ("b" in "<b>" is not boron); words the user protects are never touched
at all. A word is a run of letters, with inner apostrophes or hyphens ("didn't", "well-known");
numbers and punctuation are never edited.

Variant ``variant`` of example ``index`` under ``seed`` depends only on those three numbers: each has
its own ``random.Random`` seeded from them (string seeds hash with SHA-512, not Python's salted
``hash``) and synonym lists are sorted, so results never depend on hash order or other examples.
"""

from __future__ import annotations

import html
import json
import math
import random
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from typing import Any

import regex

from core.augment import wordnet
from core.augment.stopwords import STOP_WORDS
from core.config import from_mapping, parse_json
from core.errors import ConfigError

OPERATIONS = ("SR", "RI", "RS", "RD", "PI")
OPERATION_NAMES = {
    "SR": "synonym replacement",
    "RI": "random insertion",
    "RS": "random swap",
    "RD": "random deletion",
    "PI": "punctuation insertion",
}
WORDNET_OPERATIONS = frozenset({"SR", "RI"})
PUNCTUATION = (".", ";", "?", ":", "!", ",")  # AEDA's marks
CONFIG_FORMAT = "auglab.text_aug/1"
MAX_SEED = 2**63 - 1

# Letters with their combining marks (a decomposed "café", vowelled Arabic), joined by inner
# apostrophes or hyphens. The `regex` module (an NLTK dependency) knows Unicode categories; `re` does not.
WORD_RE = regex.compile(r"[\p{L}\p{M}]+(?:['’-][\p{L}\p{M}]+)*")


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


@dataclass(frozen=True)
class TextAugConfig:
    """An EDA/AEDA augmentation of text; see the module docstring for each operation."""

    alpha_sr: float = 0.1  # fraction of words replaced by a synonym
    alpha_ri: float = 0.1  # fraction of words' worth of synonyms inserted
    alpha_rs: float = 0.1  # fraction of words' worth of swaps
    p_rd: float = 0.1  # probability that each word is deleted
    punct_ratio: float = 0.3  # AEDA: up to this fraction of words' worth of marks inserted
    n_aug: int = 4  # variants per example
    operations: tuple[str, ...] = ("SR", "RI", "RS", "RD")  # which operations, from OPERATIONS
    combine: bool = False  # False: one operation per variant (EDA); True: all, in order
    protected_words: tuple[str, ...] = ()  # never edited by any operation (case-insensitive)
    protect_stop_words: bool = True  # keep SR and RI off English stop words

    def __post_init__(self) -> None:
        for name in ("alpha_sr", "alpha_ri", "alpha_rs", "p_rd", "punct_ratio"):
            value = getattr(self, name)
            if not _is_number(value) or not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name} must be a number from 0 to 1, got {value!r}.")
            object.__setattr__(self, name, float(value))
        if isinstance(self.n_aug, bool) or not isinstance(self.n_aug, int) or not 1 <= self.n_aug <= 64:
            raise ConfigError(f"n_aug must be a whole number from 1 to 64, got {self.n_aug!r}.")
        for name in ("combine", "protect_stop_words"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be true or false, got {getattr(self, name)!r}.")
        ops = self.operations
        if (
            isinstance(ops, str)
            or not isinstance(ops, (list, tuple))
            or not all(isinstance(o, str) for o in ops)
        ):
            raise ConfigError(f"operations must be a list drawn from {', '.join(OPERATIONS)}, got {ops!r}.")
        unknown = sorted(set(ops) - set(OPERATIONS))
        if unknown:
            raise ConfigError(
                f"Unknown operation(s) {', '.join(unknown)}; choose from {', '.join(OPERATIONS)}."
            )
        if not ops:
            raise ConfigError("Choose at least one operation.")
        object.__setattr__(self, "operations", tuple(o for o in OPERATIONS if o in ops))
        words = self.protected_words
        if (
            isinstance(words, str)
            or not isinstance(words, (list, tuple))
            or not all(isinstance(w, str) for w in words)
        ):
            raise ConfigError(f"protected_words must be a list of words, got {words!r}.")
        object.__setattr__(
            self, "protected_words", tuple(sorted({w.strip().lower() for w in words if w.strip()}))
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, with the format tag first."""
        data = asdict(self)
        data["operations"] = list(self.operations)
        data["protected_words"] = list(self.protected_words)
        return {"format": CONFIG_FORMAT, **data}

    def to_json(self) -> str:
        """The configuration as indented JSON; :meth:`from_json` reads it back."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Any) -> TextAugConfig:
        """Build a configuration from a mapping; keys left out take their defaults.

        Raises:
            ConfigError: Unknown keys, another format tag, or values out of range.
        """
        return from_mapping(cls, data, "text augmentation configuration", CONFIG_FORMAT)

    @classmethod
    def from_json(cls, text: str) -> TextAugConfig:
        """Parse :meth:`to_json` output (or a hand-written subset of it).

        Raises:
            ConfigError: The text is not JSON or not a valid configuration.
        """
        return cls.from_dict(parse_json(text, "configuration"))


# EDA's recommended settings by training-set size (Wei & Zou 2019, table 3): (examples, alpha, n_aug).
EDA_TABLE = ((500, 0.05, 16), (2000, 0.05, 8), (5000, 0.1, 4))


def eda_preset(examples: int, base: TextAugConfig | None = None) -> TextAugConfig:
    """EDA's recommended alpha and number of variants for a training set of ``examples`` items.

    The row for the largest size not above ``examples`` (the first row below 500): alpha for SR, RI
    and RS and as ``p_rd``; other settings from ``base``.
    """
    _, alpha, n_aug = EDA_TABLE[0]
    for size, row_alpha, row_n in EDA_TABLE:
        if examples >= size:
            alpha, n_aug = row_alpha, row_n
    base = base or TextAugConfig()
    values = {f.name: getattr(base, f.name) for f in fields(TextAugConfig)}
    values.update(alpha_sr=alpha, alpha_ri=alpha, alpha_rs=alpha, p_rd=alpha, n_aug=n_aug)
    return TextAugConfig(**values)


def synonyms(word: str) -> list[str]:
    """WordNet synonyms of ``word`` (sorted; multi-word ones with spaces; never the word itself).

    Raises:
        core.augment.wordnet.WordNetMissing: WordNet is not installed.
    """
    return list(wordnet.synonyms(word))


def match_case(new: str, old: str) -> str:
    """``new`` written in the case pattern of ``old``: ALL CAPS, Capitalised, or as WordNet has it."""
    if len(old) > 1 and old.isupper():
        return new.upper()
    if old[:1].isupper():
        return new[:1].upper() + new[1:]
    return new


@dataclass(frozen=True)
class Edit:
    """One change: ``new`` starts at character ``position`` of the augmented text (a deletion: where
    ``old`` was)."""

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
class _Split:
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


class _Work:
    """One variant in progress: the text's words by slot, what happened to each, and insertions.

    Slot ``i`` is the ``i``-th word of the original text. Marks inserted before slot ``i``
    (``before``; slot ``n`` is the end) and words inserted after it (``after``) hang off the slots,
    so the original text is never re-tokenised and untouched stretches are copied as they are.
    """

    __slots__ = ("after", "before", "config", "n", "never", "note", "old", "op", "rng", "split", "words")

    def __init__(self, split: _Split, rng: random.Random, config: TextAugConfig) -> None:
        self.split = split
        self.words = list(split.words)
        self.n = len(split.words)
        self.rng = rng
        self.config = config
        self.never = frozenset(config.protected_words)
        self.op: list[str | None] = [None] * self.n
        self.old: dict[int, str] = {}
        self.note: dict[int, str] = {}
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
        new = match_case(work.rng.choice(wordnet.synonyms(old)), old)
        work.words[i], work.old[i], work.op[i] = new, old, "SR"
        work.note[i] = f"synonym replacement: {old} → {new}"


def _random_insertion(work: _Work) -> None:
    candidates = work.replaceable()  # a source may serve again; drawn ones without synonyms drop out
    for _ in range(_n(work.config.alpha_ri, work.n)):
        i = _draw_with_synonyms(work, candidates)
        if i is None:
            return
        candidates.append(i)
        source = work.words[i]
        new = work.rng.choice(wordnet.synonyms(source))
        if len(source) > 1 and source.isupper():
            new = new.upper()
        slot = work.rng.randrange(work.n)  # RI runs before RD: every slot is still in the text
        work.after.setdefault(slot, []).append((new, f"random insertion: a synonym of {source!r}"))


def _pop_random(rng: random.Random, items: list[int]) -> int:
    """Remove and return a uniformly drawn item (swap with the last, then pop: O(1))."""
    j = rng.randrange(len(items))
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
        work.op[i], work.old[i], work.note[i] = "RD", work.words[i], "random deletion"
    if chosen and not work.live():
        work.op[rng.choice(chosen)] = None  # EDA keeps one random word rather than none


def _punctuation_insertion(work: _Work) -> None:
    live = work.live()
    if not live or work.config.punct_ratio <= 0:
        return
    rng = work.rng
    for _ in range(rng.randint(1, max(1, round(work.config.punct_ratio * work.n)))):
        slot = rng.randint(0, len(live))  # before the slot-th live word; len(live): at the end
        target = live[slot] if slot < len(live) else work.n
        work.before.setdefault(target, []).append(rng.choice(PUNCTUATION))


_APPLY = {
    "SR": _synonym_replacement,
    "RI": _random_insertion,
    "RS": _random_swap,
    "RD": _random_deletion,
    "PI": _punctuation_insertion,
}


def _split(text: str) -> _Split:
    words, starts, ends = [], [], []
    for match in WORD_RE.finditer(text):
        words.append(match.group())
        starts.append(match.start())
        ends.append(match.end())
    lower = tuple(w.lower() for w in words)
    return _Split(
        text, tuple(words), tuple(starts), tuple(ends), lower, tuple(w in STOP_WORDS for w in lower)
    )


_split_cached = lru_cache(maxsize=16_384)(_split)  # the variants of one example share one split


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
            line = piece.rsplit("\n", 1)
            line_blank = (len(line) == 2 or line_blank) and not line[-1].strip(" \t")
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
                segments.append(Segment(work.old[i], "RD", work.note[i]))
        else:
            put(gap)
            if op is None:
                put(work.words[i])
            else:
                edits.append(Edit(op, length, work.old[i], work.words[i]))
                put(work.words[i], op, work.note[i])
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


def _check_seed(seed: int, index: int, variant: int) -> None:
    if (
        type(seed) is type(index) is type(variant) is int
        and min(seed, index, variant) >= 0
        and max(seed, index, variant) <= MAX_SEED
    ):
        return  # the common case, checked in one go: this runs for every variant
    for name, value in (("seed", seed), ("index", index), ("variant", variant)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
            raise ConfigError(f"{name} must be a whole number from 0 to {MAX_SEED}, got {value!r}.")


def variant_operations(config: TextAugConfig, variant: int) -> tuple[str, ...]:
    """The operations variant ``variant`` applies: all (``combine``) or the ``variant % k``-th."""
    ops = config.operations
    return ops if config.combine else (ops[variant % len(ops)],)


def _augment(text: str, config: TextAugConfig, seed: int, index: int, variant: int, detailed: bool):
    _check_seed(seed, index, variant)
    if not isinstance(text, str):
        raise ConfigError(f"Text must be a string, got {type(text).__name__}.")
    ops = variant_operations(config, variant)
    if not WORDNET_OPERATIONS.isdisjoint(ops):
        wordnet.reader()  # fail early, with how to get WordNet
    split = _split_cached(text) if len(text) <= 4096 else _split(text)
    work = _Work(split, random.Random(f"auglab-text:{seed}:{index}:{variant}"), config)
    if work.n:
        for op in ops:
            _APPLY[op](work)
    return ops, _render(work, detailed)


def augment_text_detailed(
    text: str, config: TextAugConfig, seed: int, index: int, variant: int
) -> TextVariant:
    """Variant ``variant`` of example ``index`` under ``seed``, with segments for highlighting.

    Raises:
        ConfigError: ``seed``, ``index`` or ``variant`` is not a whole number in range.
        core.augment.wordnet.WordNetMissing: SR or RI is asked for and WordNet is not installed.
    """
    ops, (out, edits, segments) = _augment(text, config, seed, index, variant, detailed=True)
    return TextVariant(out, edits, segments, ops)


def augment_text(
    text: str, config: TextAugConfig, seed: int, index: int, variant: int
) -> tuple[str, list[Edit]]:
    """Variant ``variant`` of example ``index`` under ``seed``: the text and its list of edits.

    See :func:`augment_text_detailed`; this one skips building the display segments.
    """
    _, (out, edits, _) = _augment(text, config, seed, index, variant, detailed=False)
    return out, list(edits)


def highlight_html(variant: TextVariant, max_chars: int = 3000) -> str:
    """The variant as HTML: each edit in a ``<span class="aug-XX">`` with its story as a tooltip.

    All text is escaped; the classes are styled by ``assets/text_highlight.css``. Past ``max_chars``
    characters the rest is summarised, so a megabyte-long line does not flood the page.
    """
    parts, shown = [], 0
    for segment in variant.segments:
        if shown >= max_chars:
            rest = sum(len(s.text) for s in variant.segments if s.op != "RD") - shown
            parts.append(f'<span class="aug-more">… {rest:,} more characters</span>')
            break
        piece = segment.text[: max_chars - shown]
        shown += len(piece) if segment.op != "RD" else 0
        text = html.escape(piece)
        if segment.op is None:
            parts.append(text)
        else:
            title = html.escape(segment.note or OPERATION_NAMES[segment.op], quote=True)
            parts.append(f'<span class="aug-{segment.op.lower()}" title="{title}">{text}</span>')
    return "".join(parts)


def preview_table_html(
    original: str, label: str | None, variants: list[TextVariant], max_chars: int = 3000
) -> str:
    """An HTML table: the original, then each variant with its operations and highlighted edits."""

    def cell(text: str) -> str:
        return f'<td class="aug-text">{text}</td>'

    head = html.escape(label) if label is not None else ""
    original_html = html.escape(original[:max_chars]) + (
        f'<span class="aug-more">… {len(original) - max_chars:,} more characters</span>'
        if len(original) > max_chars
        else ""
    )
    rows = [f'<tr><th>original</th><td class="aug-label">{head}</td>{cell(original_html)}</tr>']
    for number, variant in enumerate(variants):
        ops = "+".join(variant.operations)
        unchanged = "" if variant.edits else ' <span class="aug-more">(unchanged)</span>'
        body = cell(highlight_html(variant, max_chars) + unchanged)
        rows.append(f'<tr><th>v{number}</th><td class="aug-label">{ops}</td>{body}</tr>')
    return '<table class="aug-table">' + "".join(rows) + "</table>"
