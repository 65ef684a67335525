"""Tests for core.augment.wordnet: the lexnames table, installing from Debian's files, synonyms, errors, CLI.

The lexnames table is checked against WordNet's own manual page (lexnames(5WN)) where it is installed,
and against the lexicographer file numbers WordNet's data files use; synonyms against NLTK's WordNet
queried directly.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from core.augment import wordnet

REPO = Path(__file__).resolve().parents[2]
MAN_PAGE = Path("/usr/share/man/man5/lexnames.5WN.gz")
CATEGORY = {"noun": "1", "verb": "2", "adj": "3", "adv": "4"}  # lexnames(5WN): syntactic category


def lexnames_rows() -> list[tuple[str, str, str]]:
    lines = wordnet.lexnames_text().splitlines(keepends=True)
    assert all(line.endswith("\n") for line in lines)
    return [tuple(line.rstrip("\n").split("\t")) for line in lines]


# ----------------------------------------------------------------------------------- lexnames


def test_lexnames_has_45_numbered_rows_with_their_category():
    rows = lexnames_rows()
    assert len(rows) == 45
    for number, (nn, name, category) in enumerate(rows):
        assert nn == f"{number:02d}"
        assert re.fullmatch(r"(noun|verb|adj|adv)\.[A-Za-z]+", name)
        assert category == CATEGORY[name.split(".")[0]]


@pytest.mark.skipif(not MAN_PAGE.is_file(), reason="WordNet's lexnames(5WN) manual page is not installed")
def test_lexnames_matches_the_manual_page():
    page = gzip.decompress(MAN_PAGE.read_bytes()).decode("latin-1")
    table = page[page.index(".TS") : page.index(".TE")]
    documented = re.findall(r"^(\d\d)\t *(\S+) *\t", table, flags=re.M)  # "noun.person  " has spaces
    assert len(documented) == 45
    assert [(nn, name) for nn, name, _ in lexnames_rows()] == documented


# The lexicographer file of a few well-known synsets, as WordNet 3.0 files them.
@pytest.mark.parametrize(
    ("synset", "lexname"),
    [
        ("dog.n.01", "noun.animal"),  # an animal
        ("car.n.01", "noun.artifact"),  # a made thing
        ("apple.n.01", "noun.food"),  # food
        ("entity.n.01", "noun.Tops"),  # the top of the noun hierarchy
        ("eat.v.01", "verb.consumption"),  # eating
        ("rain.v.01", "verb.weather"),  # weather
        ("think.v.01", "verb.cognition"),  # thinking
        ("quick.a.01", "adj.all"),  # a head adjective
        ("quickly.r.01", "adv.all"),  # an adverb
    ],
)
def test_nltk_reads_lexnames(wn, synset, lexname):
    assert wn.synset(synset).lexname() == lexname


@pytest.mark.parametrize(
    ("pos", "prefix"),
    [
        ("noun", "noun."),  # data.noun uses noun files only
        ("verb", "verb."),  # data.verb uses verb files only
        ("adj", "adj."),  # data.adj: adj.all, adj.pert, adj.ppl
        ("adv", "adv."),  # data.adv: adv.all
    ],
)
def test_lexnames_agrees_with_the_data_files(wn, pos, prefix):
    # Each synset line of data.POS gives its lexicographer file number as the second field.
    names = [name for _, name, _ in lexnames_rows()]
    data = wordnet.CORPUS_DIR / f"data.{pos}"
    if not data.is_file():
        pytest.skip("WordNet is installed as NLTK's zip, not as loose files")
    used = set()
    with data.open(encoding="latin-1") as lines:
        for line in lines:
            if not line.startswith("  "):  # the licence header lines start with two spaces
                used.add(int(line.split(" ", 2)[1]))
    assert used
    assert all(names[number].startswith(prefix) for number in used)


# ----------------------------------------------------------------------------------- install


def make_source(folder: Path, *, leave_out: str | None = None) -> dict[str, bytes]:
    """A small fake Debian folder: every required file, one of them a link, and a subfolder."""
    folder.mkdir(parents=True)
    elsewhere = folder.parent / "elsewhere.txt"
    elsewhere.write_bytes(b"linked content\n")
    names = [f"{k}.{p}" for k in ("index", "data") for p in ("noun", "verb", "adj", "adv")]
    names += [f"{p}.exc" for p in ("noun", "verb", "adj", "adv")] + ["cntlist"]
    contents = {}
    for name in names:
        if name == leave_out:
            continue
        if name == "index.adv":
            (folder / name).symlink_to(elsewhere)
            contents[name] = elsewhere.read_bytes()
        else:
            contents[name] = f"contents of {name}\n".encode()
            (folder / name).write_bytes(contents[name])
    (folder / "bin").mkdir()
    (folder / "bin" / "wn").write_bytes(b"not copied")
    return contents


@pytest.fixture
def corpus_dir(tmp_path, monkeypatch):
    target = tmp_path / "nltk_data" / "corpora" / "wordnet"
    monkeypatch.setattr(wordnet, "CORPUS_DIR", target)
    return target


def test_install_from_debian_copies_real_files(tmp_path, corpus_dir):
    contents = make_source(tmp_path / "debian")
    assert wordnet.install_from_debian(tmp_path / "debian") is True
    for name, data in contents.items():
        copy = corpus_dir / name
        assert copy.is_file() and not copy.is_symlink()
        assert copy.read_bytes() == data
    assert not (corpus_dir / "bin").exists()  # folders are not copied
    assert (corpus_dir / "lexnames").read_text() == wordnet.lexnames_text()


@pytest.mark.skipif(
    not (wordnet.DEBIAN_DIR / "data.noun").is_file(), reason="Debian's wordnet-base is absent"
)
def test_install_from_the_real_debian_folder(corpus_dir):
    assert wordnet.install_from_debian() is True
    for source in wordnet.DEBIAN_DIR.iterdir():
        if source.is_file():
            copy = corpus_dir / source.name
            assert not copy.is_symlink()
            assert copy.stat().st_size == source.stat().st_size
    assert (corpus_dir / "data.noun").read_bytes() == (wordnet.DEBIAN_DIR / "data.noun").read_bytes()
    assert len((corpus_dir / "lexnames").read_text().splitlines()) == 45


@pytest.mark.parametrize(
    "source",
    [
        "missing",  # the folder does not exist
        "incomplete",  # data.verb is missing
        "empty",  # an empty folder
    ],
)
def test_install_from_debian_without_the_files(tmp_path, corpus_dir, source):
    folder = tmp_path / source
    if source == "incomplete":
        make_source(folder, leave_out="data.verb")
    elif source == "empty":
        folder.mkdir()
    assert wordnet.install_from_debian(folder) is False
    assert not corpus_dir.exists()


# ----------------------------------------------------------------------------------- synonyms


def base_forms(wn, word: str) -> set[str]:
    """Every base form WordNet's morphology finds for ``word``, in any part of speech."""
    key = word.lower()
    return {key} | {form.lower() for pos in "nvar" for form in wn._morphy(key, pos)}


