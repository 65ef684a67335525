"""The engine of ``auglab.text_aug/2``: every variant of an example from one stream, sampled then applied.

1. **Prepare** the example once for all its variants (cached by text and settings): its words and spans
   (:mod:`.tokens`), which slots no operation may touch (the user's protected words; words inside a
   URL, e-mail address, path, identifier or number token), and for each operation the slots it may
   use: SR the words with synonyms left after the filters (:mod:`.filters`, looked up once per word
   and context), RI the words whose synonyms it may insert, the noise operations the words they can
   change (:mod:`.noise`).
2. **Draw**: variant ``v`` owns uniforms ``[v K, (v + 1) K)`` of the stream ``(seed, "text/2", index)``,
   where ``K`` (:func:`budget`) depends only on the text and the configuration. Each operation reads
   its uniforms from fixed places of that row (an unused one is skipped, never shifted), so a variant
   depends only on (seed, index, variant), and asking for variants 3..5 gives what asking for 0..9 gives
   for them. The stream is a numpy PCG64 whose state is ``core.seeding.derive_seed(seed, "text/2",
   index)``; one call draws the rows of every variant asked for (:func:`augment_variants`), or jumps to
   one row (``advance``) for a single variant.
3. **Sample** each variant's edits (:class:`Plan`: plain slot -> word changes, insertions, deletions)
   from its row, then **apply** them (:func:`render`): untouched stretches are copied from the text as
   written and every edit's position in the result is known. A variant of one operation can also be
   sampled and applied in one pass, with the same result (:mod:`core.augment.text.fast`).

What each operation does is as in :mod:`core.augment.text` (EDA's and AEDA's) and
:mod:`core.augment.text.noise`; a slot is edited at most once per variant.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

import core.augment.text.noise as noise
from core.augment.stopwords import FUNCTION_WORDS
from core.augment.text.config import (
    NOISE_OPERATIONS,
    OPERATION_NAMES,
    PUNCTUATION,
    TextAugConfig,
    variant_operations,
)
from core.augment.text.filters import CONTEXTS, Candidates, SynonymFilters, candidates, describe
from core.augment.text.render import render
from core.augment.text.tokens import Edit, Segment, guarded, match_case, split, split_cached
from core.seeding import derive_seed

STREAM = "text/2"  # the stream's name after the seed: (seed, STREAM, index)
_INC = 0x5851F42D4C957F2D14057B7EF767814F  # PCG64's increment (odd); the state comes from derive_seed
_SENTENCE_END = frozenset(".!?;:\n")


def _n(alpha: float, words: int) -> int:
    return max(1, round(alpha * words)) if alpha > 0 else 0


# ---------------------------------------------------------------------------------------------
# 1. Prepare


class Prepared:
    """An example made ready for its variants: words, what each operation may use, row length."""

    __slots__ = (
        "anchors", "config", "contexts", "counts", "ends", "free", "noise", "offsets", "ri", "ri_words",
        "row", "sr", "sr_words", "starts", "text", "words",
    )  # fmt: skip

    def __init__(self, text: str, words: tuple[str, ...], starts: tuple[int, ...], ends: tuple[int, ...]):
        self.text, self.words, self.starts, self.ends = text, words, starts, ends
        self.config: TextAugConfig | None = None  # what it was prepared for
        self.free: Sequence[int] = ()  # slots an operation may touch: not protected, not in a URL or number
        self.anchors: Sequence[int] = ()  # slots an insertion may follow (RI) or precede (PI): not in a URL
        self.sr: list[int] = []  # slots SR may replace (they have synonyms left) ...
        self.sr_words: list[tuple[str, ...]] = []  # ... and their synonyms, lower case as WordNet has them
        self.ri: list[int] = []  # slots whose synonyms RI may insert ...
        self.ri_words: list[tuple[str, ...]] = []
        self.noise: dict[str, tuple[int, ...]] = {}  # noise operation -> slots it can change
        self.counts: dict[str, int] = {}  # operation -> its n (words replaced, swaps, ...); shared, read only
        self.offsets: dict[str, int] = {}  # operation -> where its uniforms start in a row; shared, read only
        self.row = 0  # uniforms per variant (K)
        self.contexts: dict[int, str] = {}  # the context class of each slot SR or RI looked up


def _context(text: str, starts: Sequence[int], ends: Sequence[int], lower: Sequence[str], i: int) -> str:
    """Slot ``i``'s context class: the class of the word before it, unless a sentence ends between."""
    if not i:
        return ""
    found = CONTEXTS.get(lower[i - 1], "")
    if found and not _SENTENCE_END.isdisjoint(text[ends[i - 1] : starts[i]]):
        return ""
    return found


