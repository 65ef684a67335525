"""Tests for core.augment.text: EDA's SR, RI, RS, RD and AEDA's PI, edits, determinism and configuration.

Expectations never come from the module itself: words are found with this file's own regex, synonyms
are checked against NLTK's WordNet queried directly (``wn.synsets`` and ``lemma_names``), stop words
against core.augment.stopwords, and EDA's table is written out from the paper. Sentences are real English:
CPython's own documentation (``pydoc_data.topics``) plus hand-written ones with punctuation,
contractions, numbers, capitals, line breaks and runs of spaces.

The operations are tested here with the synonym filters off (:data:`RAW`: synonyms as WordNet gives them),
so that a replacement can be checked against WordNet directly; the filters have their own tests
(``test_text_filters.py``), as do the noise operations (``test_text_noise.py``) and the
``auglab.text_aug/1`` draws (``test_text_legacy.py``).
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import unicodedata
from collections import Counter
from dataclasses import replace
from pathlib import Path
from pydoc_data.topics import topics

import numpy as np
import pytest

from core.augment import wordnet
from core.augment.stopwords import FUNCTION_WORDS, STOP_WORDS
from core.augment.text import (
    CONFIG_FORMAT,
    NOISE_OPERATIONS,
    OPERATIONS,
    TextAugConfig,
    TextVariant,
    augment_text,
    augment_text_detailed,
    augment_variants,
    eda_preset,
    variant_operations,
)
from core.config import MAX_SEED
from core.errors import ConfigError
from core.seeding import derive_seed, python_random

REPO = Path(__file__).resolve().parents[2]

# A word: letters (any script, no digits, no underscore), joined by inner apostrophes or hyphens.
LETTERS = r"(?:(?![\d_])\w)+"
WORD = re.compile(rf"{LETTERS}(?:['’-]{LETTERS})*")
MARKS = set(".;?:!,")  # AEDA's punctuation


def words(text: str) -> list[str]:
    return WORD.findall(text)


def non_words(text: str) -> list[str]:
    """The text between words (and before the first, after the last), as written."""
    return WORD.split(text)


def doc_sentences(step: int = 16) -> list[str]:
    """Every ``step``-th prose sentence of CPython's documentation topics, 8 to 40 words long."""
    found = []
    for key in sorted(topics):
        for para in re.split(r"\n\s*\n", topics[key]):
            if para.startswith((" ", "\t")) or any(c in para for c in "*`|"):
                continue  # code blocks, tables and markup
            for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z])", " ".join(para.split())):
                if 8 <= len(words(sentence)) <= 40 and sentence.endswith("."):
                    found.append(sentence)
    return found[::step]


HAND_WRITTEN = [
    "I didn't think the well-known café would charge $3.5 for a small coffee, but it did!",
    "The QUICK brown fox jumps over the LAZY dog; the dog doesn't mind.",
    'Dr. Smith arrived at 10:30 a.m. — late, again.\nShe said: "Sorry, the train was delayed."',
    "Prices rose by 12% in 2023, and analysts expect 3.5% growth next year.",
    "  Leading spaces,   runs   of spaces,\tand a tab.  ",
    "First line of the poem\nsecond line follows quickly\n\nthird line after a blank one",
    "WARNING: the BIG RED button starts the engine; never press it twice.",
    "It's a beautiful morning in London, and Paris is lovely in the spring.",
    "Students read books, write essays, and discuss difficult questions in small groups.",
    "The committee's decision surprised everyone who'd followed the long debate closely.",
]

SENTENCES = doc_sentences() + HAND_WRITTEN


def lemmas(wn, word: str) -> set[str]:
    """Lower-case lemma names (spaces for underscores) of every synset of ``word``."""
    return {name.replace("_", " ").lower() for s in wn.synsets(word.lower()) for name in s.lemma_names()}


def has_synonym(wn, word: str) -> bool:
    """Whether some lemma of the word's synsets is neither the word nor one of its base forms."""
    key = word.lower()
    same = {key} | {form.lower() for pos in "nvar" for form in wn._morphy(key, pos)}
    return bool(lemmas(wn, key) - same)


def may_use(word: str) -> bool:
    """Whether SR and RI may take this word: two letters or more, not a stop word (nor one of the
    prepositions and conjunctions auglab.text_aug/2 adds to them)."""
    return len(word) > 1 and word.lower() not in STOP_WORDS | FUNCTION_WORDS


# Every synonym filter off: SR and RI take any lemma of any sense, as EDA does.
RAW = dict(
    pos_filter=False, senses=0, untagged_senses=True, inflect=False, rarity_filter=False, names_filter=False,
    blocklist=False, multiword_sr=True, multiword_ri=True,
)  # fmt: skip


def only(op: str, **settings) -> TextAugConfig:
    return TextAugConfig(operations=(op,), **{**RAW, **settings})


# A token (a run of non-spaces) holding "://", "www.", "@", a digit, "_", "/", "\\" or a dot between two
# letters is a URL, address, path, identifier or number: no operation touches a word inside it.
GUARD = re.compile(r"://|www\.|@|[\d_/\\]|[^\W\d_]\.[^\W\d_]")


def guarded_words(text: str) -> list[str]:
    """The words (this file's regex) inside such tokens, in order."""
    return [w for token in text.split() if GUARD.search(token) for w in words(token)]


def free_words(text: str) -> list[str]:
    """The words an operation may touch: all but the guarded ones (by count)."""
    return list((Counter(words(text)) - Counter(guarded_words(text))).elements())


