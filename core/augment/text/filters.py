"""Synonyms a teacher can show: WordNet's candidates for one word in its context, filtered, with reasons.

WordNet lists every sense of every part of speech of a word: "water" is H2O, a body of water and urine;
"plants" is also the verb "plant"; "carbon" is also carbon paper. Taking any lemma of any synset, as
EDA does, gives "piss" for "water" and "constitute" for "plants". :func:`candidates` keeps what fits:

1. Part of speech (``pos``): the one the word most likely has here. WordNet's sense tag counts (how often
   each sense was seen in its sense-tagged corpus) give each part of speech a weight; the word's form
   ("-ly": adverb; "-ed", "-ing" as a verb form) and the word before it ("the": not a verb; "to",
   "will", "they": a verb; "has": a participle) scale the weights. Synonyms come from that part of
   speech only.
2. Senses (``senses``, ``untagged``): from the first ``senses`` senses (WordNet lists the most frequent
   first), and never from a sense the tagged corpus never saw (tag count 0) unless ``untagged``; and the
   sense must be among the synonym's own first ``senses`` senses too ("energy" -> "zip" is out: that is
   not what "zip" usually means).
3. Names and symbols (``names``): no one-letter words, numbers, abbreviations or capitalised names
   ("Oxygen" -> "O", "water" -> "H2O").
4. Several words (``multiword``): kept or not (EDA's insertion reads better without them).
5. Inflection (``inflect``): the synonym takes the word's form, by lemminflect's tables ("cars" ->
   "automobiles", "worked" -> "functioned", "bigger" -> "larger"); one that cannot is left out.
6. Frequency (``max_rarer``): no synonym more than ``max_rarer`` zipf units rarer than the word
   (wordfreq's English table; 1 unit = 10 times rarer).
7. Blocklist (``blocklist``): no offensive or vulgar word: the lists in ``data/`` (and a user's own
   ``blocked`` words), matched on every word of a synonym and its base form, and every sense WordNet
   files under obscenity, ethnic slur or disparagement.

With every filter off (:data:`RAW`) the candidates are exactly :func:`core.augment.wordnet.synonyms`.
Each left-out candidate carries the first reason that left it out (the blocklist first), so the Text
page can show why. Results are cached per (word, context, filters); everything is sorted, so nothing
depends on hash order.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from core.augment import wordnet

DATA = Path(__file__).resolve().parent / "data"
BLOCKLIST_FILES = ("blocklist_ldnoobw_en.txt", "blocklist_auglab.txt")
BLOCKED_DOMAINS = ("obscenity.n.02", "ethnic_slur.n.01", "disparagement.n.01")

# Why a candidate was left out, in the order a reason is reported (the first that applies).
REASONS = {
    "blocklist": "on the blocklist",
    "pos": "another part of speech",
    "sense": "a rare sense",
    "theirs": "a rare sense of that word",
    "names": "a name, symbol or abbreviation",
    "multiword": "several words",
    "inflect": "cannot take the word's form",
    "rare": "much rarer than the word",
}
POS_NAMES = {"n": "noun", "v": "verb", "a": "adjective", "r": "adverb"}
_BASE_TAG = {"n": "NN", "v": "VB", "a": "JJ", "r": "RB"}
_BASE_TAGS = frozenset({"NN", "VB", "VBP", "JJ", "RB"})

# The word before: what it says about the part of speech of the next one (multipliers per pos).
_DETERMINERS = frozenset(
    str.split(
        "the a an this that these those my your his her its our their some any each every no another such "
        "many much several few both either neither whose"
    )
)
_VERBAL = frozenset(
    str.split(
        "will would can could should shall may might must do does did don't doesn't didn't cannot can't "
        "won't wouldn't couldn't shouldn't i you we they he she who let's"
    )
)
_HAVE = frozenset(str.split("have has had having i've you've we've they've"))
_BE = frozenset(str.split("is are was were be been being am i'm you're we're they're he's she's it's"))
CONTEXTS = {
    **{w: "det" for w in _DETERMINERS},
    **{w: "verbal" for w in _VERBAL},
    "to": "to",
    **{w: "have" for w in _HAVE},
    **{w: "be" for w in _BE},
}
_CONTEXT_WEIGHT = {
    "": {},
    "det": {"v": 0.05, "r": 0.2},
    "verbal": {"v": 4.0, "n": 0.5},
    "to": {"v": 2.0},
    "have": {"v": 4.0, "n": 0.3},
    "be": {"v": 2.0, "a": 2.0, "n": 0.5},
}
# Verb tags tried in order, by context: after "has" the participle; after "is" the participle or -ing.
_VERB_TAGS = {
    "have": ("VBN", "VBD", "VBG", "VBZ", "VB", "VBP"),
    "be": ("VBN", "VBG", "VBD", "VBZ", "VB", "VBP"),
}
_TAG_ORDER = {
    "n": ("NN", "NNS"),
    "v": ("VB", "VBP", "VBD", "VBN", "VBG", "VBZ"),
    "a": ("JJ", "JJR", "JJS"),
    "r": ("RB", "RBR", "RBS"),
}


@dataclass(frozen=True)
class SynonymFilters:
    """Which filters shape a word's synonyms (hashable: it keys the cache). See the module docstring."""

    pos: bool = True  # only the part of speech the word most likely has here
    senses: int = 2  # only its first N senses (most frequent first); 0: every sense
    untagged: bool = False  # also senses never seen in WordNet's tagged corpus
    inflect: bool = True  # give the synonym the word's form; left out when it cannot
    max_rarer: float | None = 1.5  # zipf units a synonym may be rarer than the word; None: any
    names: bool = True  # leave out one-letter words, numbers, abbreviations and names
    blocklist: bool = True  # leave out offensive and vulgar words
    blocked: tuple[str, ...] = ()  # the user's own blocked words (lower case)
    multiword: bool = True  # allow synonyms of several words