_tables_lock = threading.Lock()
_tables: dict[SynonymFilters, dict[str, dict[str, Candidates]]] = {}


def _lookup(filters: SynonymFilters) -> dict[str, dict[str, Candidates]]:
    """The cache of :func:`filters.candidates` for one set of filters: context -> word -> candidates."""
    table = _tables.get(filters)
    if table is None:
        with _tables_lock:
            table = _tables.setdefault(filters, {})
    return table


def synonyms_at(word: str, context: str, filters: SynonymFilters) -> Candidates:
    """:func:`core.augment.text.filters.candidates` through the engine's cache (``word`` lower case)."""
    by_word = _lookup(filters).setdefault(context, {})
    found = by_word.get(word)
    if found is None:
        found = by_word[word] = candidates(word, context, filters)
    return found


def _counts(config: TextAugConfig, n: int) -> dict[str, int]:
    """Each operation's n for a text of ``n`` words: words replaced, inserted, swapped (pairs), marks
    at most (PI), words changed by a noise operation."""
    return {
        "SR": _n(config.alpha_sr, n),
        "RI": _n(config.alpha_ri, n),
        "RS": _n(config.alpha_rs, n),
        "PI": max(1, round(config.punct_ratio * n)),
        "noise": _n(config.alpha_noise, n),
    }


def budget(config: TextAugConfig, n: int) -> dict[str, int]:
    """Uniforms each operation of ``config`` reads per variant, for a text of ``n`` words."""
    counts = _counts(config, n)
    sizes = {
        "SR": 2 * counts["SR"],
        "RI": 3 * counts["RI"],
        "RS": 2 * counts["RS"],
        "RD": n + 1 if config.p_rd > 0 else 0,
        "PI": 1 + 2 * counts["PI"] if config.punct_ratio > 0 else 0,
    }
    noise_size = counts["noise"] * (1 + noise.uniforms_per_word(config.chars_per_word))
    return {op: sizes.get(op, noise_size) for op in config.operations}


def prepare(text: str, config: TextAugConfig) -> Prepared:
    """Everything the variants of ``text`` share (see the module docstring, step 1)."""
    s = split_cached(text) if len(text) <= 4096 else split(text)
    p = Prepared(text, s.words, s.starts, s.ends)
    p.config = config
    n = len(s.words)
    never = guarded(text, s.starts, s.ends)
    p.anchors = tuple(i for i in range(n) if i not in never) if never else range(n)
    if config.protected_words:
        protected = frozenset(config.protected_words)
        never = never.union(i for i, w in enumerate(s.lower) if w in protected)
    p.free = tuple(i for i in range(n) if i not in never) if never else range(n)
    ops = config.operations
    if "SR" in ops or "RI" in ops:
        stop = None
        if config.protect_stop_words:
            stop = [flag or word in FUNCTION_WORDS for flag, word in zip(s.stop, s.lower, strict=True)]
        _synonym_slots(p, s.lower, stop)
    for op in ops:
        if op in NOISE_OPERATIONS:
            p.noise[op] = tuple(i for i in p.free if noise.eligible(op, s.words[i]))
    p.counts, p.offsets, p.row = _layout(config, n)
    return p


@lru_cache(maxsize=4096)
def _layout(config: TextAugConfig, n: int) -> tuple[dict[str, int], dict[str, int], int]:
    """For a text of ``n`` words: each operation's n, where its uniforms start in a row, the row's
    length (combined variants: one after the other; otherwise all from the start of the row)."""
    sizes = budget(config, n)
    offsets, total = {}, 0
    for op in config.operations:
        offsets[op] = total if config.combine else 0
        total = total + sizes[op] if config.combine else max(total, sizes[op])
    return _counts(config, n), offsets, total