def check_edits(result: TextVariant) -> None:
    """Each edit sits where it says in the text; the display segments rebuild the text."""
    text = result.text
    last = 0
    for edit in result.edits:
        assert edit.op in result.operations
        assert edit.position >= last
        last = edit.position
        if edit.op == "RD":
            assert edit.new == "" and WORD.fullmatch(edit.old), edit
        else:
            assert edit.new and text[edit.position : edit.position + len(edit.new)] == edit.new, edit
    assert "".join(s.text for s in result.segments if s.op != "RD") == text
    assert [s.text for s in result.segments if s.op == "RD"] == [e.old for e in result.edits if e.op == "RD"]


def undo_replacements(result: TextVariant, op: str) -> tuple[str, list[tuple[int, int]]]:
    """Put each ``op`` edit's old word back; also return the spans (in the original) it replaced."""
    pieces, spans, end, shift = [], [], 0, 0
    for edit in result.edits:
        assert edit.op == op
        pieces += [result.text[end : edit.position], edit.old]
        start = edit.position - shift
        spans.append((start, start + len(edit.old)))
        end = edit.position + len(edit.new)
        shift += len(edit.new) - len(edit.old)
    pieces.append(result.text[end:])
    return "".join(pieces), spans


# ----------------------------------------------------------------------------------- SR


@pytest.mark.parametrize(
    "alpha",
    [
        0.1,  # EDA's default: one word in ten
        0.5,  # half the words
        1.0,  # every replaceable word
    ],
)
def test_sr_replaces_only_free_words_with_wordnet_synonyms(wn, alpha):
    config = only("SR", alpha_sr=alpha)
    for index, text in enumerate(SENTENCES):
        result = augment_text_detailed(text, config, 7, index, 0)
        check_edits(result)
        original, spans = undo_replacements(result, "SR")
        assert original == text  # everything outside the replaced words is as written
        word_spans = {m.span() for m in WORD.finditer(text)}
        for (start, end), edit in zip(spans, result.edits, strict=True):
            assert (start, end) in word_spans  # a whole word, as found by our own regex
            assert may_use(edit.old)
            assert edit.new.lower() in lemmas(wn, edit.old)
            assert edit.new.lower() != edit.old.lower()
            assert "_" not in edit.new
        replaceable = [w for w in free_words(text) if may_use(w) and has_synonym(wn, w)]
        wanted = max(1, round(alpha * len(words(text))))
        assert len(result.edits) == min(wanted, len(replaceable)), text


@pytest.mark.parametrize(
    ("text", "target", "expected"),
    [
        ("The DOG barked", "DOG", str.isupper),  # ALL CAPS stays ALL CAPS
        ("the Car keys were lost", "Car", lambda new: new[0].isupper()),  # Capitalised stays so
        ("QUICKLY, run home", "QUICKLY", str.isupper),  # ALL CAPS before punctuation
        ("Books are read", "Books", lambda new: new[0].isupper()),  # Capitalised at the start
    ],
)
def test_sr_copies_the_case_pattern(wn, text, target, expected):
    config = only("SR", alpha_sr=0.01)  # n = 1: with a shuffled order, every word is hit sometimes
    seen = 0
    for seed in range(60):
        for edit in augment_text_detailed(text, config, seed, 0, 0).edits:
            if edit.old == target:
                seen += 1
                assert expected(edit.new), edit
    assert seen > 0


def test_sr_multi_word_synonyms_use_spaces(wn):
    # "car" has "motor vehicle"-style two-word synonyms in many synsets; SR must write them with spaces.
    text = "The car broke down near the coffee shop."
    multi = []
    for seed in range(80):
        result = augment_text_detailed(text, only("SR", alpha_sr=1.0), seed, 0, 0)
        assert "_" not in result.text
        multi += [e.new for e in result.edits if " " in e.new]
    assert multi  # some replacement was a multi-word lemma


@pytest.mark.parametrize(
    "text",
    [
        "the of and to in it is was",  # stop words only
        "and then they were not there",  # stop words only, another sentence
        "3.5 + 2 = 5.5 !!!",  # no words at all
    ],
)
def test_sr_leaves_text_without_replaceable_words_alone(wn, text):
    result = augment_text_detailed(text, only("SR", alpha_sr=1.0), 0, 0, 0)
    assert (result.text, result.edits) == (text, ())


# ----------------------------------------------------------------------------------- RI


def undo_insertions(result: TextVariant) -> str:
    """Remove each inserted span and the one space put before it, from the last to the first."""
    text = result.text
    for edit in reversed(result.edits):
        assert edit.op == "RI" and edit.old == ""
        assert text[edit.position - 1] == " "
        text = text[: edit.position - 1] + text[edit.position + len(edit.new) :]
    return text


@pytest.mark.parametrize(
    "alpha",
    [
        0.1,  # EDA's default
        0.3,  # several insertions per sentence
    ],
)
def test_ri_inserts_n_synonyms_after_words(wn, alpha):
    config = only("RI", alpha_ri=alpha)
    for index, text in enumerate(SENTENCES):
        result = augment_text_detailed(text, config, 11, index, 0)
        check_edits(result)
        assert undo_insertions(result) == text
        source_words = {w.lower() for w in words(text) if may_use(w)}
        synonyms_in_text = set().union(*(lemmas(wn, w) - {w} for w in source_words))
        for edit in result.edits:
            assert edit.new.lower() in synonyms_in_text
            assert "_" not in edit.new
            line_before = result.text[: edit.position].rsplit("\n", 1)[-1]
            assert words(line_before), "an inserted word starts a line"
        if any(has_synonym(wn, w) for w in source_words):
            assert len(result.edits) == max(1, round(alpha * len(words(text))))