RAW = SynonymFilters(
    pos=False, senses=0, untagged=True, inflect=False, max_rarer=None, names=False, blocklist=False
)


@dataclass(frozen=True)
class Candidates:
    """A word's synonyms after the filters, and those left out with the reason."""

    kept: tuple[str, ...]  # sorted; WordNet's case, spaces between words, in the word's form
    dropped: tuple[tuple[str, str], ...]  # (candidate, reason code of REASONS), by reason then name
    pos: str | None  # the part of speech chosen ("n", "v", "a", "r"); None when the filter is off
    tag: str | None  # the word's Penn tag as that part of speech (NNS, VBD, JJR, ...), when known


def context_of(previous: str | None) -> str:
    """The context class of the word after ``previous`` (a lower-case word, or None at a sentence start)."""
    return CONTEXTS.get(previous, "") if previous else ""


@lru_cache(maxsize=1)
def _blocklist() -> tuple[frozenset[str], frozenset[str]]:
    """(single words, phrases of several words) from the shipped lists, lower case."""
    words: set[str] = set()
    phrases: set[str] = set()
    for name in BLOCKLIST_FILES:
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            entry = " ".join(line.strip().lower().replace("_", " ").split())
            if entry and not entry.startswith("#"):
                (phrases if " " in entry else words).add(entry)
    return frozenset(words), frozenset(phrases)


@lru_cache(maxsize=1)
def _blocked_senses() -> frozenset[tuple[str, int]]:
    return wordnet.usage_domain_synsets(BLOCKED_DOMAINS)


def blocklist_words() -> frozenset[str]:
    """Every entry of the shipped blocklist files (single words and phrases), lower case."""
    words, phrases = _blocklist()
    return words | phrases


@lru_cache(maxsize=65_536)
def _base_words(token: str) -> frozenset[str]:
    """A lower-case token and its base forms in any part of speech ("pissed" -> "piss")."""
    forms = {token}
    for pos in wordnet.POS:
        forms.update(wordnet.base_forms(token, pos))
    return frozenset(forms)


