"""How good are the synonyms? SR and RI edits on real prose, with the synonym filters off and on.

Run from the repository root::

    python bench/text_quality.py [--quick] [--update-readme]

On 400 English sentences of CPython's documentation (``pydoc_data.topics``, chosen as
``bench/bench_text_aug.py`` chooses them), each sentence gets four variants under EDA's default rate
(alpha 0.1): variants 0 and 2 synonym replacement (SR), 1 and 3 random insertion (RI), once with every
synonym filter off (synonyms as WordNet gives them, as EDA and nlpaug take them) and once with
AugLab's defaults, under the same seeds. Every edit is judged by tools AugLab's filters do not use:

- **offensive**: better_profanity's word list (``better_profanity.profanity.contains_profanity``; not
  AugLab's blocklist, which comes from LDNOOBW and WordNet's usage labels);
- **part of speech changed** (SR): TextBlob's pattern tagger (a Brill tagger shipped in the textblob
  wheel) tags the original sentence; the edit changes the part of speech when the replacement cannot
  be a word of the class (noun, verb, adjective, adverb) the tagger gave the word it replaces, by
  WordNet's morphology and index (a word is counted when the tagger gives it one of those classes);
- **much rarer** (SR and RI): by pyspellchecker's English word counts (OpenSubtitles; AugLab's filter
  uses wordfreq), the new word (its rarest word) is seen over 30 times less often than the word it
  replaces (SR) or the word it is a synonym of (RI).

The report (``--update-readme`` writes it between ``<!-- bench:text_quality:start -->`` and
``<!-- bench:text_quality:end -->`` in README.md) gives the counts before and after the filters and 30
edits drawn at random (seeded) with the filters on.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import common  # first: puts the repository root on sys.path for `core`
from bench_text_aug import load_sentences

from core.augment import wordnet
from core.augment.text import TextAugConfig, augment_text

SEED = 12
SENTENCES = 400
SAMPLE = 30
RARER = 30.0  # "much rarer": seen this many times less often
OFF = dict(
    pos_filter=False, senses=0, untagged_senses=True, inflect=False, rarity_filter=False, names_filter=False,
    blocklist=False, multiword_sr=True, multiword_ri=True,
)  # fmt: skip
CONFIGS = {
    "filters off (WordNet as EDA takes it)": TextAugConfig(operations=("SR", "RI"), **OFF),
    "filters on (AugLab's defaults)": TextAugConfig(operations=("SR", "RI")),
}
_WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")


@dataclass(frozen=True)
class Judged:
    op: str
    sentence: str
    out: str
    old: str  # the replaced word (SR) or the word the insertion is a synonym of (RI, when known)
    new: str
    offensive: bool
    pos_changed: bool | None  # None: not judged (RI)
    rarer: bool


def _coarse(tag: str) -> str:
    return {"N": "noun", "V": "verb", "J": "adjective", "R": "adverb"}.get(tag[:1], "other")


class Judges:
    """The three judges, loaded once."""

    def __init__(self) -> None:
        from better_profanity import profanity
        from spellchecker import SpellChecker
        from textblob.en.taggers import PatternTagger

        profanity.load_censor_words()
        self.profanity = profanity
        self.counts = SpellChecker(language="en").word_frequency
        self.tagger = PatternTagger()
        self._tags: dict[str, list[tuple[int, str]]] = {}

    def tags(self, text: str) -> list[tuple[int, str]]:
        """(character offset, Penn tag) of each word of ``text``."""
        if text not in self._tags:
            tagged = self.tagger.tag(text)
            spans, at = [], 0
            for token, tag in tagged:
                at = text.find(token, at)
                if at < 0:
                    break
                spans.append((at, tag))
                at += len(token)
            self._tags[text] = spans
        return self._tags[text]

    def tag_at(self, text: str, position: int) -> str | None:
        return next((tag for at, tag in self.tags(text) if at == position), None)

    def count(self, words: str) -> int:
        return min((self.counts[w.lower()] for w in _WORD.findall(words)), default=0)

    def rarer(self, new: str, old: str) -> bool:
        before = self.count(old)
        return before > 0 and self.count(new) * RARER < before


def judge_edits(config: TextAugConfig, sentences: list[str], judges: Judges) -> list[Judged]:
    out = []
    for index, sentence in enumerate(sentences):
        for variant in range(4):
            text, edits = augment_text(sentence, config, SEED, index, variant)
            for edit in edits:
                if edit.op == "SR":
                    shift = sum(len(e.new) - len(e.old) for e in edits if e.position < edit.position)
                    before = judges.tag_at(sentence, edit.position - shift)
                    coarse = _coarse(before) if before else "other"
                    changed = None if coarse == "other" else coarse not in _can_be(edit.new)
                    source = edit.old
                else:
                    changed = None
                    source = _source_of(edit.new, sentence, config)
                out.append(
                    Judged(
                        edit.op,
                        sentence,
                        text,
                        source,
                        edit.new,
                        judges.profanity.contains_profanity(edit.new),
                        changed,
                        judges.rarer(edit.new, source) if source else False,
                    )
                )
    return out


def _can_be(word: str) -> set[str]:
    """The classes ``word`` (or phrase) can have in WordNet: those with a base form in the index."""
    key = word.lower().replace(" ", "_")
    return {
        _coarse(tag)
        for pos, tag in (("n", "N"), ("v", "V"), ("a", "J"), ("r", "R"))
        if wordnet.base_forms(key, pos)
    }


def _source_of(new: str, sentence: str, config: TextAugConfig) -> str:
    """The word of ``sentence`` whose synonyms include ``new`` (RI's edits do not name their source)."""
    from core.augment.text.filters import candidates

    filters = config.synonym_filters("RI")
    for word in _WORD.findall(sentence):
        if new.lower() in {k.lower() for k in candidates(word.lower(), "", filters).kept} or new in set(
            wordnet.synonyms(word)
        ):
            return word
    return ""


def table(results: dict[str, list[Judged]]) -> list[str]:
    names = list(results)
    lines = [
        f"| edits judged | {' | '.join(names)} |",
        "|---|" + "---:|" * len(names),
    ]

    def row(label: str, pick, among) -> str:
        cells = []
        for name in names:
            pool = [j for j in results[name] if among(j)]
            hits = sum(bool(pick(j)) for j in pool)
            cells.append(f"{hits:,} of {len(pool):,} ({100 * hits / max(1, len(pool)):.1f}%)")
        return f"| {label} | {' | '.join(cells)} |"

    lines += [
        row("SR + RI edits: offensive (better_profanity)", lambda j: j.offensive, lambda j: True),
        row(
            "SR: part of speech changed (TextBlob pattern tagger)",
            lambda j: j.pos_changed,
            lambda j: j.op == "SR" and j.pos_changed is not None,
        ),
        row(f"SR: over {RARER:g}x rarer (pyspellchecker counts)", lambda j: j.rarer, lambda j: j.op == "SR"),
        row(
            f"RI: over {RARER:g}x rarer than its source word",
            lambda j: j.rarer,
            lambda j: j.op == "RI" and j.old,
        ),
    ]
    counts = " | ".join(
        f"{sum(j.op == 'SR' for j in results[n]):,} SR, {sum(j.op == 'RI' for j in results[n]):,} RI"
        for n in names
    )
    lines.append(f"| edits made | {counts} |")
    return lines


def _context(j: Judged) -> tuple[str, str]:
    """A few words around the edit, before and after."""
    if j.op == "SR":
        at = j.sentence.find(j.old)
        before = j.sentence[max(0, at - 30) : at + len(j.old) + 30]
        after_at = j.out.find(j.new)
        after = j.out[max(0, after_at - 30) : after_at + len(j.new) + 30]
    else:
        after_at = j.out.find(j.new)
        after = j.out[max(0, after_at - 30) : after_at + len(j.new) + 30]
        before = ""
    return before, after


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def report(results: dict[str, list[Judged]], sentences: int, quick: bool) -> str:
    on = list(results.values())[-1]
    sample = random.Random(SEED).sample(on, min(SAMPLE, len(on)))
    lines = [
        f"Synonym quality: {sentences} English sentences of CPython's pydoc_data.topics, 4 variants each "
        f"(SR, RI, SR, RI; alpha 0.1; seed {SEED})"
        f"{' (--quick: few sentences, not meaningful)' if quick else ''}. "
        "Judged by tools AugLab's filters do not use.",
        "",
        *table(results),
        "",
        f"{len(sample)} edits drawn at random with the filters on (SR: the word and what replaced it; "
        "RI: the "
        "inserted word and the word it is a synonym of):",
        "",
        "| op | word | becomes | in the sentence |",
        "|---|---|---|---|",
    ]
    for j in sorted(sample, key=lambda j: (j.op, j.old.lower())):
        _, after = _context(j)
        lines.append(f"| {j.op} | {_cell(j.old) or '?'} | {_cell(j.new)} | …{_cell(after)}… |")
    lines += [
        "",
        common.machine_line(common.machine_info(versions=_versions())),
    ]
    return "\n".join(lines)


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {
        name: version(name)
        for name in ("nltk", "lemminflect", "wordfreq", "better-profanity", "textblob", "pyspellchecker")
    }


def main(argv: list[str] | None = None) -> int:
    parser = common.parser(__doc__, "40 sentences, for a smoke check")
    args = parser.parse_args(argv)
    wordnet.reader()
    sentences = load_sentences(40 if args.quick else SENTENCES)
    judges = Judges()
    results = {name: judge_edits(config, sentences, judges) for name, config in CONFIGS.items()}
    common.publish(report(results, len(sentences), args.quick), "text_quality", args.update_readme)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