@pytest.mark.parametrize(
    "text",
    [
        "first line here\nsecond line there\nthird line now",  # every line begins with a word
        "Cats sleep.\n\nDogs bark loudly.\n  Birds sing.",  # blank line and an indented line
    ],
)
def test_ri_never_starts_a_line(wn, text):
    for seed in range(40):
        result = augment_text_detailed(text, only("RI", alpha_ri=1.0), seed, 0, 0)
        for edit in result.edits:
            line_before = result.text[: edit.position].rsplit("\n", 1)[-1]
            assert words(line_before), (seed, result.text)


def test_ri_with_rd_never_starts_a_line(wn):
    # p_rd=1 with "dog" protected: "Quick" is always deleted and is the only source of synonyms; over a
    # few seeds some insertion lands after it, at the start of the line.
    config = TextAugConfig(
        operations=("RI", "RD"), combine=True, alpha_ri=1.0, p_rd=1.0, protected_words=("dog",)
    )
    for seed in range(20):
        result = augment_text_detailed("Quick dog\nQuick dog", config, seed, 0, 0)
        check_edits(result)
        for edit in result.edits:
            if edit.op == "RI":
                assert words(result.text[: edit.position].rsplit("\n", 1)[-1]), repr(result.text)


def test_ri_with_rd_makes_no_new_words(wn):
    # Every word of the output is an original word or a word of some inserted synonym.
    config = TextAugConfig(alpha_ri=0.2, p_rd=0.2, operations=("RI", "RD"), combine=True)
    glued = []
    for index, text in enumerate(SENTENCES):
        for variant in range(4):
            result = augment_text_detailed(text, config, 0, index, variant)
            known = set(words(text)) | {w for e in result.edits for w in words(e.new)}
            glued += [w for w in words(result.text) if w not in known]
    assert glued == []


def test_ri_looks_up_each_word_a_bounded_number_of_times(wn, monkeypatch):
    # A complexity check without timing: WordNet look-ups on a 2,000-word text (n = 200 insertions)
    # stay linear in the number of words, not words x insertions.
    text = " ".join(words(" ".join(SENTENCES * 20))[:2000])
    calls = Counter()
    real = wordnet.synonyms

    def counting(word: str) -> tuple[str, ...]:
        calls[word] += 1
        return real(word)

    monkeypatch.setattr(wordnet, "synonyms", counting)
    augment_text_detailed(text, only("RI", alpha_ri=0.1), 0, 0, 0)
    assert calls.total() <= 3 * 2000


# ----------------------------------------------------------------------------------- RS