def is_blocked(candidate: str, extra: tuple[str, ...] = ()) -> bool:
    """Whether ``candidate`` (one or several words) is on the blocklist or in ``extra``: the whole, one of
    its words, or a base form of one of its words; hyphens count as spaces ("wee-wee" blocks "wee wee")."""
    words, phrases = _blocklist()
    text = " ".join(candidate.lower().replace("_", " ").split())
    for form in {text, text.replace("-", " ")}:
        if form in phrases or form in words or form in extra:
            return True
        for token in form.split(" "):
            if token and not _base_words(token).isdisjoint(words.union(extra) if extra else words):
                return True
    return False


def _zipf(text: str) -> float:
    from wordfreq import zipf_frequency  # its table loads on first use (~0.2 s)

    return zipf_frequency(text, "en")


def _name_or_symbol(name: str) -> bool:
    letters = name.replace(" ", "").replace("-", "").replace("'", "")
    return len(letters) < 2 or not letters.isalpha() or not letters.islower()


def _tags(word: str, pos: str, lemma: str, context: str) -> str | None:
    """The Penn tag of ``word`` as a form of ``lemma`` (part of speech ``pos``), preferring by context."""
    if word == lemma and (pos != "v" or context not in _VERB_TAGS):
        return _BASE_TAG[pos]
    from lemminflect import getInflection  # its tables ship in the wheel

    order = _VERB_TAGS.get(context, _TAG_ORDER[pos]) if pos == "v" else _TAG_ORDER[pos]
    for tag in order:
        if word in getInflection(lemma, tag, inflect_oov=False):
            return tag
    return None


def _inflect(name: str, pos: str, tag: str | None) -> str | None:
    """``name`` (spaces between words) in the form ``tag``; None when it cannot be inflected."""
    if tag is None or tag in _BASE_TAGS:
        return name
    from lemminflect import getInflection

    words = name.split(" ")
    head = len(words) - 1 if pos == "n" else 0  # a noun phrase inflects its last word, a verb its first
    if len(words) > 1 and pos not in ("n", "v"):
        return None
    forms = getInflection(words[head], tag, inflect_oov=True)
    if not forms:
        return None
    words[head] = forms[0]
    return " ".join(words)


def _weights(word: str, context: str) -> dict[str, tuple[float, str]]:
    """Each part of speech the word has in WordNet: (weight, its most frequent base form)."""
    found: dict[str, tuple[float, str]] = {}
    for pos in wordnet.POS:
        best = None
        for form in wordnet.base_forms(word, pos):
            count = sum(c for _, c in wordnet.senses(form, pos))
            if best is None or count > best[0]:
                best = (count, form)
        if best is None:
            continue
        weight = best[0] + 0.5  # a part of speech the tagged corpus never saw still counts a little
        weight *= _CONTEXT_WEIGHT[context].get(pos, 1.0)
        if pos == "r" and word.endswith("ly"):
            weight *= 4.0
        if pos == "v" and best[1] != word and word.endswith(("ed", "ing")):
            weight *= 2.0
        found[pos] = (weight, best[1])
    return found


def guess_pos(word: str, context: str = "") -> str | None:
    """The part of speech ``word`` (lower case) most likely has after a word of class ``context``
    (see :func:`context_of`); None when WordNet does not know the word. Ties go to noun, verb,
    adjective, adverb in that order."""
    weights = _weights(word, context)
    if not weights:
        return None
    return max(wordnet.POS, key=lambda pos: weights[pos][0] if pos in weights else -1.0)