def _synonym_slots(p: Prepared, lower: Sequence[str], stop: Sequence[bool] | None) -> None:
    """Fill ``p.sr`` / ``p.ri`` (and their synonyms, and ``p.contexts``): free words of two letters or
    more (not stop words, unless those are allowed) with synonyms left after the filters."""
    config, ops = p.config, p.config.operations
    sr = config.synonym_filters("SR") if "SR" in ops else None
    ri = config.synonym_filters("RI") if "RI" in ops else None
    shared = sr == ri  # the same filters (multi-word alike): one look-up serves both
    first = sr or ri
    table = _lookup(first)
    other = _lookup(ri) if sr is not None and ri is not None and not shared else None
    text, starts, ends = p.text, p.starts, p.ends
    contexts: dict[int, str] = {}
    for i in p.free:
        word = lower[i]
        if len(word) < 2 or (stop is not None and stop[i]):
            continue
        context = contexts[i] = _context(text, starts, ends, lower, i) if i else ""
        by_word = table.get(context) or table.setdefault(context, {})
        found = by_word.get(word)
        if found is None:
            found = by_word[word] = candidates(word, context, first)
        if found.kept:
            if sr is not None:
                p.sr.append(i)
                p.sr_words.append(found.kept)
            if shared or sr is None:
                p.ri.append(i)
                p.ri_words.append(found.kept)
        if other is not None:
            found = synonyms_at(word, context, ri)
            if found.kept:
                p.ri.append(i)
                p.ri_words.append(found.kept)
    p.contexts = contexts


_prepared_lock = threading.Lock()
_prepared: OrderedDict[tuple[str, TextAugConfig], Prepared] = OrderedDict()
PREPARED_CACHE = 4096  # examples kept prepared (the preview's and an export's recent ones)


def prepared(text: str, config: TextAugConfig) -> Prepared:
    """:func:`prepare`, cached for the most recent :data:`PREPARED_CACHE` (text, configuration) pairs."""
    key = (text, config)
    found = _prepared.get(key)
    if found is None:
        found = prepare(text, config)
        if len(text) <= 4096:
            with _prepared_lock:
                _prepared[key] = found
                if len(_prepared) > PREPARED_CACHE:
                    _prepared.popitem(last=False)
    return found


def clear_caches() -> None:
    """Forget prepared examples and synonym tables (for benchmarks and tests)."""
    with _prepared_lock, _tables_lock:
        _prepared.clear()
        _tables.clear()
    split_cached.cache_clear()


# ---------------------------------------------------------------------------------------------
# 2. Draw

_local = threading.local()


def _hold() -> tuple[np.random.Generator, np.random.PCG64, dict[str, int]]:
    """This thread's PCG64 (its state is set for each stream): generator, bit generator, state."""
    bits = np.random.PCG64(0)
    _local.held = (np.random.Generator(bits), bits, {"state": 0, "inc": _INC})
    return _local.held


def uniforms(seed: int, index: int, first: int, count: int, size: int) -> list[float]:
    """Rows ``first .. first + count - 1`` of ``size`` uniforms of the stream of ``(seed, index)``, one
    after the other in one list (row ``j`` of the call is ``[j * size, (j + 1) * size)``)."""
    if size == 0 or count == 0:
        return []
    held = getattr(_local, "held", None) or _hold()
    gen, bits, state = held
    state["state"] = derive_seed(seed, STREAM, index)
    bits.state = {"bit_generator": "PCG64", "state": state, "has_uint32": 0, "uinteger": 0}
    if first:
        bits.advance(first * size)  # one 64-bit output per double
    return gen.random(count * size).tolist()


# ---------------------------------------------------------------------------------------------
# 3. Sample: each operation reads uniforms u[at:] and fills a Plan (core.augment.text.fast skips it)


class Plan:
    """One variant's edits by slot, before they are applied (plain data: the manifest's edits)."""

    __slots__ = ("after", "before", "deleted", "notes", "replaced")

    def __init__(self) -> None:
        self.replaced: dict[int, tuple[str, str]] = {}  # slot -> (operation, new word)
        self.deleted: set[int] = set()
        self.after: dict[int, list[str]] = {}  # slot -> words inserted after it (RI)
        self.before: dict[int, list[str]] = {}  # slot (n: the end) -> marks inserted before it (PI)
        self.notes: dict[tuple[str, int, int], str] = {}  # (op, slot, k) -> tooltip (detailed only)

    def touched(self, i: int) -> bool:
        return i in self.replaced or i in self.deleted


def _distinct(m: int, k: int, u: list[float], at: int) -> list[int]:
    """``k`` distinct indices of ``range(m)`` from ``u[at : at + k]`` (a partial Fisher-Yates shuffle
    kept in a dict, so the cost is O(k) whatever ``m``)."""
    if k == 1 and m:  # the common cases, unrolled (the same draws)
        return [int(u[at] * m)]
    if k == 2 and m > 1:
        first = int(u[at] * m)
        second = 1 + int(u[at + 1] * (m - 1))
        return [first, 0 if second == first else second]
    if k == 4 and m > 3:  # RS's two swaps
        out = [int(u[at] * m)]
        moved = {out[0]: 0}
        for j in (1, 2, 3):
            r = j + int(u[at + j] * (m - j))
            out.append(moved.get(r, r))
            moved[r] = moved.get(j, j)
        return out
    moved: dict[int, int] = {}
    out = []
    for j in range(min(k, m)):
        r = j + int(u[at + j] * (m - j))
        out.append(moved.get(r, r))
        moved[r] = moved.get(j, j)
    return out