@pytest.mark.parametrize(
    "alpha",
    [
        0.1,  # EDA's default
        1.0,  # more swaps asked than pairs of words: stops when no two free words are left
    ],
)
def test_rs_keeps_words_and_everything_between_them(alpha):
    config = only("RS", alpha_rs=alpha)
    changed = 0
    for index, text in enumerate(SENTENCES):
        result = augment_text_detailed(text, config, 3, index, 0)
        check_edits(result)
        assert Counter(words(result.text)) == Counter(words(text))
        assert non_words(result.text) == non_words(text)
        n = max(1, round(alpha * len(words(text))))
        assert len(result.edits) == 2 * min(n, len(free_words(text)) // 2)  # each word swapped at most once
        assert not Counter(e.old for e in result.edits) - Counter(free_words(text))
        assert len({e.position for e in result.edits}) == len(result.edits)
        changed += result.text != text
    assert changed > len(SENTENCES) // 2


# ----------------------------------------------------------------------------------- RD


def is_subsequence(short: list[str], long: list[str]) -> bool:
    it = iter(long)
    return all(any(w == x for x in it) for w in short)


def punctuation_and_numbers(text: str) -> str:
    return re.sub(r"\s", "", WORD.sub("", text))


@pytest.mark.parametrize(
    "p",
    [
        0.1,  # EDA's default
        0.5,  # half the words
        1.0,  # every word but the one kept
    ],
)
def test_rd_keeps_a_subsequence_and_all_non_words(p):
    config = only("RD", p_rd=p)
    for index, text in enumerate(SENTENCES):
        result = augment_text_detailed(text, config, 5, index, 0)
        check_edits(result)
        left = words(result.text)
        assert left, "every word deleted"
        assert is_subsequence(left, words(text))
        assert len(left) + len(result.edits) == len(words(text))
        assert Counter(left) + Counter(e.old for e in result.edits) == Counter(words(text))
        assert punctuation_and_numbers(result.text) == punctuation_and_numbers(text)
        assert result.text.count("\n") == text.count("\n")
        assert not Counter(e.old for e in result.edits) - Counter(free_words(text))
        if p == 1.0:  # every free word goes, but one is kept when nothing else would be left
            assert len(left) == max(1, len(guarded_words(text))) or not free_words(text)


@pytest.mark.parametrize(
    "text",
    [
        "Hello",  # one word
        "  Hello!  ",  # one word with spaces and punctuation around it
        "3.5 apples",  # one word after a number
        "don't",  # one contracted word
    ],
)
def test_rd_never_deletes_the_only_word(text):
    result = augment_text_detailed(text, only("RD", p_rd=1.0), 0, 0, 0)
    assert (result.text, result.edits) == (text, ())


MULTILINE_TEXTS = [
    "First line of the poem\nsecond line follows quickly\n\nthird line after a blank one",
    "  Indented start here\n\tTabbed line goes on\n    four spaces then words\nno indent at all",
    "Dear Sir,\n  I write about 3.5 tonnes of coal.\n  Yours faithfully,\n  John",
]
MULTILINE = [
    # no indentation, a blank line
    "First line of the poem\nsecond line follows quickly\n\nthird line after a blank one",
    pytest.param(  # spaces, a tab, no indentation
        "  Indented start here\n\tTabbed line goes on\n    four spaces then words\nno indent at all"
    ),
    pytest.param(  # a letter, with numbers and punctuation
        "Dear Sir,\n  I write about 3.5 tonnes of coal.\n  Yours faithfully,\n  John"
    ),
]


@pytest.mark.parametrize("text", MULTILINE)
def test_rd_keeps_each_lines_indentation(text):
    # Per the renderer's contract: no line gains or loses indentation (lines keeping some text).
    for seed in range(40):
        result = augment_text_detailed(text, only("RD", p_rd=0.5), seed, 0, 0)
        check_edits(result)
        for before, after in zip(text.split("\n"), result.text.split("\n"), strict=True):
            if after.strip():
                indent = len(before) - len(before.lstrip())
                assert after[: len(after) - len(after.lstrip())] == before[:indent], (seed, result.text)


@pytest.mark.parametrize(
    ("text", "protected", "expected"),
    [
        ("Hello dear world", ["hello"], "Hello"),  # trailing words go with the spaces before them
        ("dear world Hello", ["hello"], "Hello"),  # leading words go with the spaces after them
        ("Hello, dear world.", ["hello"], "Hello,."),  # punctuation stays, spaces before words go
        ("Hello dear\n\nworld", ["hello"], "Hello\n\n"),  # line breaks stay
        ("Hello world\nfoo bar", ["hello", "bar"], "Hello\nbar"),  # a later line keeps no space
        ("  foo bar\n  baz qux", ["bar", "qux"], "  bar\n  qux"),  # indentation stays
        pytest.param(
            "  foo bar baz",
            ["baz"],
            "  baz",
            id="two-line-initial-words",  # two words deleted at the start of an indented line
        ),
    ],
)
def test_rd_exact_results(text, protected, expected):
    # p_rd=1 with protected words: the outcome does not depend on the random draws.
    result = augment_text_detailed(text, only("RD", p_rd=1.0, protected_words=protected), 0, 0, 0)
    check_edits(result)
    assert result.text == expected


# ----------------------------------------------------------------------------------- PI


def undo_marks(result: TextVariant) -> str:
    """Remove each inserted mark with one adjacent space (the one after it when there is one)."""
    text = result.text
    for edit in reversed(result.edits):
        at = edit.position
        assert edit.op == "PI" and edit.old == "" and edit.new in MARKS and text[at] == edit.new
        if text[at + 1 : at + 2] == " ":
            text = text[:at] + text[at + 2 :]
        else:
            assert text[at - 1] == " "
            text = text[: at - 1] + text[at + 1 :]
    return text


@pytest.mark.parametrize(
    "ratio",
    [
        0.3,  # AEDA's default
        1.0,  # up to one mark per word
        0.01,  # below one mark: still at least one
    ],
)
def test_pi_adds_only_marks(ratio):
    config = only("PI", punct_ratio=ratio)
    for index, text in enumerate(SENTENCES):
        result = augment_text_detailed(text, config, 9, index, 0)
        check_edits(result)
        assert words(result.text) == words(text)
        added = Counter(result.text) - Counter(text)
        assert not Counter(text) - Counter(result.text)  # nothing removed
        marks = sum(v for k, v in added.items() if k != " ")
        assert set(added) <= MARKS | {" "}
        assert added[" "] == marks  # one space per mark
        assert 1 <= marks <= max(1, round(ratio * len(words(text))))
        assert marks == len(result.edits)
        assert undo_marks(result) == text


# ----------------------------------------------------------------------------------- draws

FIVE = "alpha bravo charlie delta echo"


def marks_used(result: TextVariant) -> set:
    return {e.new for e in result.edits}


def mark_count(result: TextVariant) -> set:
    return {len(result.edits)}


def mark_places(result: TextVariant) -> set:
    """How many words precede each inserted mark (0: before the first word, 5: at the end)."""
    return {len(words(result.text[: e.position])) for e in result.edits}


def swapped_words(result: TextVariant) -> set:
    return {e.old for e in result.edits}


def survivor(result: TextVariant) -> set:
    return set(words(result.text))


@pytest.mark.parametrize(
    ("config", "seen", "expected"),
    [
        (only("PI", punct_ratio=1.0), marks_used, set(".;?:!,")),  # every one of AEDA's six marks
        (only("PI", punct_ratio=1.0), mark_count, {1, 2, 3, 4, 5}),  # 1 to ratio x 5 words marks
        (only("PI", punct_ratio=0.2), mark_places, {0, 1, 2, 3, 4, 5}),  # every boundary, both ends
        (only("RS", alpha_rs=0.2), swapped_words, set(FIVE.split())),  # every word takes part in a swap
        (only("RD", p_rd=1.0), survivor, set(FIVE.split())),  # each word is sometimes the one kept
    ],
)
def test_draws_reach_every_choice(config, seen, expected):
    # Over 400 variants each choice is drawn (1 in 6 at worst: missing one has odds below 1e-30), and
    # nothing outside the choices is: an off-by-one in a draw's range fails here.
    found = set()
    for variant in range(400):
        found |= seen(augment_text_detailed(FIVE, config, 8, 0, variant))
    assert found == expected


# ----------------------------------------------------------------------------------- all ops

ALL_CONFIGS = [
    pytest.param(only("SR", alpha_sr=0.5), id="SR"),
    pytest.param(only("RI", alpha_ri=0.5), id="RI"),
    pytest.param(only("RS", alpha_rs=0.5), id="RS"),
    pytest.param(only("RD", p_rd=0.5), id="RD"),
    pytest.param(only("PI", punct_ratio=0.5), id="PI"),
    pytest.param(TextAugConfig(0.3, 0.3, 0.3, 0.3, 0.3, operations=OPERATIONS, combine=True), id="combined"),
    pytest.param(
        TextAugConfig(0.3, 0.3, 0.3, 0.3, 0.3, operations=OPERATIONS, combine=True, alpha_noise=0.3, **RAW),
        id="combined-raw",
    ),
    *[pytest.param(only(op, alpha_noise=0.5, chars_per_word=3), id=op) for op in NOISE_OPERATIONS],
]


@pytest.mark.parametrize("config", ALL_CONFIGS)
def test_protected_words_are_never_edited(wn, config):
    protected = ["Python", "DOG", "function", "quick"]  # any case in the config, any case in the text
    config = replace(config, protected_words=protected)
    keep = {w.lower() for w in protected}
    extra = ["The python function calls the QUICK dog.", "Quick, the Dog ran; PYTHON functions stay."]
    for index, text in enumerate(SENTENCES[:30] + extra):
        for variant in range(3):
            result = augment_text_detailed(text, config, 1, index, variant)
            check_edits(result)
            for edit in result.edits:
                if edit.op != "RI" and edit.op != "PI":
                    assert edit.old.lower() not in keep, edit
                if edit.op == "RS":
                    assert edit.new.lower() not in keep, edit
            kept = Counter(w for w in words(text) if w.lower() in keep)
            assert not kept - Counter(words(result.text))  # every protected occurrence, same case


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(only("SR", alpha_sr=1.0), id="SR"),
        pytest.param(only("RI", alpha_ri=1.0), id="RI"),
    ],
)
def test_stop_words_are_never_replaced_or_used_as_sources(wn, config):
    text = "She would have been there if they had not gone out with us."  # all stop words but one
    assert [w for w in words(text) if w.lower() not in STOP_WORDS] == ["gone"]
    for seed in range(30):
        result = augment_text_detailed(text, config, seed, 0, 0)
        # SR: n = 13 asked, but only "gone" may change; RI: 13 synonyms, all of "gone".
        assert len(result.edits) == (1 if config.operations == ("SR",) else len(words(text)))
        for edit in result.edits:
            if edit.op == "SR":
                assert edit.old == "gone"
            assert edit.new.lower() in lemmas(wn, "gone")