@pytest.mark.parametrize(
    "word",
    [
        "dogs",  # plural noun: no "dog"
        "Dog",  # capitalised: no "dog" or "Dog"
        "QUICK",  # ALL CAPS adjective
        "ran",  # irregular past tense: no "run"
        "leaves",  # plural of "leaf" and third person of "leave"
        "car",  # multi-word synonyms ("railway car")
        "United",  # part of proper names
        "saw",  # noun and verb "saw", and the past of "see": no "see"
        "found",  # the verb "found", and the past of "find": no "find"
        "better",  # comparative of "good" and "well": neither
        "axes",  # plural of "ax", "axe" and "axis"
    ],
)
def test_synonyms_leave_out_the_word_and_its_base_forms(wn, word):
    found = wordnet.synonyms(word)
    assert found, word
    assert list(found) == sorted(found)
    assert len(set(found)) == len(found)
    assert all("_" not in s for s in found)
    expected = {name.replace("_", " ") for s in wn.synsets(word.lower()) for name in s.lemma_names()}
    assert set(found) <= expected  # every one is a lemma of a synset of the word
    assert not {s.lower() for s in found} & base_forms(wn, word)
    # ... and none is missing, apart from those.
    assert {s for s in expected if s.lower() not in base_forms(wn, word)} <= set(found)


@pytest.mark.parametrize(
    ("word", "absent", "present"),
    [
        ("dogs", {"dog", "dogs"}, {"domestic dog", "Canis familiaris"}),  # spaces, capitals kept
        ("car", {"car"}, {"automobile", "railway car"}),  # a two-word synonym
        ("quick", {"quick"}, {"speedy"}),  # an adjective
    ],
)
def test_synonyms_known_words(wn, word, absent, present):
    found = set(wordnet.synonyms(word))
    assert not found & absent
    assert present <= found


@pytest.mark.parametrize(
    "word",
    [
        "",  # nothing
        "xyzzyplugh",  # not English
        "3.5",  # a number
        "日本語",  # another script
    ],
)
def test_synonyms_of_unknown_words_are_empty(wn, word):
    assert wordnet.synonyms(word) == ()


# ----------------------------------------------------------------------------------- errors, CLI


def test_missing_wordnet_says_how_to_get_it(tmp_path):
    # A fresh process whose NLTK looks only in an empty folder.
    code = f"""
import nltk
from pathlib import Path
from core.augment import wordnet
wordnet.DATA_DIR = Path({str(tmp_path)!r})
nltk.data.path[:] = []
print(wordnet.available())
try:
    wordnet.synonyms("dog")
except wordnet.WordNetMissing as exc:
    print(exc)
"""
    env = {**os.environ, "PYTHONPATH": str(REPO), "NLTK_DATA": str(tmp_path), "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    first, message = done.stdout.split("\n", 1)
    assert first == "False"
    assert "`make run`" in message and "apt-get install" in message
    assert message.strip() == wordnet.HOW_TO_GET


def test_cli_wordnet_status(wn):
    done = subprocess.run(
        [sys.executable, "-m", "core", "wordnet", "status"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok")
