"""Side-by-side throughput of AugLab's text augmentation and the EDA reference code, and each filter's cost.

Run from the repository root::

    python bench/bench_text_aug.py [--quick] [--update-readme]

One process, real English sentences: those of 6 to 40 words in CPython's ``pydoc_data.topics`` help
text. Both sides make ``num_aug = 9`` augmented sentences per sentence at EDA's default strengths
(alpha 0.1 for SR, RI and RS; p_rd 0.1):

1. **The EDA reference**: jasonwei20/eda_nlp ``code/eda.py`` reproduced below as it is written
   (``get_only_chars``, its stop-word list, ``get_synonyms`` asking NLTK's ``wordnet.synsets`` on every
   call, the module's ``random``): ``eda(sentence, num_aug=9)`` computes ``4 x (int(9 / 4) + 1) = 12``
   candidates (three per operation), shuffles them and keeps 9.
2. **AugLab**: ``augment_variants(sentence, TextAugConfig(n_aug=9), seed, index)``: variant ``v``
   applies SR, RI, RS, RD in turn (``v % 4``), with the synonym filters on (the defaults).

Caches are warm for both, as the issue asks: an untimed pass over the same sentences first fills
NLTK's synset cache (the reference) and AugLab's per-word synonym tables and per-sentence preparation.
The judged figure is AugLab with every cache warm; beside it, AugLab with its per-sentence cache emptied
before the pass (every sentence new to it, word tables warm), which is what an export of new data
sees. Rounds are interleaved; the best is reported (the median in brackets). Times are this process's CPU
time (``time.process_time``; the work is single-threaded), so that other programs on a shared machine
do not count; on a quiet machine it is the wall time.

Each filter's cost: (a) AugLab's warm throughput with that filter turned off (the others on); (b) the
time to build the synonym tables for every word of the sentences from empty (the filters' work
happens there, once per word and context), with all filters on, each one off, and all off.
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
from dataclasses import dataclass, replace

import common  # first: puts the repository root on sys.path for `core`
import nltk

from core.augment import wordnet as core_wordnet
from core.augment.text import TextAugConfig, augment_variants, engine, filters, tokens
from core.seeding import python_random

SEED = 1234  # one seed for AugLab and the sentence sample, so reruns do the same work
NUM_AUG = 9
TARGET_VS_REFERENCE = 10.0  # AugLab (warm caches, filters on) throughput over the EDA reference's
AUGLAB_CONFIG = TextAugConfig(n_aug=NUM_AUG)  # EDA's strengths, filters on
MIN_WORDS, MAX_WORDS = 6, 40  # sentence length, whitespace-separated words
FILTER_OFF = {  # each filter turned off, the others on
    "part of speech": dict(pos_filter=False),
    "senses (first 2, tagged)": dict(senses=0, untagged_senses=True),
    "inflection": dict(inflect=False),
    "frequency": dict(rarity_filter=False),
    "names and symbols": dict(names_filter=False),
    "blocklist": dict(blocklist=False),
}
ALL_OFF = dict(
    pos_filter=False, senses=0, untagged_senses=True, inflect=False, rarity_filter=False, names_filter=False,
    blocklist=False, multiword_sr=True, multiword_ri=True,
)  # fmt: skip


@dataclass(frozen=True)
class Sizes:
    """How much work one run does."""

    sentences: int  # sentences per timed pass
    repeats: int  # timed rounds per pipeline; the best is reported
    table_sentences: int  # sentences whose words' tables are built, per filter setting


FULL = Sizes(sentences=2000, repeats=3, table_sentences=600)
QUICK = Sizes(sentences=60, repeats=2, table_sentences=30)


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
# The EDA reference: jasonwei20/eda_nlp code/eda.py (Wei and Zou), its algorithm and WordNet calls as
# written there. Two changes that do not change what it computes: `word is not ''` is written
# `word != ''` (Python 3.8+ warns on `is` with a literal), and its module-level `random.seed(1)` is
# done by reference() below, so that every timed round starts from the same state.

from nltk.corpus import wordnet as eda_wordnet  # noqa: E402 (the reference's own import)

stop_words = ['i', 'me', 'my', 'myself', 'we', 'our', 'ours', 'ourselves', 'you', 'your', 'yours', 'yourself', 'yourselves', 'he', 'him', 'his', 'himself', 'she', 'her', 'hers', 'herself', 'it', 'its', 'itself', 'they', 'them', 'their', 'theirs', 'themselves', 'what', 'which', 'who', 'whom', 'this', 'that', 'these', 'those', 'am', 'is', 'are', 'was', 'were', 'be', 'been', 'being', 'have', 'has', 'had', 'having', 'do', 'does', 'did', 'doing', 'a', 'an', 'the', 'and', 'but', 'if', 'or', 'because', 'as', 'until', 'while', 'of', 'at', 'by', 'for', 'with', 'about', 'against', 'between', 'into', 'through', 'during', 'before', 'after', 'above', 'below', 'to', 'from', 'up', 'down', 'in', 'out', 'on', 'off', 'over', 'under', 'again', 'further', 'then', 'once', 'here', 'there', 'when', 'where', 'why', 'how', 'all', 'any', 'both', 'each', 'few', 'more', 'most', 'other', 'some', 'such', 'no', 'nor', 'not', 'only', 'own', 'same', 'so', 'than', 'too', 'very', 's', 't', 'can', 'will', 'just', 'don', 'should', 'now', '']  # noqa: E501  # fmt: skip


def get_only_chars(line):
    clean_line = ""
    line = line.replace("’", "")
    line = line.replace("'", "")
    line = line.replace("-", " ")  # replace hyphens with spaces
    line = line.replace("\t", " ")
    line = line.replace("\n", " ")
    line = line.lower()
    for char in line:
        if char in "qwertyuiopasdfghjklzxcvbnm ":
            clean_line += char
        else:
            clean_line += " "
    clean_line = re.sub(" +", " ", clean_line)  # delete extra spaces
    if clean_line[0] == " ":
        clean_line = clean_line[1:]
    return clean_line


def synonym_replacement(words, n):
    new_words = words.copy()
    random_word_list = list(set([word for word in words if word not in stop_words]))
    random.shuffle(random_word_list)
    num_replaced = 0
    for random_word in random_word_list:
        synonyms = get_synonyms(random_word)
        if len(synonyms) >= 1:
            synonym = random.choice(list(synonyms))
            new_words = [synonym if word == random_word else word for word in new_words]
            num_replaced += 1
        if num_replaced >= n:  # only replace up to n words
            break
    sentence = " ".join(new_words)
    new_words = sentence.split(" ")
    return new_words


def get_synonyms(word):
    synonyms = set()
    for syn in eda_wordnet.synsets(word):
        for lemma in syn.lemmas():
            synonym = lemma.name().replace("_", " ").replace("-", " ").lower()
            synonym = "".join([char for char in synonym if char in " qwertyuiopasdfghjklzxcvbnm"])
            synonyms.add(synonym)
    if word in synonyms:
        synonyms.remove(word)
    return list(synonyms)


def random_deletion(words, p):
    if len(words) == 1:
        return words
    new_words = []
    for word in words:
        r = random.uniform(0, 1)
        if r > p:
            new_words.append(word)
    if len(new_words) == 0:
        rand_int = random.randint(0, len(words) - 1)
        return [words[rand_int]]
    return new_words


def random_swap(words, n):
    new_words = words.copy()
    for _ in range(n):
        new_words = swap_word(new_words)
    return new_words


def swap_word(new_words):
    random_idx_1 = random.randint(0, len(new_words) - 1)
    random_idx_2 = random_idx_1
    counter = 0
    while random_idx_2 == random_idx_1:
        random_idx_2 = random.randint(0, len(new_words) - 1)
        counter += 1
        if counter > 3:
            return new_words
    new_words[random_idx_1], new_words[random_idx_2] = new_words[random_idx_2], new_words[random_idx_1]
    return new_words


def random_insertion(words, n):
    new_words = words.copy()
    for _ in range(n):
        add_word(new_words)
    return new_words


def add_word(new_words):
    synonyms = []
    counter = 0
    while len(synonyms) < 1:
        random_word = new_words[random.randint(0, len(new_words) - 1)]
        synonyms = get_synonyms(random_word)
        counter += 1
        if counter >= 10:
            return
    random_synonym = synonyms[0]
    random_idx = random.randint(0, len(new_words) - 1)
    new_words.insert(random_idx, random_synonym)


def eda(sentence, alpha_sr=0.1, alpha_ri=0.1, alpha_rs=0.1, p_rd=0.1, num_aug=9):
    sentence = get_only_chars(sentence)
    words = sentence.split(" ")
    words = [word for word in words if word != ""]
    num_words = len(words)
    augmented_sentences = []
    num_new_per_technique = int(num_aug / 4) + 1
    n_sr = max(1, int(alpha_sr * num_words))
    n_ri = max(1, int(alpha_ri * num_words))
    n_rs = max(1, int(alpha_rs * num_words))
    for _ in range(num_new_per_technique):  # sr
        a_words = synonym_replacement(words, n_sr)
        augmented_sentences.append(" ".join(a_words))
    for _ in range(num_new_per_technique):  # ri
        a_words = random_insertion(words, n_ri)
        augmented_sentences.append(" ".join(a_words))
    for _ in range(num_new_per_technique):  # rs
        a_words = random_swap(words, n_rs)
        augmented_sentences.append(" ".join(a_words))
    for _ in range(num_new_per_technique):  # rd
        a_words = random_deletion(words, p_rd)
        augmented_sentences.append(" ".join(a_words))
    augmented_sentences = [get_only_chars(sentence) for sentence in augmented_sentences]
    random.shuffle(augmented_sentences)
    if num_aug >= 1:  # trim so that we have the desired number of augmented sentences
        augmented_sentences = augmented_sentences[:num_aug]
    else:
        keep_prob = num_aug / len(augmented_sentences)
        augmented_sentences = [s for s in augmented_sentences if random.uniform(0, 1) < keep_prob]
    augmented_sentences.append(sentence)  # append the original sentence
    return augmented_sentences


# ---------------------------------------------------------------------------------------------
# Timing


def reference_pass(sentences: list[str]) -> float:
    """Seconds for the EDA reference to augment every sentence (``random.seed(1)`` first, as eda.py)."""
    random.seed(1)
    start = time.process_time()
    for sentence in sentences:
        eda(sentence, num_aug=NUM_AUG)
    return time.process_time() - start


def auglab_pass(sentences: list[str], config: TextAugConfig = AUGLAB_CONFIG, fresh: bool = False) -> float:
    """Seconds for AugLab to augment every sentence; ``fresh``: its per-sentence cache emptied first."""
    if fresh:
        engine._prepared.clear()
        tokens.split_cached.cache_clear()
    start = time.process_time()
    for index, sentence in enumerate(sentences):
        augment_variants(sentence, config, SEED, index)
    return time.process_time() - start


def time_rounds(sentences: list[str], sizes: Sizes) -> dict[str, Timing]:
    """Interleaved rounds: the reference; AugLab warm; AugLab with every sentence new, with all filters on
    and with each filter off (the filters act when a sentence is prepared)."""
    configs = {"filters on": AUGLAB_CONFIG}
    configs |= {f"{name} filter off": replace(AUGLAB_CONFIG, **off) for name, off in FILTER_OFF.items()}
    configs["every filter off"] = replace(AUGLAB_CONFIG, **ALL_OFF)
    reference_pass(sentences)  # warm NLTK's synset cache
    for config in configs.values():
        auglab_pass(sentences, config, fresh=True)  # fill the word tables of every setting
    seconds: dict[str, list[float]] = {}
    for _ in range(sizes.repeats):
        seconds.setdefault(REFERENCE, []).append(reference_pass(sentences))
        auglab_pass(sentences)  # the per-sentence cache, as a previous pass leaves it
        seconds.setdefault(WARM, []).append(auglab_pass(sentences))
        for name, config in configs.items():
            label = f"AugLab, every sentence new, {name}"
            seconds.setdefault(label, []).append(auglab_pass(sentences, config, fresh=True))
    return {name: Timing(name, len(sentences), s) for name, s in seconds.items()}


REFERENCE = "EDA reference (eda.py, warm NLTK cache)"
WARM = "AugLab, filters on, warm caches"
NEW = "AugLab, every sentence new, filters on"


def table_costs(sentences: list[str]) -> dict[str, float]:
    """Seconds to build the synonym tables of every word of ``sentences`` from empty (the word's
    WordNet data, wordfreq's and lemminflect's tables already loaded), per filter setting."""
    settings = {"all filters on": {}, **{f"{name} off": off for name, off in FILTER_OFF.items()}}
    settings["all filters off"] = ALL_OFF
    auglab_pass(sentences[:20])  # load what every setting needs once: index.sense, wordfreq, lemminflect
    out = {}
    for name, off in settings.items():
        engine.clear_caches()
        filters.candidates.cache_clear()
        out[name] = auglab_pass(sentences, replace(AUGLAB_CONFIG, **off))
    return out


def distinct_lookups(sentences: list[str]) -> int:
    engine.clear_caches()
    auglab_pass(sentences)
    return sum(len(by_word) for table in engine._tables.values() for by_word in table.values())


def cold_load_seconds() -> dict[str, float]:
    """In a fresh interpreter: ``import nltk``, WordNet's first load, the first filtered sentence
    (index.sense, wordfreq's and lemminflect's tables)."""
    code = (
        "import json, sys, time\n"
        f"sys.path.insert(0, {str(common.ROOT)!r})\n"
        "t0 = time.perf_counter(); import nltk; t1 = time.perf_counter()\n"
        "from core.augment import wordnet; from core.augment.text import TextAugConfig, augment_variants\n"
        "t2 = time.perf_counter(); wordnet.reader(); t3 = time.perf_counter()\n"
        "augment_variants('The cars worked quickly in bigger plants.', TextAugConfig(), 0, 0)\n"
        "t4 = time.perf_counter()\n"
        "print(json.dumps({'import_nltk': t1 - t0, 'reader': t3 - t2, 'first': t4 - t3}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=common.ROOT
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def changed_share(sentences: list[str]) -> tuple[float, float]:
    """Share of kept candidates that differ from their sentence: the reference (as it reads the
    sentence: lower case, letters only) and AugLab."""
    random.seed(1)
    ref = [(get_only_chars(s), eda(s, num_aug=NUM_AUG)[:-1]) for s in sentences]
    ref_changed = sum(v != base for base, vs in ref for v in vs) / max(1, sum(len(vs) for _, vs in ref))
    ours = [(s, augment_variants(s, AUGLAB_CONFIG, SEED, i)) for i, s in enumerate(sentences)]
    our_changed = sum(t != s for s, vs in ours for t, _ in vs) / max(1, sum(len(vs) for _, vs in ours))
    return ref_changed, our_changed


# ---------------------------------------------------------------------------------------------
# Report


def render(timings, tables, lookups, load, changed, sizes, quick, words) -> str:
    ref = timings[REFERENCE].best_rate
    warm = timings[WARM].best_rate
    new = timings[NEW].best_rate
    lines = [
        f"EDA text augmentation throughput, num_aug = {NUM_AUG} augmented sentences per sentence (alpha 0.1, "
        f"p_rd 0.1), English sentences of {MIN_WORDS}-{MAX_WORDS} words from CPython's pydoc_data.topics "
        f"(mean {words:.1f} words), one process, caches warm, CPU time of the process"
        f"{' (--quick: tiny sizes, figures not meaningful)' if quick else ''}. "
        f"Best of {sizes.repeats} interleaved rounds (median in brackets).",
        "",
        "| pipeline | sentences/s | ms/sentence | vs the EDA reference |",
        "|---|---:|---:|---:|",
    ]
    for t in timings.values():
        lines.append(
            f"| {t.name} ({t.sentences} sentences/round) | {t.best_rate:,.0f} ({t.median_rate:,.0f}) "
            f"| {1e3 / t.best_rate:.3f} | {t.best_rate / ref:.1f}x |"
        )
    lines += [
        "",
        f"- AugLab (filters on, warm caches) / EDA reference throughput: {warm / ref:.1f}x "
        f"(target >= {TARGET_VS_REFERENCE:g}x): **{common.verdict(warm / ref >= TARGET_VS_REFERENCE)}**",
        f"- Every sentence new to AugLab (its per-sentence preparation counted, word tables warm): "
        f"{new / ref:.1f}x (not judged). Each filter's cost there: the rows with that filter off.",
        f"- The reference computes 4 x (int({NUM_AUG}/4)+1) = {4 * (NUM_AUG // 4 + 1)} candidates and keeps "
        f"{NUM_AUG}; AugLab computes the {NUM_AUG} it returns. Augmented sentences that differ from the "
        f"sentence (as each reads it): reference {100 * changed[0]:.0f}%, AugLab {100 * changed[1]:.0f}%.",
        "",
        "Cost of the filters when the tables are built: building the synonym tables of the "
        f"{sizes.table_sentences} "
        f"first sentences from empty ({lookups:,} distinct (word, context) look-ups with every filter on, "
        "each filtered once and kept), then augmenting them:",
        "",
        "| filters | seconds | ms per look-up | vs all on |",
        "|---|---:|---:|---:|",
    ]
    base = tables["all filters on"]
    for name, seconds in tables.items():
        lines.append(
            f"| {name} | {seconds:.2f} | {1e3 * seconds / max(1, lookups):.2f} | {seconds / base:.2f}x |"
        )
    lines += [
        "",
        "- WordNet and the filters' data, cold, in a fresh process: "
        f"`import nltk` {load['import_nltk']:.2f} s, "
        f"WordNet's first load {load['reader']:.2f} s, the first filtered sentence {load['first']:.2f} s "
        "(index.sense, wordfreq's and lemminflect's tables); none of it counted above.",
        "",
        common.machine_line(
            common.machine_info(
                settings={"load average at the end": common.load_average()},
                versions={"nltk": nltk.__version__},
            )
        ),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = common.parser(__doc__, "tiny sizes for a smoke check (a few seconds)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    load = cold_load_seconds()
    core_wordnet.reader()  # load WordNet here too, before anything is timed
    sentences = load_sentences(sizes.sentences)
    words = statistics.mean(len(s.split()) for s in sentences)
    few = sentences[: sizes.table_sentences]
    lookups = distinct_lookups(few)
    tables = table_costs(few)
    timings = time_rounds(sentences, sizes)
    changed = changed_share(sentences[:300])
    report = render(timings, tables, lookups, load, changed, sizes, args.quick, words)
    common.publish(report, "text_aug", args.update_readme)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