@pytest.mark.parametrize(
    ("combine", "variant", "expected"),
    [
        (False, 0, ("SR",)),  # variant 0 applies the first operation
        (False, 2, ("RD",)),  # the third of SR, RS, RD
        (False, 3, ("SR",)),  # wraps around: 3 % 3 == 0
        (False, 7, ("RS",)),  # 7 % 3 == 1
        (True, 0, ("SR", "RS", "RD")),  # combine: every operation, in canonical order
        (True, 5, ("SR", "RS", "RD")),  # whatever the variant
    ],
)
def test_variant_operations(wn, combine, variant, expected):
    config = TextAugConfig(operations=("RD", "SR", "RS"), combine=combine, alpha_sr=0.3, p_rd=0.3)
    assert variant_operations(config, variant) == expected
    text = SENTENCES[0]
    result = augment_text_detailed(text, config, 0, 0, variant)
    assert result.operations == expected
    assert {e.op for e in result.edits} <= set(expected)


def test_combined_variants_use_every_operation(wn):
    # Gentle rates (about one word each), so that the later operations find words left untouched.
    config = TextAugConfig(
        0.05, 0.05, 0.05, 0.05, 0.05, operations=OPERATIONS, combine=True, alpha_noise=0.01
    )
    seen = set()
    for index, text in enumerate(SENTENCES):
        result = augment_text_detailed(text, config, 0, index, 0)
        check_edits(result)
        seen |= {e.op for e in result.edits}
    assert seen == set(OPERATIONS)


# ----------------------------------------------------------------------------------- determinism

DEFAULT_ALL = TextAugConfig(operations=OPERATIONS)


def run_all(config: TextAugConfig, seed: int, calls: list[tuple[int, int]]) -> dict:
    return {(i, v): augment_text(SENTENCES[i], config, seed, i, v) for i, v in calls}


def test_same_seed_same_result_in_any_order(wn):
    calls = [(i, v) for i in range(0, len(SENTENCES), 3) for v in range(5)]
    first = run_all(DEFAULT_ALL, 42, calls)
    for i, v in calls[::7]:  # the detailed call agrees with the plain one
        result = augment_text_detailed(SENTENCES[i], DEFAULT_ALL, 42, i, v)
        assert (result.text, list(result.edits)) == first[i, v]
    shuffled = calls[:]
    random.Random(0).shuffle(shuffled)
    assert run_all(DEFAULT_ALL, 42, shuffled) == first
    other = run_all(DEFAULT_ALL, 43, calls)
    assert sum(first[c][0] != other[c][0] for c in calls) > len(calls) // 4