def _untouched(slots: Sequence[int], pool: Sequence, plan: Plan) -> tuple[Sequence[int], Sequence]:
    """``slots`` (and their ``pool`` entries) that no earlier operation of a combined variant touched."""
    if not (plan.replaced or plan.deleted):
        return slots, pool
    keep = [j for j, i in enumerate(slots) if not plan.touched(i)]
    return [slots[j] for j in keep], [pool[j] for j in keep] if pool else ()


def _sr_picks(
    p: Prepared, slots: Sequence[int], pool: Sequence, u: list[float], at: int
) -> list[tuple[int, str]]:
    """SR: ``(slot, new word)`` for n distinct slots (``u[at : at + n]``), each a synonym
    (``u[at + n + j]``)."""
    k = p.counts["SR"]
    picks = []
    words = p.words
    for j, c in enumerate(_distinct(len(slots), k, u, at)):
        options = pool[c]
        i = slots[c]
        new = options[int(u[at + k + j] * len(options))]
        old = words[i]
        picks.append((i, new if old[0].islower() else match_case(new, old)))
    return picks


def _ri_picks(
    p: Prepared, slots: Sequence[int], pool: Sequence, u: list[float], at: int
) -> list[tuple[int, int, str]]:
    """RI: ``(source slot, slot it follows, word)`` n times: a source (``u[at + j]``; one may serve again),
    one of its synonyms (``u[at + n + j]``), the slot after which it goes (``u[at + 2n + j]``; never
    a word inside a URL, address or number)."""
    if not slots:
        return []
    k, anchors = p.counts["RI"], p.anchors
    out = []
    for j in range(k):
        c = int(u[at + j] * len(slots))
        source, options = p.words[slots[c]], pool[c]
        new = options[int(u[at + k + j] * len(options))]
        if len(source) > 1 and source.isupper():
            new = new.upper()
        out.append((slots[c], anchors[int(u[at + 2 * k + j] * len(anchors))], new))
    return out


def _rs_picks(p: Prepared, free: Sequence[int], u: list[float], at: int) -> list[tuple[int, int]]:
    """RS: n pairs of distinct slots (``u[at : at + 2n]``), no slot in two pairs."""
    picks = _distinct(len(free), 2 * p.counts["RS"], u, at)
    return [(free[picks[j]], free[picks[j + 1]]) for j in range(0, len(picks) - 1, 2)]


def _noise_picks(
    p: Prepared, op: str, slots: Sequence[int], u: list[float], at: int
) -> list[tuple[int, str]]:
    """A noise operation: ``(slot, new word)`` for n distinct slots (``u[at : at + n]``), each word
    changed with its own ``uniforms_per_word`` uniforms after those."""
    config = p.config
    k = p.counts["noise"]
    per = noise.uniforms_per_word(config.chars_per_word)
    out = []
    for j, c in enumerate(_distinct(len(slots), k, u, at)):
        base = at + k + j * per
        out.append(
            (slots[c], noise.noise_word(op, p.words[slots[c]], config.chars_per_word, u[base : base + per]))
        )
    return out


def _sr(p: Prepared, u: list[float], at: int, plan: Plan, detailed: bool) -> None:
    slots, pool = _untouched(p.sr, p.sr_words, plan)
    for i, new in _sr_picks(p, slots, pool, u, at):
        plan.replaced[i] = ("SR", new)
        if detailed:
            old = p.words[i]
            found = synonyms_at(old.lower(), p.contexts[i], p.config.synonym_filters("SR"))
            plan.notes["SR", i, 0] = f"synonym replacement: {old} → {new}; {describe(old, new, found)}"


def _ri(p: Prepared, u: list[float], at: int, plan: Plan, detailed: bool) -> None:
    slots, pool = _untouched(p.ri, p.ri_words, plan)
    for source, slot, new in _ri_picks(p, slots, pool, u, at):
        inserted = plan.after.setdefault(slot, [])
        if detailed:
            word = p.words[source]
            found = synonyms_at(word.lower(), p.contexts[source], p.config.synonym_filters("RI"))
            plan.notes["RI", slot, len(inserted)] = (
                f"random insertion: a synonym of {word!r}; {describe(word, new, found)}"
            )
        inserted.append(new)


