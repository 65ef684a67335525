"""Fast paths: a variant of one operation sampled and applied at once, the same result as a Plan.

The default configuration (EDA's: one operation per variant) spends most of its time here when a
dataset is augmented. Each function below reads the same uniforms, in the same places, as the
operation's sampler in :mod:`core.augment.text.engine`, and writes the text and edits directly instead of
filling a :class:`~core.augment.text.engine.Plan` for :mod:`core.augment.text.render`;
``tests/augment/test_text_aug.py`` checks that both give the same, edit for edit. Variants that combine
operations, and those with display segments, take the general path.
"""

from __future__ import annotations

from functools import lru_cache

from core.augment.text.config import NOISE_OPERATIONS
from core.augment.text.engine import (
    _SAMPLE,
    Plan,
    Prepared,
    _distinct,
    _noise_picks,
    _ri_picks,
    _sr_picks,
    apply_plan,
    uniforms,
    variants,
)
from core.augment.text.tokens import Edit, match_case

_edit = tuple.__new__  # Edit(...) without its Python-level __new__: _edit(Edit, (op, position, old, new))


def _fast_replace(p: Prepared, op: str, picks: list[tuple[int, str]]) -> tuple[str, list[Edit]]:
    """Words replaced in place: ``picks`` are (slot, new word), distinct slots."""
    if not picks:
        return p.text, []
    text, starts, ends, words = p.text, p.starts, p.ends, p.words
    if len(picks) == 1:
        ((i, new),) = picks
        start = starts[i]
        return text[:start] + new + text[ends[i] :], [_edit(Edit, (op, start, words[i], new))]
    if len(picks) == 2:
        (a, new_a), (b, new_b) = picks if picks[0][0] < picks[1][0] else picks[::-1]
        start_b = starts[b] + len(new_a) - len(words[a])
        return text[: starts[a]] + new_a + text[ends[a] : starts[b]] + new_b + text[ends[b] :], [
            _edit(Edit, (op, starts[a], words[a], new_a)),
            _edit(Edit, (op, start_b, words[b], new_b)),
        ]
    picks.sort()
    out: list[str] = []
    edits: list[Edit] = []
    cursor = length = 0
    for i, new in picks:
        piece = text[cursor : starts[i]]
        length += len(piece)
        edits.append(_edit(Edit, (op, length, words[i], new)))
        out += (piece, new)
        length += len(new)
        cursor = ends[i]
    out.append(text[cursor:])
    return "".join(out), edits


def _fast_sr(p: Prepared, u: list[float], at: int) -> tuple[str, list[Edit]]:
    slots = p.sr
    k = p.counts["SR"]
    if k == 1 and slots:  # one replacement: _sr_picks and _fast_replace in a few lines (the same draws)
        c = int(u[at] * len(slots))
        options, i = p.sr_words[c], slots[c]
        old = p.words[i]
        new = options[int(u[at + 1] * len(options))]
        if not old[0].islower():
            new = match_case(new, old)
        start = p.starts[i]
        return p.text[:start] + new + p.text[p.ends[i] :], [_edit(Edit, ("SR", start, old, new))]
    m = len(slots)
    if k == 2 and m > 1:  # two: the same draws as _distinct and _sr_picks, in place
        c0 = int(u[at] * m)
        c1 = 1 + int(u[at + 1] * (m - 1))
        if c1 == c0:
            c1 = 0
        pool, words = p.sr_words, p.words
        options0, options1 = pool[c0], pool[c1]
        new0, new1 = options0[int(u[at + 2] * len(options0))], options1[int(u[at + 3] * len(options1))]
        i0, i1 = slots[c0], slots[c1]
        old0, old1 = words[i0], words[i1]
        if not old0[0].islower():
            new0 = match_case(new0, old0)
        if not old1[0].islower():
            new1 = match_case(new1, old1)
        if i1 < i0:
            i0, i1, old0, old1, new0, new1 = i1, i0, old1, old0, new1, new0
        text, starts, ends = p.text, p.starts, p.ends
        return text[: starts[i0]] + new0 + text[ends[i0] : starts[i1]] + new1 + text[ends[i1] :], [
            _edit(Edit, ("SR", starts[i0], old0, new0)),
            _edit(Edit, ("SR", starts[i1] + len(new0) - len(old0), old1, new1)),
        ]
    return _fast_replace(p, "SR", _sr_picks(p, slots, p.sr_words, u, at))