@pytest.mark.parametrize(
    "settings",
    [
        {},  # EDA's four with the filters on: the fast paths of SR, RI, RS, RD
        {"operations": OPERATIONS, "alpha_sr": 0.05, "alpha_rs": 0.3, "p_rd": 0.5},  # one and several edits
        {"operations": OPERATIONS, "alpha_noise": 0.3, "chars_per_word": 2, **RAW},  # every operation, raw
    ],
)
def test_fast_paths_equal_the_general_path(wn, settings):
    # augment_variants samples and applies a one-operation variant in one pass; the detailed call goes
    # through a plan of edits and the general renderer. They must agree, edit for edit.
    config = TextAugConfig(n_aug=13, **settings)
    texts = [*SENTENCES[::2], *MULTILINE_TEXTS, "  Indented\n  lines here\nand more", "One"]
    for index, text in enumerate(texts):
        fast = augment_variants(text, config, 21, index)
        for variant, (out, edits) in enumerate(fast):
            detailed = augment_text_detailed(text, config, 21, index, variant)
            assert (out, edits) == (detailed.text, list(detailed.edits)), (text, variant)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ((0, 0, 0), (1, 0, 0)),  # another seed
        ((0, 0, 0), (0, 1, 0)),  # another example index
        ((0, 0, 0), (0, 0, 5)),  # another variant (5 % 5 == 0: the same operation, SR)
    ],
)
def test_each_number_changes_the_result_somewhere(wn, a, b):
    texts = SENTENCES[:40]
    differ = sum(augment_text(t, DEFAULT_ALL, *a)[0] != augment_text(t, DEFAULT_ALL, *b)[0] for t in texts)
    assert differ > 0


HASH_SCRIPT = """
import json, sys
from core.augment.text import OPERATIONS, TextAugConfig, augment_text
texts = json.loads(sys.stdin.read())
config = TextAugConfig(operations=OPERATIONS, combine=True)
out = [augment_text(t, config, 2024, i, v)[0] for i, t in enumerate(texts) for v in range(3)]
print(json.dumps(out))
"""


def test_results_do_not_depend_on_hash_seed(wn):
    texts = SENTENCES[::4]
    procs = []
    for hash_seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(REPO)}
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", HASH_SCRIPT],
                cwd=REPO,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outputs = []
    for proc in procs:
        out, err = proc.communicate(json.dumps(texts), timeout=120)
        assert proc.returncode == 0, err
        outputs.append(json.loads(out))
    config = TextAugConfig(operations=OPERATIONS, combine=True)
    here = [augment_text(t, config, 2024, i, v)[0] for i, t in enumerate(texts) for v in range(3)]
    assert outputs[0] == outputs[1] == here


# The stream of example (seed, index) is a numpy PCG64 whose state is core.seeding.derive_seed(seed,
# "text/2", index) (increment 0x5851F42D4C957F2D14057B7EF767814F); variant v reads uniforms [v K, (v + 1) K)
# where K is the row length (for RD alone: one per word, and one for the word kept when all would go).
# RD makes it visible: it deletes the words whose uniform is below p_rd.
@pytest.mark.parametrize(
    ("seed", "index", "variant"),
    [
        (0, 0, 0),  # the smallest key
        (2024, 17, 3),  # an everyday key
        (MAX_SEED, 2**62, 9),  # the largest seed
    ],
)
def test_variant_stream_is_named_text(seed, index, variant):
    text = "Seven quiet rivers carried bright leaves past old stone bridges toward distant harbours today"
    n = len(words(text))
    bits = np.random.PCG64()
    state = {"state": derive_seed(seed, "text/2", index), "inc": 0x5851F42D4C957F2D14057B7EF767814F}
    bits.state = {"bit_generator": "PCG64", "state": state, "has_uint32": 0, "uinteger": 0}
    bits.advance(variant * (n + 1))  # one 64-bit output per uniform
    u = np.random.Generator(bits).random(n + 1)
    deleted = [w for w, x in zip(words(text), u, strict=False) if x < 0.5]
    result = augment_text_detailed(text, only("RD", p_rd=0.5), seed, index, variant)
    assert [e.old for e in result.edits] == deleted


# An auglab.text_aug/1 configuration draws as AugLab 0.2 did: variant (seed, index, variant) from
# core.seeding.python_random(seed, "text", index, variant), one uniform per word for RD.
@pytest.mark.parametrize(
    ("seed", "index", "variant"),
    [
        (0, 0, 0),  # the smallest key
        (2024, 17, 3),  # an everyday key
    ],
)
def test_legacy_stream_is_named_text(seed, index, variant):
    text = "Seven quiet rivers carried bright leaves past old stone bridges toward distant harbours today"
    rng = python_random(seed, "text", index, variant)
    deleted = [w for w in words(text) if rng.random() < 0.5]
    config = TextAugConfig.from_dict({"format": "auglab.text_aug/1", "operations": ["RD"], "p_rd": 0.5})
    result = augment_text_detailed(text, config, seed, index, variant)
    assert [e.old for e in result.edits] == deleted


