"""Side-by-side throughput of AugLab's EDA text augmentation and the EDA reference way.

Run from the repository root::

    python bench/bench_text_aug.py [--quick] [--update-readme]

One process times two implementations of EDA's four operations (Wei & Zou 2019) at EDA's default
strengths (alpha 0.1 for synonym replacement, random insertion and random swap; p_rd = 0.1) on real
English sentences: those of 6 to 40 words in CPython's ``pydoc_data.topics`` help text.

1. AugLab: ``core.augment.text.augment_text(sentence, TextAugConfig(), seed, index, variant)`` for
   variants 0..3, i.e. SR, RI, RS and RD once each (``combine=False``). Timed twice per round: with
   the synonym cache emptied first (``core.augment.wordnet.synonyms.cache_clear()``; "cold", the figure the
   target is judged on) and again over the same sentences with the cache as the cold pass left it
   ("warm").
2. The EDA reference way (jasonwei20/eda_nlp ``code/eda.py``), re-implemented here from its
   description: the sentence is lower-cased and stripped to letters, and every synonym lookup asks
   NLTK's ``wordnet.synsets(word)`` afresh (no cache of its own). One call of each operation per
   sentence.

The unit is the same for both: a sentence is done when its four variants (one per operation) are.
WordNet is loaded before anything is timed; its cold load (``import nltk`` plus the first
``core.augment.wordnet.reader()`` call) is measured apart, in a fresh subprocess. NLTK's reader keeps the
synsets it has built (``_synset_offset_cache``); that cache is emptied before each baseline pass and
each cold AugLab pass, so no pass profits from an earlier one. Rounds are interleaved, so a slow spell
of the machine hits every pipeline; the best round is reported (the median beside it). An untimed
check counts ``wordnet.synsets`` calls per sentence and how many variants changed.
``--update-readme`` writes the report between ``<!-- bench:text_aug:start -->`` and
``<!-- bench:text_aug:end -->`` in README.md.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import common  # first: puts the repository root on sys.path for `core`
import nltk

from core.augment import wordnet as core_wordnet
from core.augment.stopwords import STOP_WORDS
from core.augment.text import TextAugConfig, augment_text
from core.seeding import python_random

SEED = 1234  # one seed for both pipelines and the sentence sample, so reruns do the same work

TARGET_VS_BASELINE = 10.0  # AugLab (cold synonym cache) throughput over the EDA reference way's

# EDA's default strengths (eda_nlp's augment.py defaults), the same as TextAugConfig's defaults.
ALPHA_SR = ALPHA_RI = ALPHA_RS = P_RD = 0.1
AUGLAB_CONFIG = TextAugConfig(alpha_sr=ALPHA_SR, alpha_ri=ALPHA_RI, alpha_rs=ALPHA_RS, p_rd=P_RD)
VARIANTS = len(AUGLAB_CONFIG.operations)  # 4: one per operation
MIN_WORDS, MAX_WORDS = 6, 40  # sentence length, whitespace-separated words


@dataclass(frozen=True)
class Sizes:
    """How much work one run does."""

    sentences: int  # sentences per timed AugLab pass
    baseline_sentences: int  # sentences per timed baseline pass (the first of the AugLab ones)
    repeats: int  # timed rounds per pipeline; the best is reported
    check_sentences: int  # sentences in the untimed work check


FULL = Sizes(sentences=2000, baseline_sentences=2000, repeats=3, check_sentences=300)
QUICK = Sizes(sentences=60, baseline_sentences=60, repeats=2, check_sentences=20)


@dataclass(frozen=True)
class Timing:
    """Timed rounds of one pipeline."""

    name: str
    sentences: int  # sentences per round
    seconds: list[float]  # one wall time per round

    @property
    def best_rate(self) -> float:
        """Sentences per second of the fastest round."""
        return self.sentences / min(self.seconds)

    @property
    def median_rate(self) -> float:
        """Sentences per second of the median round."""
        return self.sentences / statistics.median(self.seconds)


# ---------------------------------------------------------------------------------------------
# Data

_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+(?=[A-Z\"*(])")
_PLAIN_WORD = re.compile(r"[\"(*]?[A-Za-z]+(?:['’-][A-Za-z]+)*[\")*]?[.,;:!?]?")


def load_sentences(count: int) -> list[str]:
    """Up to ``count`` English sentences of 6-40 words from CPython's ``pydoc_data.topics``, shuffled
    by core.seeding's stream ``(SEED, "bench", "sentences")`` (deterministic for one Python version).

    Paragraphs are split after ``. ! ? :`` followed by a capital letter, a quote, ``*`` or ``(``. A
    sentence is kept (once) when it starts with a capital letter, ends with ``. ! ? :``, and at least
    80% of its words are plain words (letters, perhaps quoted or followed by punctuation): this leaves
    out grammar productions, code and tables.
    """
    from pydoc_data.topics import topics

    seen: set[str] = set()
    for key in sorted(topics):
        for paragraph in re.split(r"\n\s*\n", topics[key]):
            for piece in _SENTENCE_END.split(" ".join(paragraph.split())):
                words = piece.split()
                if not MIN_WORDS <= len(words) <= MAX_WORDS or piece in seen:
                    continue
                if not piece[0].isupper() or not piece.endswith((".", "!", "?", ":")):
                    continue
                if sum(bool(_PLAIN_WORD.fullmatch(w)) for w in words) >= 0.8 * len(words):
                    seen.add(piece)
    found = sorted(seen)
    python_random(SEED, "bench", "sentences").shuffle(found)
    return found[:count]


# ---------------------------------------------------------------------------------------------
# The two pipelines: each returns ``run(sentence, index) -> list of 4 variants``


def auglab_pipeline() -> Callable[[str, int], list[str]]:
    """AugLab's core: one ``augment_text`` call per operation (variants 0..3)."""

    def run(sentence: str, index: int) -> list[str]:
        return [augment_text(sentence, AUGLAB_CONFIG, SEED, index, v)[0] for v in range(VARIANTS)]

    return run


def eda_pipeline() -> Callable[[str, int], list[str]]:
    """The EDA reference way, written from the description of jasonwei20/eda_nlp ``code/eda.py``.

    Module-level ``random`` there; a ``random.Random`` per sentence here, core.seeding's stream
    ``(SEED, "eda", index)`` (the cost of AugLab's per-variant seeding, and the run does not depend on
    what else drew numbers). Stop words: AugLab's list, so that both protect
    the same words from SR and RI (EDA ships NLTK's English list, which AugLab's includes).
    """
    from nltk.corpus import wordnet  # already loaded by core.augment.wordnet.reader()

    letters = frozenset("abcdefghijklmnopqrstuvwxyz ")

    def only_letters(text: str) -> str:
        # 1. Lower case; apostrophes vanish, hyphens and tabs/newlines become spaces.
        text = text.replace("’", "").replace("'", "").replace("-", " ").replace("\t", " ").replace("\n", " ")
        text = "".join(c if c in letters else " " for c in text.lower())
        # 2. Runs of spaces become one; no leading space.
        return re.sub(" +", " ", text).lstrip(" ")

    def get_synonyms(word: str) -> list[str]:
        # WordNet is asked on every call: this is the cost EDA pays per lookup.
        found = set()
        for synset in wordnet.synsets(word):
            for lemma in synset.lemmas():
                name = lemma.name().replace("_", " ").replace("-", " ").lower()
                found.add("".join(c for c in name if c in letters))
        found.discard(word)
        return list(found)

    def synonym_replacement(words: list[str], n: int, rng: random.Random) -> list[str]:
        out = list(words)
        candidates = list({w for w in words if w not in STOP_WORDS})
        candidates.sort()  # a set's order would vary with hash seeds; EDA shuffles it anyway
        rng.shuffle(candidates)
        replaced = 0
        for word in candidates:
            choices = get_synonyms(word)
            if choices:
                new = rng.choice(choices)
                out = [new if w == word else w for w in out]  # every occurrence of the word
                replaced += 1
            if replaced >= n:
                break
        return " ".join(out).split(" ")  # multi-word synonyms become several words

    def random_insertion(words: list[str], n: int, rng: random.Random) -> list[str]:
        out = list(words)
        for _ in range(n):
            choices: list[str] = []
            for _try in range(10):  # up to 10 random words until one has synonyms
                choices = get_synonyms(out[rng.randrange(len(out))])
                if choices:
                    break
            if not choices:
                continue
            out.insert(rng.randrange(len(out)), rng.choice(choices))
        return out

    def random_swap(words: list[str], n: int, rng: random.Random) -> list[str]:
        out = list(words)
        for _ in range(n):
            i = rng.randrange(len(out))
            j, tries = i, 0
            while j == i:
                j = rng.randrange(len(out))
                tries += 1
                if tries > 3:
                    return out
            out[i], out[j] = out[j], out[i]
        return out

    def random_deletion(words: list[str], p: float, rng: random.Random) -> list[str]:
        if len(words) == 1:
            return words
        out = [w for w in words if rng.uniform(0, 1) > p]
        return out or [words[rng.randrange(len(words))]]

    def run(sentence: str, index: int) -> list[str]:
        rng = python_random(SEED, "eda", index)
        words = [w for w in only_letters(sentence).split(" ") if w]
        if not words:
            return [""] * VARIANTS
        n = len(words)
        variants = [
            synonym_replacement(words, max(1, int(ALPHA_SR * n)), rng),
            random_insertion(words, max(1, int(ALPHA_RI * n)), rng),
            random_swap(words, max(1, int(ALPHA_RS * n)), rng),
            random_deletion(words, P_RD, rng),
        ]
        return [only_letters(" ".join(v)) for v in variants]  # EDA cleans its outputs again

    return run


# ---------------------------------------------------------------------------------------------
# Timing


def reset_nltk_cache() -> bool:
    """Forget the synsets NLTK's reader has built; False if this NLTK keeps no such cache."""
    cache = getattr(core_wordnet.reader(), "_synset_offset_cache", None)
    if cache is None:
        return False
    cache.clear()
    return True


def time_pass(run: Callable[[str, int], list[str]], sentences: list[str]) -> float:
    """Seconds to produce the variants of every sentence, one after the other."""
    start = time.perf_counter()
    for index, sentence in enumerate(sentences):
        run(sentence, index)
    return time.perf_counter() - start


def time_rounds(sentences: list[str], sizes: Sizes) -> dict[str, Timing]:
    """``sizes.repeats`` interleaved rounds: baseline, AugLab cold, AugLab warm (same sentences)."""
    eda, auglab = eda_pipeline(), auglab_pipeline()
    few = sentences[: sizes.baseline_sentences]
    names = ("EDA reference way (NLTK, no cache)", "AugLab, cold synonym cache", "AugLab, warm synonym cache")
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(sizes.repeats):
        reset_nltk_cache()
        seconds[names[0]].append(time_pass(eda, few))
        reset_nltk_cache()
        core_wordnet.synonyms.cache_clear()
        seconds[names[1]].append(time_pass(auglab, sentences))
        seconds[names[2]].append(time_pass(auglab, sentences))  # caches as the cold pass left them
    counts = (len(few), len(sentences), len(sentences))
    return {name: Timing(name, count, seconds[name]) for name, count in zip(names, counts, strict=True)}


def cold_load_seconds() -> dict[str, float]:
    """``import nltk`` and the first ``core.augment.wordnet.reader()`` call, in a fresh interpreter."""
    code = (
        "import json, sys, time\n"
        f"sys.path.insert(0, {str(common.ROOT)!r})\n"
        "t0 = time.perf_counter(); import nltk; t1 = time.perf_counter()\n"
        "from core.augment import wordnet; t2 = time.perf_counter()\n"
        "wordnet.reader(); t3 = time.perf_counter()\n"
        "print(json.dumps({'import_nltk': t1 - t0, 'reader': t3 - t2}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=common.ROOT
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# Check that the pipelines do the same kind of work


def count_work(run: Callable[[str, int], list[str]], sentences: list[str], auglab: bool) -> dict[str, float]:
    """Per sentence: ``wordnet.synsets`` calls from a cold start and the distinct words they asked
    about; share of variants that changed.

    "Changed" compares with the sentence as each pipeline sees it (EDA: lower case, letters only).
    Run after the timing, so it warms nothing that is timed.
    """
    wn = core_wordnet.reader()
    calls = 0
    words: set[object] = set()
    original = wn.synsets

    def counted(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        words.add(args[0] if args else kwargs.get("lemma"))
        return original(*args, **kwargs)

    reset_nltk_cache()
    core_wordnet.synonyms.cache_clear()
    changed = [0] * VARIANTS
    wn.synsets = counted  # an instance attribute shadows the method for every caller
    try:
        for index, sentence in enumerate(sentences):
            outs = run(sentence, 3 * 10**6 + index)  # indices apart from the timed ones
            base = sentence
            if not auglab:
                base = " ".join(re.sub("[^a-z]+", " ", sentence.lower().replace("'", "")).split())
            for v, out in enumerate(outs):
                changed[v] += out.strip() != base
    finally:
        del wn.synsets
    n = len(sentences)
    if auglab:  # AugLab reads synsets itself: count its distinct lookups (cache misses) instead
        misses = core_wordnet.synonyms.cache_info().misses
        calls, words = misses, set(range(misses))
    return {
        "synsets": calls / n,
        "distinct": len(words) / n,
        **{op: c / n for op, c in zip(AUGLAB_CONFIG.operations, changed, strict=True)},
    }


# ---------------------------------------------------------------------------------------------
# Report


def render(
    timings: dict[str, Timing],
    load: dict[str, float],
    checks: dict[str, dict[str, float]],
    sizes: Sizes,
    quick: bool,
    words: float,
) -> str:
    """The Markdown report: table, target, WordNet load time, work check and machine."""
    base, cold, warm = (t.best_rate for t in timings.values())
    lines = [
        f"EDA text augmentation throughput (SR, RI, RS, RD once each per sentence; alpha 0.1, p_rd 0.1), "
        f"English sentences of {MIN_WORDS}-{MAX_WORDS} words from CPython's pydoc_data.topics "
        f"(mean {words:.1f} words), one process"
        f"{' (--quick: tiny sizes, figures not meaningful)' if quick else ''}. "
        f"Best of {sizes.repeats} rounds (median in brackets).",
        "",
        "| pipeline | sentences/s | ms/sentence | ratio vs baseline |",
        "|---|---:|---:|---:|",
    ]
    for t in timings.values():
        lines.append(
            f"| {t.name} ({t.sentences} sentences/round) | {t.best_rate:,.0f} ({t.median_rate:,.0f}) "
            f"| {1e3 / t.best_rate:.3f} | {t.best_rate / base:.1f}x |"
        )
    lines += [
        "",
        f"- AugLab (cold synonym cache) / EDA reference way throughput: {cold / base:.1f}x "
        f"(target >= {TARGET_VS_BASELINE:g}x): **{common.verdict(cold / base >= TARGET_VS_BASELINE)}**",
        f"- With a warm synonym cache: {warm / base:.1f}x (not judged).",
        f"- WordNet load, cold, in a fresh process: {load['import_nltk'] + load['reader']:.2f} s "
        f"(`import nltk` {load['import_nltk']:.2f} s + first `core.augment.wordnet.reader()` "
        f"{load['reader']:.2f} s); done before timing and not counted above.",
        "",
        f"Work per sentence over {sizes.check_sentences} sentences (untimed check from empty caches; "
        "WordNet lookups: `wordnet.synsets` calls for the EDA way, counted by wrapping NLTK's reader, "
        "and `core.augment.wordnet.synonyms` cache misses for AugLab, which reads synsets itself; a variant "
        "counts as changed when it differs from the sentence as the pipeline reads it):",
        "",
    ]
    for name, c in checks.items():
        changed = ", ".join(f"{op} {100 * c[op]:.0f}%" for op in AUGLAB_CONFIG.operations)
        lines.append(
            f"- {name}: {c['synsets']:.2f} WordNet lookups ({c['distinct']:.2f} distinct words); "
            f"variants changed: {changed}"
        )
    lines += ["", common.machine_line(common.machine_info(versions={"nltk": nltk.__version__}))]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = common.parser(__doc__, "tiny sizes for a smoke check (a few seconds)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL

    load = cold_load_seconds()
    core_wordnet.reader()  # load WordNet here too, before anything is timed
    if not reset_nltk_cache():
        print("Note: this NLTK keeps no _synset_offset_cache; rounds after the first may profit from it.")
    sentences = load_sentences(max(sizes.sentences, sizes.check_sentences))
    words = statistics.mean(len(s.split()) for s in sentences[: sizes.sentences])

    timings = time_rounds(sentences[: sizes.sentences], sizes)
    few = sentences[: sizes.check_sentences]
    checks = {
        "EDA reference way": count_work(eda_pipeline(), few, auglab=False),
        "AugLab": count_work(auglab_pipeline(), few, auglab=True),
    }

    report = render(timings, load, checks, sizes, args.quick, words)
    common.publish(report, "text_aug", args.update_readme)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