def _fast_rs(p: Prepared, u: list[float], at: int) -> tuple[str, list[Edit]]:
    free, words = p.free, p.words
    picks = _distinct(len(free), 2 * p.counts["RS"], u, at)  # as _rs_picks: pairs of consecutive picks
    if len(picks) < 2:
        return p.text, []
    slots = [free[c] for c in picks[: len(picks) // 2 * 2]]
    new = {slots[j]: words[slots[j ^ 1]] for j in range(len(slots))}  # each takes its partner's word
    text, starts, ends = p.text, p.starts, p.ends
    out: list[str] = []
    edits: list[Edit] = []
    cursor = length = 0
    for i in sorted(slots):
        piece = text[cursor : starts[i]]
        length += len(piece)
        word = new[i]
        edits.append(_edit(Edit, ("RS", length, words[i], word)))
        out += (piece, word)
        length += len(word)
        cursor = ends[i]
    out.append(text[cursor:])
    return "".join(out), edits


def _fast_rd(p: Prepared, u: list[float], at: int) -> tuple[str, list[Edit]]:
    prob = p.config.p_rd
    chosen = [i for i in p.free if u[at + i] < prob] if prob > 0 else []
    if not chosen:
        return p.text, []
    text, starts, ends, words = p.text, p.starts, p.ends, p.words
    if len(chosen) == len(words) or "\n" in text or (chosen[0] == 0 and not text[: starts[0]].strip(" \t")):
        return _via_plan("RD")(p, u, at)  # a line's first word goes: the indentation rules apply
    # One line, and some text before the first deleted word: each takes the spaces before it along.
    out: list[str] = []
    edits: list[Edit] = []
    cursor = length = 0
    for i in chosen:
        piece = text[cursor : starts[i]].rstrip(" \t")
        length += len(piece)
        out.append(piece)
        edits.append(_edit(Edit, ("RD", length, words[i], "")))
        cursor = ends[i]
    out.append(text[cursor:])
    return "".join(out), edits


def _fast_ri(p: Prepared, u: list[float], at: int) -> tuple[str, list[Edit]]:
    picks = _ri_picks(p, p.ri, p.ri_words, u, at)
    if not picks:
        return p.text, []
    text, ends = p.text, p.ends
    if len(picks) == 1:
        ((_, slot, new),) = picks
        end = ends[slot]
        return text[:end] + " " + new + text[end:], [_edit(Edit, ("RI", end + 1, "", new))]
    picks.sort(key=_by_slot)  # stable: by slot, then in draw order
    out: list[str] = []
    edits: list[Edit] = []
    cursor = length = 0
    for _, slot, new in picks:
        piece = text[cursor : ends[slot]]
        length += len(piece) + 1  # the word, then a space (a line never starts with an insertion here)
        edits.append(_edit(Edit, ("RI", length, "", new)))
        out += (piece, " ", new)
        length += len(new)
        cursor = ends[slot]
    out.append(text[cursor:])
    return "".join(out), edits


def _by_slot(pick: tuple[int, int, str]) -> int:
    return pick[1]


def _fast_noise(op: str):
    def run(p: Prepared, u: list[float], at: int) -> tuple[str, list[Edit]]:
        return _fast_replace(p, op, _noise_picks(p, op, p.noise[op], u, at))

    return run


def _via_plan(op: str):
    def run(p: Prepared, u: list[float], at: int) -> tuple[str, list[Edit]]:
        plan = Plan()
        _SAMPLE[op](p, u, at, plan, False)
        text, edits, _ = apply_plan(p, plan)
        return text, list(edits)

    return run


_FAST = {"SR": _fast_sr, "RI": _fast_ri, "RS": _fast_rs, "RD": _fast_rd, "PI": _via_plan("PI")} | {
    op: _fast_noise(op) for op in NOISE_OPERATIONS
}


def variants_plain(
    p: Prepared, seed: int, index: int, first: int, count: int
) -> list[tuple[str, list[Edit]]]:
    """(text, edits) of variants ``first .. first + count - 1`` of the prepared example ``index``
    under ``seed``: :func:`variants` without segments, by the fast paths where they apply."""
    config = p.config
    if config.combine or not p.words:
        return [(text, edits) for _, text, edits, _ in variants(p, seed, index, first, count)]
    size = p.row
    u = uniforms(seed, index, first, count, size)
    runs = _fast_runs(config.operations)  # one operation per variant: each reads its row from the start
    k = len(runs)
    return [runs[(first + j) % k](p, u, j * size) for j in range(count)]


@lru_cache(maxsize=256)
def _fast_runs(ops: tuple[str, ...]) -> tuple:
    return tuple(_FAST[op] for op in ops)