@pytest.mark.parametrize(
    ("seed", "index", "variant", "message"),
    [
        (-1, 0, 0, "seed must be a whole number from 0 to"),  # negative seed
        (0, 1.5, 0, "index must be a whole number from 0 to"),  # fractional index
        (0, 0, True, "variant must be a whole number from 0 to"),  # a bool is not a variant number
        (2**63, 0, 0, "seed must be a whole number"),  # beyond MAX_SEED
        (0, 2**63, 0, "index must be a whole number"),  # an index beyond MAX_SEED too
        (0, "1", 0, "index must be a whole number"),  # a string is not an index (nor a stream name here)
        (None, 0, 0, "seed must be a whole number"),  # no seed
    ],
)
def test_bad_seed_numbers_raise(seed, index, variant, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        augment_text("Some text here", only("RS"), seed, index, variant)


@pytest.mark.parametrize(
    "key",
    [
        (np.int64(5), 2, 1),  # a numpy seed
        (5, np.int32(2), np.uint8(1)),  # a numpy index and variant, e.g. from a dataframe
    ],
)
def test_numpy_integers_are_whole_numbers(key):
    # Refused with "must be a whole number" before core.config's checks; the same variant as plain ints.
    text = "Numbers from numpy arrays are as good as any other whole numbers here"
    expected = augment_text(text, only("RS"), *(int(k) for k in key))
    assert augment_text(text, only("RS"), *key) == expected


@pytest.mark.parametrize(
    ("text", "type_name"),
    [
        (b"bytes are not text", "bytes"),  # undecoded bytes
        (None, "NoneType"),  # a missing cell
        (["a", "list"], "list"),  # words already split
        (3.5, "float"),  # a number from a CSV column
    ],
)
def test_non_string_text_raises(text, type_name):
    with pytest.raises(ConfigError, match=f"^Text must be a string, got {type_name}"):
        augment_text(text, only("RS"), 0, 0, 0)


# ----------------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("settings", "operations", "protected"),
    [
        ({}, ["SR", "RI", "RS", "RD"], []),  # the defaults: EDA's four
        (  # everything changed; operations in canonical order; words stripped, lower case, unique, sorted
            {
                "alpha_sr": 0.2,
                "alpha_ri": 0.0,
                "alpha_rs": 1,
                "p_rd": 0.05,
                "punct_ratio": 0.5,
                "n_aug": 64,
                "operations": ["PI", "SR", "RD"],
                "combine": True,
                "protected_words": ["Python", " café ", "python", ""],
                "protect_stop_words": False,
            },
            ["SR", "RD", "PI"],
            ["café", "python"],
        ),
        (
            {"operations": ("PI",), "protected_words": ("Ünïcode", "日本")},
            ["PI"],
            ["ünïcode", "日本"],
        ),  # sorted by code point
    ],
)
def test_config_json_round_trip(settings, operations, protected):
    config = TextAugConfig(**settings)
    text = config.to_json()
    data = json.loads(text)
    assert next(iter(data)) == "format" and data["format"] == CONFIG_FORMAT
    assert data["operations"] == operations
    assert data["protected_words"] == protected
    assert all(c in text for w in protected for c in w)  # non-ASCII written as it is
    assert TextAugConfig.from_json(text) == config
    assert TextAugConfig.from_dict(config.to_dict()) == config


def test_config_keys_left_out_take_their_defaults():
    assert TextAugConfig.from_json("{}") == TextAugConfig()


@pytest.mark.parametrize(
    "given",
    [
        ("RI", "SR"),  # reversed
        ("PI", "RD", "RS", "RI", "SR"),  # all, reversed
        ("RD", "RD", "SR"),  # duplicates collapse
    ],
)
def test_operations_are_normalized(given):
    expected = tuple(op for op in ("SR", "RI", "RS", "RD", "PI") if op in given)
    assert TextAugConfig(operations=given).operations == expected


@pytest.mark.parametrize(
    "settings",
    [
        {"alpha_sr": -0.1},  # below 0
        {"alpha_ri": 1.5},  # above 1
        {"p_rd": float("nan")},  # not a number
        {"punct_ratio": "0.3"},  # a string
        {"n_aug": 0},  # no variants
        {"n_aug": 65},  # above 64
        {"n_aug": 2.5},  # not whole
        {"n_aug": True},  # a bool is not a count
        {"operations": ["SR", "XX"]},  # unknown operation
        {"operations": []},  # none chosen
        {"operations": "SR"},  # a string, not a list
        {"protected_words": "python"},  # a string, not a list
        {"protected_words": ["ok", 3]},  # a non-string word
        {"combine": 1},  # not a bool
    ],
)
def test_bad_config_raises(settings):
    with pytest.raises(ConfigError):
        TextAugConfig(**settings)
    with pytest.raises(ConfigError):
        TextAugConfig.from_dict(settings)


@pytest.mark.parametrize(
    ("given", "plain"),
    [
        ({"alpha_sr": np.float32(0.25)}, {"alpha_sr": 0.25}),  # a float32 slider value
        ({"n_aug": np.int64(8)}, {"n_aug": 8}),  # a numpy count
        ({"p_rd": np.float64(0.2), "n_aug": np.uint8(3)}, {"p_rd": 0.2, "n_aug": 3}),  # both
    ],
)
def test_numpy_scalars_are_numbers(given, plain):
    # Stored as plain Python numbers, so the configuration still writes JSON. (Before core.config's
    # checks float32 and numpy integers were refused.)
    config = TextAugConfig(**given)
    assert config == TextAugConfig(**plain)
    assert TextAugConfig.from_json(config.to_json()) == config


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"alpha_sr": 1.5}, "alpha_sr must be a number in [0, 1], got 1.5."),  # the interval is shown
        ({"n_aug": 0}, "n_aug must be a whole number from 1 to 64, got 0."),  # so is the count's
        ({"combine": "yes"}, "combine must be true or false, got 'yes'."),  # JSON's words
        (
            {"operations": ["SR", "XX"]},
            "Unknown operation(s) XX; choose from SR, RI, RS, RD, PI, KB, OCR, CI, CS, CW, CD, SPL, SPE.",
        ),
        ({"protected_words": "not"}, "protected_words must be a list of words, got 'not'."),
    ],
)
def test_config_messages(settings, message):
    with pytest.raises(ConfigError) as caught:
        TextAugConfig(**settings)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "text",
    [
        '{"alpha": 0.1}',  # unknown key
        '{"format": "auglab.image_aug/1"}',  # another tool's configuration
        '{"format": "auglab.text_aug/3"}',  # a future format
        '{"alpha_sr": 0.1,}',  # invalid JSON
        "[]",  # JSON, but not an object
        "",  # empty
    ],
)
def test_bad_config_json_raises(text):
    with pytest.raises(ConfigError):
        TextAugConfig.from_json(text)


