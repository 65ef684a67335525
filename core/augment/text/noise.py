"""The noise operations nlpaug users know: typos, OCR errors, character edits, split words, misspellings.

Each changes one word at a time and is a pure function of the word and a few uniform numbers in
[0, 1) that the caller draws (sample, then apply): :func:`noise_word` spends at most
:func:`uniforms_per_word` of them, always in the same places, so a word's result depends on nothing
else. Which words are eligible is :func:`eligible`: ASCII words of four letters or more (nlpaug's
``min_char`` default), apostrophes and hyphens allowed inside; for OCR a word holding a confusable
sequence, for the spelling errors a word the table knows.

- ``KB`` keyboard typo: letters become a neighbouring key on a US QWERTY keyboard (:data:`QWERTY`);
- ``OCR`` OCR error: a sequence becomes what an OCR engine may read (``data/ocr_en.tsv``: rn -> m,
  l -> 1, O -> 0 ...);
- ``CI``, ``CS``, ``CW``, ``CD`` random character insertion, substitution, swap (of two neighbours) and
  deletion, lower-case letters a-z (capitals in an ALL-CAPS word);
- ``SPL`` word split: a space inside the word, leaving two or more letters each side ("pre view");
- ``SPE`` spelling error: a common misspelling of the word (``data/spelling_en.tsv``).

A character operation changes ``1 .. chars`` characters of a word (never more than a third of its
letters, rounded up), at distinct positions of the original word; the word's case pattern is kept.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from core.augment.text.tokens import match_case

DATA = Path(__file__).resolve().parent / "data"
MIN_LETTERS = 4  # shorter words are left alone (nlpaug's min_char)
LETTERS = "abcdefghijklmnopqrstuvwxyz"
QWERTY = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_ROW_SHIFT = (0.0, 0.25, 0.75)  # how far each row sits right of the one above, in keys
CHAR_OPERATIONS = ("KB", "OCR", "CI", "CS", "CW", "CD")


def _neighbours() -> dict[str, str]:
    """Each letter's neighbouring keys: left and right, and the keys of the rows above and below whose
    centres are at most one key away."""
    where = {
        key: (row, col + _ROW_SHIFT[row]) for row, keys in enumerate(QWERTY) for col, key in enumerate(keys)
    }
    return {
        key: "".join(
            other
            for other, (r, x) in where.items()
            if other != key and abs(r - row) <= 1 and abs(x - col) <= (1.0 if r != row else 1.01)
        )
        for key, (row, col) in where.items()
    }


NEIGHBOURS = _neighbours()


@lru_cache(maxsize=1)
def ocr_table() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``(sequence, what it may be read as)`` pairs from ``data/ocr_en.tsv``, longest sequences first."""
    rows = []
    for line in (DATA / "ocr_en.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, values = line.split("\t")
            rows.append((key, tuple(values.split())))
    return tuple(sorted(rows, key=lambda row: (-len(row[0]), row[0])))


@lru_cache(maxsize=1)
def spelling_table() -> dict[str, tuple[str, ...]]:
    """Word -> its common misspellings, from ``data/spelling_en.tsv``."""
    table = {}
    for line in (DATA / "spelling_en.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            word, wrong = line.split("\t")
            table[word] = tuple(wrong.split())
    return table


def _letters(word: str) -> int:
    return sum(c.isalpha() for c in word)


def _ocr_matches(word: str) -> list[tuple[int, str, tuple[str, ...]]]:
    """Non-overlapping matches of the OCR table in ``word``, left to right, longest sequence first."""
    table = ocr_table()
    found, at = [], 0
    while at < len(word):
        for key, values in table:
            if word.startswith(key, at):
                found.append((at, key, values))
                at += len(key)
                break
        else:
            at += 1
    return found


def _split_points(word: str) -> list[int]:
    """Where a space may go: between two letters, with two letters or more on each side."""
    return [
        i
        for i in range(2, len(word) - 1)
        if word[i - 1].isalpha() and word[i].isalpha() and _letters(word[:i]) >= 2 and _letters(word[i:]) >= 2
    ]


def _swap_points(word: str) -> list[int]:
    """Where two neighbouring letters differ (swapping them changes the word)."""
    return [
        i
        for i in range(len(word) - 1)
        if word[i] != word[i + 1] and word[i].isalpha() and word[i + 1].isalpha()
    ]


def eligible(op: str, word: str) -> bool:
    """Whether noise operation ``op`` can change ``word``."""
    if not word.isascii() or _letters(word) < MIN_LETTERS:
        return False
    if op == "OCR":
        return bool(_ocr_matches(word))
    if op == "SPE":
        return word.lower() in spelling_table()
    if op == "SPL":
        return bool(_split_points(word))
    if op == "CW":
        return bool(_swap_points(word))
    return True


def uniforms_per_word(chars: int) -> int:
    """Uniform numbers :func:`noise_word` may spend on one word: a count, then two per character."""
    return 1 + 2 * chars


def _count(word: str, chars: int, u: float) -> int:
    """1 .. chars characters, at most a third of the word's letters (rounded up)."""
    return min(1 + int(u * chars), max(1, -(-_letters(word) // 3)))


def _positions(candidates: list[int], count: int, us: list[float]) -> list[int]:
    """``count`` distinct items of ``candidates``, drawn with ``us[0], us[2], ...`` (partial shuffle)."""
    pool = list(candidates)
    chosen = []
    for j in range(min(count, len(pool))):
        k = j + int(us[2 * j] * (len(pool) - j))
        pool[j], pool[k] = pool[k], pool[j]
        chosen.append(pool[j])
    return chosen


def noise_word(op: str, word: str, chars: int, us: list[float]) -> str:
    """``word`` changed by noise operation ``op`` with the uniforms ``us``
    (``uniforms_per_word(chars)`` of them); an eligible word always changes."""
    if op == "SPE":
        options = spelling_table()[word.lower()]
        return match_case(options[int(us[0] * len(options))], word)
    if op == "SPL":
        points = _split_points(word)
        at = points[int(us[0] * len(points))]
        return word[:at] + " " + word[at:]
    count = _count(word, chars, us[0])
    rest = us[1:]
    upper = len(word) > 1 and word.isupper()
    if op == "OCR":
        matches = _ocr_matches(word)
        picks = _positions(list(range(len(matches))), count, rest)
        out, last = [], 0
        for m in sorted(picks):
            at, key, values = matches[m]
            out += [word[last:at], values[int(rest[2 * picks.index(m) + 1] * len(values))]]
            last = at + len(key)
        return "".join(out) + word[last:]
    if op == "CW":
        chars_ = list(word)
        for i in sorted(_positions(_swap_points(word), count, rest)):
            chars_[i], chars_[i + 1] = chars_[i + 1], chars_[i]
        return "".join(chars_)
    if op == "CI":
        spots = list(range(len(word) + 1))
        picks = _positions(spots, count, rest)
        pieces = list(word)
        for j, at in sorted(enumerate(picks), key=lambda item: -item[1]):  # right to left: positions hold
            letter = LETTERS[int(rest[2 * j + 1] * 26)]
            pieces.insert(at, letter.upper() if upper else letter)
        return "".join(pieces)
    letters = [i for i, c in enumerate(word) if c.isalpha()]
    picks = _positions(letters, count, rest)
    chars_ = list(word)
    for j, at in enumerate(picks):
        old = word[at]
        if op == "CD":
            chars_[at] = ""
            continue
        pool = NEIGHBOURS[old.lower()] if op == "KB" else LETTERS.replace(old.lower(), "")
        new = pool[int(rest[2 * j + 1] * len(pool))]
        chars_[at] = new.upper() if old.isupper() else new
    return "".join(chars_)
