"""The synonym filters of SR and RI (core.augment.text.filters), against expectations found apart.

Each expectation comes from somewhere else than the code under test: NLTK's WordNet queried directly
(synsets by part of speech, in sense order; ``Lemma.count()`` for tag counts; ``verb.exc`` and
``adj.exc`` for irregular forms), wordfreq's frequencies, the blocklist files read here, and better
profanity's word list (a list written by others, used by the quality measurement too).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.augment import wordnet
from core.augment.text import TextAugConfig, augment_text, augment_text_detailed
from core.augment.text.filters import RAW, SynonymFilters, candidates

DATA = Path(__file__).resolve().parents[2] / "core" / "augment" / "text" / "data"
# Every filter off, as in test_text_aug.py.
RAW_SETTINGS = dict(
    pos_filter=False, senses=0, untagged_senses=True, inflect=False, rarity_filter=False, names_filter=False,
    blocklist=False, multiword_sr=True, multiword_ri=True,
)  # fmt: skip
SEEDS = range(40)


def sr(**settings) -> TextAugConfig:
    return TextAugConfig(operations=("SR",), alpha_sr=1.0, **settings)


def replacements(text: str, config: TextAugConfig, old: str, seeds=SEEDS) -> set[str]:
    """Every word SR put in place of ``old`` over ``seeds``."""
    return {e.new for s in seeds for e in augment_text(text, config, s, 0, 0)[1] if e.old == old}


def blocklist_entries() -> set[str]:
    entries = set()
    for name in ("blocklist_ldnoobw_en.txt", "blocklist_auglab.txt"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                entries.add(line.strip().lower())
    return entries


def exceptions(wn, name: str) -> set[tuple[str, str]]:
    """(inflected, base) pairs of WordNet's exception list ``name`` (verb.exc, adj.exc)."""
    lines = Path(wn.root.join(name).path).read_text().splitlines() if hasattr(wn.root, "join") else []
    return {tuple(line.split()[:2]) for line in lines if line.strip()}


def lemmas_of(wn, word: str, pos: str, first: int | None = None) -> set[str]:
    return {n.replace("_", " ").lower() for s in wn.synsets(word, pos)[:first] for n in s.lemma_names()}


# ----------------------------------------------------------------------------------- blocklist


def test_a_word_whose_only_synonyms_are_vulgar_gets_none(wn):
    # A vulgar word chosen because each of its WordNet synonyms is itself on the blocklist files.
    word = "wanker"
    raw = lemmas_of(wn, word, "n") - {word}
    entries = blocklist_entries()
    assert raw and all(any(e in {r, r.replace("-", " ")} for e in entries) for r in raw), raw
    text = f"He called the man a {word} yesterday."
    others_off = {**RAW_SETTINGS, "blocklist": True}
    assert replacements(text, sr(**others_off), word) == set()
    assert replacements(text, sr(**RAW_SETTINGS), word) == {r for r in wordnet.synonyms(word)}  # filter off


def test_raw_filters_give_wordnet_as_it_is(wn):
    for word in ("water", "plants", "carbon", "ran", "food", "oxygen", "bigger"):
        assert candidates(word, "", RAW).kept == wordnet.synonyms(word), word


def test_the_issue_s_paragraph_gives_nothing_a_teacher_cannot_show(wn):
    # The photosynthesis paragraph from issue 12, every SR and RI edit over many seeds.
    text = (
        "Plants make their own food through photosynthesis. They use energy from sunlight to turn water and "
        "carbon dioxide into glucose and oxygen. Oxygen is released into the air."
    )
    from better_profanity import profanity  # a list AugLab did not write

    profanity.load_censor_words()
    bad = {
        "piss",
        "wee-wee",
        "constitute",
        "carbon paper",
        "intellectual nourishment",
        "O",
        "phone",
        "scream",
    }
    config = TextAugConfig(operations=("SR", "RI"), alpha_sr=0.3, alpha_ri=0.3)
    new = {e.new for seed in range(60) for v in range(2) for e in augment_text(text, config, seed, 0, v)[1]}
    assert new and not new & bad
    assert not [w for w in new if profanity.contains_profanity(w)]
    raw = TextAugConfig(operations=("SR", "RI"), alpha_sr=0.3, alpha_ri=0.3, **RAW_SETTINGS)
    raw_new = {e.new for seed in range(60) for v in range(2) for e in augment_text(text, raw, seed, 0, v)[1]}
    assert raw_new & bad  # without the filters WordNet does give them


def test_user_blocked_words_are_never_produced(wn):
    text = "The cars were parked outside."
    allowed = replacements(text, sr(), "cars")
    assert "automobiles" in allowed
    assert "automobiles" not in replacements(text, sr(blocked_words=("Automobile",)), "cars")


# ----------------------------------------------------------------------------------- part of speech, form