@pytest.mark.parametrize(
    ("examples", "alpha", "n_aug"),
    [
        (100, 0.05, 16),  # below the first row: the first row
        (500, 0.05, 16),  # EDA table 3: N=500
        (1999, 0.05, 16),  # just below 2,000
        (2000, 0.05, 8),  # N=2,000
        (5000, 0.1, 4),  # N=5,000
        (100_000, 0.1, 4),  # "more": the last row
    ],
)
def test_eda_preset(examples, alpha, n_aug):
    base = TextAugConfig(punct_ratio=0.7, operations=("PI", "RS"), protected_words=("keep",), combine=True)
    config = eda_preset(examples, base)
    assert (config.alpha_sr, config.alpha_ri, config.alpha_rs, config.p_rd) == (alpha,) * 4
    assert config.n_aug == n_aug
    assert (config.punct_ratio, config.operations, config.protected_words, config.combine) == (
        0.7,
        ("RS", "PI"),
        ("keep",),
        True,
    )
    assert eda_preset(examples).operations == TextAugConfig().operations


# ----------------------------------------------------------------------------------- bad input

EMPTY_OF_WORDS = [
    pytest.param("", id="empty"),
    pytest.param(" \t\n\n   ", id="whitespace"),
    pytest.param("😀🎉👍 🚀", id="emoji"),
    pytest.param("3.5 + 12 = 15.5; 100% (42)!", id="numbers-punctuation"),
    pytest.param("\x00\x00 \x00", id="nul-only"),
]
SOME_WORDS = [
    pytest.param("مرحبا بالعالم، كيف حالك اليوم؟", id="arabic"),
    pytest.param("שלום עולם, מה שלומך היום?", id="hebrew"),
    pytest.param("日本語のテキストには空白がありません。中文也没有空格。", id="cjk"),
    pytest.param("Null\x00bytes in\x00the middle\x00of text", id="nul-inside"),
    pytest.param("Mixed: hello 😀 world, 3.5 شكرا", id="mixed-scripts"),
]


@pytest.mark.parametrize("config", ALL_CONFIGS)
@pytest.mark.parametrize("text", EMPTY_OF_WORDS)
def test_text_without_words_is_left_alone(wn, config, text):
    for variant in range(2):
        result = augment_text_detailed(text, config, 0, 0, variant)
        assert (result.text, result.edits) == (text, ())


@pytest.mark.parametrize("config", ALL_CONFIGS)
@pytest.mark.parametrize("text", SOME_WORDS)
def test_unusual_text_gives_valid_edits(wn, config, text):
    for variant in range(2):
        result = augment_text_detailed(text, config, 0, 0, variant)
        check_edits(result)
        if result.operations in (("SR",), ("RI",)) and not any(has_synonym(wn, w) for w in words(text)):
            assert result.text == text  # no synonyms in WordNet: nothing to replace or insert
        assert "\x00" not in text or result.text.count("\x00") == text.count("\x00")


@pytest.mark.parametrize(
    ("text", "config"),
    [
        pytest.param(
            unicodedata.normalize("NFD", "The café was crowded"), only("SR", alpha_sr=1.0), id="nfd-sr"
        ),
        pytest.param("كَتَبَ الوَلَدُ الدَّرْسَ", only("RS", alpha_rs=1.0), id="arabic-harakat-rs"),
    ],
)
def test_edits_do_not_split_combining_marks(wn, text, config):
    for seed in range(10):
        result = augment_text_detailed(text, config, seed, 0, 0)
        for edit in result.edits:
            end = edit.position + len(edit.new)
            assert not unicodedata.category(result.text[end : end + 1] or " ").startswith("M"), result.text


def test_one_megabyte_line(wn):
    line = " ".join(" ".join(SENTENCES).split())
    text = (line + " ") * (1_000_000 // (len(line) + 1) + 1)
    text = text[:1_000_000]
    n_words = len(words(text))
    # SR and RD at EDA's rate; RI, RS and PI once or twice (their cost grows with n times words).
    # The noise operations once each. Raw synonyms: the filters' tables are built word by word (tested
    # apart), and this test is about the operations' cost on one long line.
    config = TextAugConfig(
        0.1, 1e-5, 1e-5, 0.1, 1e-5, operations=OPERATIONS, combine=True, alpha_noise=1e-6, **RAW
    )
    result = augment_text_detailed(text, config, 0, 0, 0)
    check_edits(result)
    ops = Counter(e.op for e in result.edits)
    assert ops["SR"] == round(0.1 * n_words)
    assert 1 <= ops["RI"] <= 2 and 1 <= ops["RS"] // 2 <= 2 and 1 <= ops["PI"] <= 2
    assert 0.08 * n_words < ops["RD"] < 0.12 * n_words
    assert all(ops[op] == 1 for op in NOISE_OPERATIONS), ops
    assert "\n" not in result.text