def _rs(p: Prepared, u: list[float], at: int, plan: Plan, detailed: bool) -> None:
    free, _ = _untouched(p.free, (), plan)
    for a, b in _rs_picks(p, free, u, at):
        wa, wb = p.words[a], p.words[b]
        plan.replaced[a], plan.replaced[b] = ("RS", wb), ("RS", wa)
        if detailed:
            plan.notes["RS", a, 0] = f"random swap: {wa} ↔ {wb}"
            plan.notes["RS", b, 0] = f"random swap: {wb} ↔ {wa}"


def _rd(p: Prepared, u: list[float], at: int, plan: Plan, detailed: bool) -> None:
    prob = p.config.p_rd
    if prob <= 0:
        return
    busy = plan.replaced or plan.deleted or plan.after
    # A word that an insertion follows stays, so that no insertion ends up starting a line.
    chosen = [i for i in p.free if u[at + i] < prob and not (busy and (plan.touched(i) or i in plan.after))]
    if not chosen:
        return
    plan.deleted.update(chosen)
    if len(plan.deleted) == len(p.words):  # EDA keeps one random word rather than none
        plan.deleted.discard(chosen[int(u[at + len(p.words)] * len(chosen))])


def _pi(p: Prepared, u: list[float], at: int, plan: Plan, detailed: bool) -> None:
    n = len(p.words)
    if p.config.punct_ratio <= 0 or not n:
        return
    live = [i for i in p.anchors if i not in plan.deleted] if plan.deleted else p.anchors
    most = p.counts["PI"]
    for j in range(1 + int(u[at] * most)):  # 1 .. ratio x n marks
        slot = int(u[at + 1 + j] * (len(live) + 1))  # before the slot-th live word (not in a URL); or the end
        target = live[slot] if slot < len(live) else n
        plan.before.setdefault(target, []).append(PUNCTUATION[int(u[at + 1 + most + j] * len(PUNCTUATION))])


def _noise(op: str):
    def sample(p: Prepared, u: list[float], at: int, plan: Plan, detailed: bool) -> None:
        slots, _ = _untouched(p.noise[op], (), plan)
        for i, new in _noise_picks(p, op, slots, u, at):
            plan.replaced[i] = (op, new)
            if detailed:
                plan.notes[op, i, 0] = f"{OPERATION_NAMES[op]}: {p.words[i]} → {new}"

    return sample


_SAMPLE = {"SR": _sr, "RI": _ri, "RS": _rs, "RD": _rd, "PI": _pi} | {
    op: _noise(op) for op in NOISE_OPERATIONS
}


def sample_plan(p: Prepared, ops: Sequence[str], u: list[float], at: int = 0, detailed: bool = False) -> Plan:
    """The edits of one variant applying ``ops`` (in order) with the uniforms of its row, ``u[at:]``."""
    plan = Plan()
    if p.words:
        for op in ops:
            _SAMPLE[op](p, u, at + p.offsets[op], plan, detailed)
    return plan


def apply_plan(
    p: Prepared, plan: Plan, detailed: bool = False
) -> tuple[str, tuple[Edit, ...], tuple[Segment, ...]]:
    """The variant's text, edits and (when ``detailed``) display segments."""
    notes = plan.notes if detailed else None
    return render(
        p.text, p.words, p.starts, p.ends, plan.replaced, plan.deleted, plan.after, plan.before, notes
    )


def variants(
    p: Prepared, seed: int, index: int, first: int, count: int, detailed: bool = False
) -> list[tuple[tuple[str, ...], str, list[Edit], tuple[Segment, ...]]]:
    """Variants ``first .. first + count - 1`` of the prepared example ``index`` under ``seed``:
    (operations, text, edits, segments), each sampled into a :class:`Plan`, then applied; segments only
    when ``detailed``. (:func:`core.augment.text.fast.variants_plain` gives the same without segments,
    faster.)"""
    config = p.config
    size = p.row
    u = uniforms(seed, index, first, count, size)
    out = []
    for j in range(count):
        ops = variant_operations(config, first + j)
        if not p.words:
            out.append((ops, p.text, [], (Segment(p.text),) if detailed and p.text else ()))
            continue
        plan = sample_plan(p, ops, u, j * size, detailed)
        text, edits, segments = apply_plan(p, plan, detailed)
        out.append((ops, text, list(edits), segments))
    return out