@lru_cache(maxsize=262_144)
def candidates(word: str, context: str, filters: SynonymFilters) -> Candidates:
    """The synonyms of ``word`` (lower case) after a word of class ``context``, under ``filters``.

    Raises:
        core.augment.wordnet.WordNetMissing: WordNet is not installed.
    """
    wordnet.reader()
    forms = {pos: wordnet.base_forms(word, pos) for pos in wordnet.POS}
    same = {word}.union(*forms.values())  # never the word itself or a base form of it
    weights = _weights(word, context)
    chosen = (
        max(wordnet.POS, key=lambda p: weights[p][0] if p in weights else -1.0)
        if filters.pos and weights
        else None
    )
    tags = {pos: _tags(word, pos, weights[pos][1], context) for pos in weights}
    blocked_senses = _blocked_senses() if filters.blocklist else frozenset()
    # 1. Every lemma of every sense, with the best fate it gets: admitted (None) or the first reason.
    fate: dict[str, str | None] = {}
    admitted_pos: dict[str, list[str]] = {}
    for pos in wordnet.POS:
        for form in forms[pos]:
            for rank, (offset, count) in enumerate(wordnet.senses(form, pos)):
                if chosen is not None and pos != chosen:
                    reason: str | None = "pos"
                elif (filters.senses and rank >= filters.senses) or (not filters.untagged and count == 0):
                    reason = "sense"
                elif (pos, offset) in blocked_senses:
                    reason = "blocklist"
                else:
                    reason = None
                for raw_name in wordnet.lemma_names(pos, offset):
                    name = raw_name.replace("_", " ")
                    if name.lower() in same:
                        continue
                    if (
                        reason is None
                        and filters.senses
                        and not _usual(raw_name.lower(), pos, offset, filters.senses)
                    ):
                        reason_here: str | None = "theirs"
                    else:
                        reason_here = reason
                    if reason_here is None:
                        fate[name] = None
                        admitted_pos.setdefault(name, [])
                        if pos not in admitted_pos[name]:
                            admitted_pos[name].append(pos)
                    elif name not in fate or (
                        fate[name] is not None and _rank(reason_here) < _rank(fate[name])
                    ):
                        fate[name] = reason_here
    # 2. The filters on each candidate, in the order of REASONS.
    kept: set[str] = set()
    dropped: dict[str, str] = {}
    word_zipf = _zipf(word) if filters.max_rarer is not None else 0.0
    for name in sorted(fate):
        reason = fate[name]
        if filters.blocklist and is_blocked(name, filters.blocked):
            reason = "blocklist"
        elif reason is None and filters.names and _name_or_symbol(name):
            reason = "names"
        elif reason is None and not filters.multiword and " " in name:
            reason = "multiword"
        if reason is not None:
            dropped[name] = reason
            continue
        surfaces = []
        for pos in admitted_pos[name]:
            surface = _inflect(name, pos, tags.get(pos)) if filters.inflect else name
            if surface is not None and surface.lower() not in same:
                surfaces.append(surface)
        if not surfaces:
            dropped[name] = "inflect"
            continue
        for surface in surfaces:
            if filters.max_rarer is not None and _zipf(surface) < word_zipf - filters.max_rarer:
                dropped.setdefault(surface, "rare")
            elif filters.blocklist and is_blocked(surface, filters.blocked):
                dropped.setdefault(surface, "blocklist")
            else:
                kept.add(surface)
    for surface in kept:
        dropped.pop(surface, None)
    order = list(REASONS)
    return Candidates(
        kept=tuple(sorted(kept)),
        dropped=tuple(sorted(dropped.items(), key=lambda item: (order.index(item[1]), item[0]))),
        pos=chosen,
        tag=tags.get(chosen) if chosen else None,
    )


def _usual(lemma: str, pos: str, offset: int, first: int) -> bool:
    """Whether the synset at ``offset`` is among the first ``first`` senses of ``lemma`` itself."""
    return any(o == offset for o, _ in wordnet.senses(lemma, pos)[:first])


def _rank(reason: str) -> int:
    return list(REASONS).index(reason)


def describe(word: str, chosen: str, found: Candidates, limit: int = 12) -> str:
    """A tooltip line: the part of speech read, what was kept, and what was left out and why."""
    parts = []
    if found.pos:
        form = f" ({found.tag})" if found.tag else ""
        parts.append(f"read as a {POS_NAMES[found.pos]}{form}")
    parts.append(f"{len(found.kept)} synonym{'s' if len(found.kept) != 1 else ''} kept")
    if found.dropped:
        shown = [f"{name} ({REASONS[reason]})" for name, reason in found.dropped[:limit]]
        more = len(found.dropped) - limit
        parts.append("left out: " + "; ".join(shown) + (f"; and {more} more" if more > 0 else ""))
    return ", ".join(parts)