@pytest.mark.parametrize(
    ("text", "old", "pos", "settings"),
    [
        ("Plants need light and water.", "Plants", "n", {}),  # a plural noun at the start, not "to plant"
        # An irregular past tense after a pronoun; its single-word synonyms are all rare senses of theirs
        # ("escape" means "flee" only in its sixth sense), so phrases are allowed: "ran away", "turned tail".
        ("She ran home quickly.", "ran", "v", {"multiword_sr": True}),
        ("They helped us all night.", "helped", "v", {}),  # a regular past tense
        ("The cars were parked outside.", "cars", "n", {}),  # a plural after "the"
        ("This house is bigger than ours.", "bigger", "a", {}),  # a comparative
    ],
)
def test_replacements_keep_the_part_of_speech_and_the_form(wn, text, old, pos, settings):
    found = replacements(text, sr(**settings), old)
    assert found, old
    key = old.lower()
    base = wn._morphy(key, pos)[0]
    allowed = lemmas_of(wn, base, pos) - {base}
    irregular = exceptions(wn, {"v": "verb.exc", "a": "adj.exc", "n": "noun.exc"}[pos])
    for new in found:
        new_base = next(iter(wn._morphy(new.lower().split()[0], pos)), None) if pos != "n" else None
        if pos == "n":  # a plural noun: its base a noun lemma of the word, plural as the word is
            head = new.lower().split()[-1]
            new_base = next(iter(wn._morphy(head, "n")), None)
            assert " ".join([*new.lower().split()[:-1], new_base]) in allowed, new
            assert new_base != head or head in {"flora", "fauna"}, new  # plural (a mass noun stays)
        elif key != base:  # an inflected verb or adjective stays inflected: -ed / -er or an exception
            assert new_base in {b.split()[0] for b in allowed}, new
            first = new.lower().split()[0]
            assert first != new_base and (first.endswith(("ed", "er")) or (first, new_base) in irregular), new
        assert new[0].isupper() == old[0].isupper()


def test_without_the_part_of_speech_filter_other_parts_come_in(wn):
    text = "Plants need light and water."
    nouns = lemmas_of(wn, "plant", "n")
    assert replacements(text, sr(), "Plants") <= {w.capitalize() for w in nouns} | {
        w.capitalize() + "s" for w in nouns
    }
    loose = replacements(text, sr(pos_filter=False, inflect=False, senses=0, untagged_senses=True), "Plants")
    assert {w.lower() for w in loose} & (lemmas_of(wn, "plant", "v") - nouns)  # "implant", "establish", ...


@pytest.mark.parametrize("senses", [1, 2])  # the first sense only; EDA's default of two
def test_synonyms_come_from_the_first_senses_seen_in_the_corpus(wn, senses):
    text = "We drank the water slowly."
    config = sr(senses=senses, inflect=False, multiword_sr=True)
    synsets = wn.synsets("water", "n")[:senses]
    tagged = [s for s in synsets if any(lem.name() == "water" and lem.count() > 0 for lem in s.lemmas())]
    # ... and the sense is one of the synonym's own first senses too ("body of water" is water's second
    # sense and body of water's first).
    allowed = {
        n.replace("_", " ").lower()
        for s in tagged
        for n in s.lemma_names()
        if s in wn.synsets(n, "n")[:senses]
    }
    found = replacements(text, config, "water")
    assert found or senses == 1
    for new in found:
        assert new.lower() in allowed
    loose = replacements(text, sr(senses=0, untagged_senses=True, inflect=False, multiword_sr=True), "water")
    assert {w.lower() for w in loose} - allowed  # without the filter: rarer senses come in


def test_names_and_symbols_are_left_out(wn):
    text = "Oxygen and carbon are elements."
    raw = replacements(text, sr(**RAW_SETTINGS), "Oxygen") | replacements(text, sr(**RAW_SETTINGS), "carbon")
    assert {"O", "C"} & raw  # WordNet offers the symbols
    filtered = replacements(text, sr(), "Oxygen") | replacements(text, sr(), "carbon")
    assert not [w for w in filtered if len(w) < 2 or re.search(r"[\d]", w) or not w[1:].islower()]


def test_much_rarer_synonyms_are_left_out(wn):
    from wordfreq import zipf_frequency

    text = "They walked quickly to the big house and looked at the old car."
    config = TextAugConfig(operations=("SR",), alpha_sr=1.0, max_rarer=1.0, multiword_sr=True)
    for seed in SEEDS:
        for edit in augment_text(text, config, seed, 0, 0)[1]:
            assert zipf_frequency(edit.new, "en") >= zipf_frequency(edit.old, "en") - 1.0, edit


@pytest.mark.parametrize("op", ["SR", "RI"])  # both leave out several-word synonyms by default
def test_several_word_synonyms_only_when_asked(wn, op):
    text = "The car broke down near the coffee shop and the water boiled."
    config = TextAugConfig(operations=(op,), alpha_sr=1.0, alpha_ri=1.0)
    assert not [e.new for s in SEEDS for e in augment_text(text, config, s, 0, 0)[1] if " " in e.new]
    on = TextAugConfig(operations=(op,), alpha_sr=1.0, alpha_ri=1.0, multiword_sr=True, multiword_ri=True)
    assert [e.new for s in SEEDS for e in augment_text(text, on, s, 0, 0)[1] if " " in e.new]


# ----------------------------------------------------------------------------------- tooltips


def test_tooltip_says_what_was_left_out_and_why(wn):
    text = "They poured the water."
    notes = {
        seg.note
        for seed in SEEDS
        for seg in augment_text_detailed(text, sr(multiword_sr=True), seed, 0, 0).segments
        if seg.op == "SR" and seg.note.startswith("synonym replacement: water")
    }
    assert notes
    note = next(iter(notes))
    assert note.startswith("synonym replacement: water → ") and "read as a noun (NN)" in note
    assert "piss (on the blocklist)" in note and "H2O (a name, symbol or abbreviation)" in note
    assert "irrigate (another part of speech)" in note


def test_filters_settings_are_separate_per_operation():
    config = TextAugConfig(multiword_sr=True, multiword_ri=False, blocked_words=("Foo",))
    assert config.synonym_filters("SR") == SynonymFilters(multiword=True, blocked=("foo",))
    assert config.synonym_filters("RI") == SynonymFilters(multiword=False, blocked=("foo",))
