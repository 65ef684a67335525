"""WordNet 3.0 through NLTK's corpus reader: set-up, lazy loading, and cached synonym lookups.

Set-up (``python -m core wordnet install``, run by ``make run`` and ``make test``) puts WordNet in
``nltk_data/corpora/wordnet`` beside ``core/``, a folder this module adds to NLTK's search path:

1. with NLTK's downloader, where the network allows (a short time limit: offline machines must not hang);
2. otherwise from Debian's ``wordnet-base`` and ``wordnet-sense-index`` packages (``/usr/share/wordnet``),
   copied file by file (NLTK 3.9+ refuses links that point outside its data folders) and completed with
   the 45-line ``lexnames`` table those packages lack, as WordNet documents it in lexnames(5WN).

WordNet loads once per process, on first use, under a lock (Streamlit serves sessions as threads).
Synonym lookups use the reader's lemma index and morphology, then read just the lemma names of each
synset from the data files' bytes at the synset's offset: the same answer as building NLTK ``Synset``
objects (``tests/augment/test_wordnet.py`` checks it against them), at a small fraction of the cost.

For the synonym filters of :mod:`core.augment.text.synonyms` this module also reads, on first use,
``index.sense`` (each sense's tag count: how often the sense was seen in WordNet's sense-tagged corpus;
a lemma's senses are listed most frequent first), and the members of a usage domain such as
"obscenity" (the ``-u`` pointers of the domain's synset).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from core.errors import AugLabError

DATA_DIR = Path(__file__).resolve().parents[2] / "nltk_data"
CORPUS_DIR = DATA_DIR / "corpora" / "wordnet"
DEBIAN_DIR = Path("/usr/share/wordnet")
DOWNLOAD_TIMEOUT_S = 20

HOW_TO_GET = (
    "WordNet is not installed. Run `make run` (or `.venv/bin/python -m core wordnet install`); offline, "
    "first `apt-get install wordnet-base wordnet-sense-index` (Debian/Ubuntu). Swap, deletion and "
    "punctuation insertion work without it."
)

# lexnames(5WN): file number, lexicographer file, syntactic category (1 noun, 2 verb, 3 adj, 4 adv).
LEXNAMES = [
    "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact",
    "noun.attribute", "noun.body", "noun.cognition", "noun.communication", "noun.event", "noun.feeling",
    "noun.food", "noun.group", "noun.location", "noun.motive", "noun.object", "noun.person",
    "noun.phenomenon", "noun.plant", "noun.possession", "noun.process", "noun.quantity", "noun.relation",
    "noun.shape", "noun.state", "noun.substance", "noun.time", "verb.body", "verb.change",
    "verb.cognition", "verb.communication", "verb.competition", "verb.consumption", "verb.contact",
    "verb.creation", "verb.emotion", "verb.motion", "verb.perception", "verb.possession", "verb.social",
    "verb.stative", "verb.weather", "adj.ppl",
]  # fmt: skip
_CATEGORY = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}

# The files NLTK's WordNetCorpusReader opens, besides lexnames.
_REQUIRED = [f"{kind}.{pos}" for kind in ("index", "data") for pos in ("noun", "verb", "adj", "adv")] + [
    f"{pos}.exc" for pos in ("noun", "verb", "adj", "adv")
]


class WordNetMissing(AugLabError):
    """WordNet could not be found or loaded; the message says how to get it."""


def lexnames_text() -> str:
    """The ``lexnames`` file: one ``NN<TAB>name<TAB>category`` line per lexicographer file."""
    return "".join(f"{i:02d}\t{name}\t{_CATEGORY[name.split('.')[0]]}\n" for i, name in enumerate(LEXNAMES))


def _use_data_dir() -> None:
    import nltk

    if str(DATA_DIR) not in nltk.data.path:
        nltk.data.path.insert(0, str(DATA_DIR))


def is_installed() -> bool:
    """Whether ``nltk_data/corpora/wordnet`` (or NLTK's own zip of it) holds a complete WordNet."""
    if (DATA_DIR / "corpora" / "wordnet.zip").is_file():
        return True
    return all((CORPUS_DIR / name).is_file() for name in [*_REQUIRED, "lexnames"])


def download(timeout_s: float = DOWNLOAD_TIMEOUT_S) -> bool:
    """Try NLTK's downloader in a child process that cannot outlive ``timeout_s``."""
    fetch = f"nltk.download('wordnet', download_dir={str(DATA_DIR)!r}, quiet=True)"
    code = f"import nltk, sys; sys.exit(0 if {fetch} else 1)"
    try:
        done = subprocess.run([sys.executable, "-c", code], timeout=timeout_s, capture_output=True)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0 and is_installed()


def install_from_debian(source: Path = DEBIAN_DIR) -> bool:
    """Copy Debian's WordNet files into ``nltk_data`` and write ``lexnames``; False if they are absent."""
    if not all((source / name).is_file() for name in _REQUIRED):
        return False
    CORPUS_DIR.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.iterdir()):
        if path.is_file():
            shutil.copyfile(path, CORPUS_DIR / path.name)  # real copies: NLTK refuses outside links
    (CORPUS_DIR / "lexnames").write_text(lexnames_text())
    return True


_lock = threading.Lock()
_reader: Any = None
_data: dict[str, bytes] = {}  # part of speech -> bytes of its data file (offsets are byte offsets)
_sense_index: list[bytes] = []  # index.sense's bytes once read (sorted by sense key, bytewise)
_POS_FILES = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
POS = tuple(_POS_FILES)  # WordNet's parts of speech: noun, verb, adjective (satellites too), adverb
_SS_TYPE = {b"1": "n", b"2": "v", b"3": "a", b"4": "r", b"5": "a"}  # sense key digit -> pos (5: satellite)
_MARKER = re.compile(r"\(.*\)$")  # an adjective's syntactic marker, e.g. galore(ip)


def reader() -> Any:
    """NLTK's WordNet reader, loaded once per process.

    Raises:
        WordNetMissing: WordNet is not installed where NLTK looks.
    """
    global _reader
    if _reader is None:
        with _lock:
            if _reader is None:
                _use_data_dir()
                from nltk.corpus import wordnet

                try:
                    wordnet.ensure_loaded()
                    for pos, name in _POS_FILES.items():
                        with wordnet.root.join(f"data.{name}").open() as stream:
                            _data[pos] = stream.read()
                except LookupError:
                    raise WordNetMissing(HOW_TO_GET) from None
                _reader = wordnet
    return _reader


def available() -> bool:
    """Whether WordNet can be loaded (loads it if so)."""
    try:
        reader()
    except WordNetMissing:
        return False
    return True


def _lemma_names(pos: str, offset: int) -> list[str]:
    """Lemma names of the synset at byte ``offset`` of a data file (wndb(5WN): the word count is hex)."""
    data = _data[pos]
    fields = data[offset : data.index(b"\n", offset)].split(b" ")
    count = int(fields[3], 16)
    return [_MARKER.sub("", name.decode()) for name in fields[4 : 4 + 2 * count : 2]]


@lru_cache(maxsize=262_144)
def synonyms(word: str) -> tuple[str, ...]:
    """WordNet synonyms of ``word``, sorted, multi-word ones written with spaces.

    All synsets of the word (any part of speech, found through WordNet's morphology as NLTK's
    ``wordnet.synsets`` finds them, so "dogs" finds "dog") contribute their lemma names. The word
    itself, its case variants and its base forms are left out, so a replacement always changes the
    word. Sorted, so the result never depends on hash order.

    Raises:
        WordNetMissing: WordNet is not installed.
    """
    wn = reader()
    key = word.lower()
    same = {key}
    found = set()
    index = wn._lemma_pos_offset_map  # a defaultdict: .get() so that lookups never add entries
    for pos in _POS_FILES:
        for form in wn._morphy(key, pos):
            same.add(form)
            for offset in index.get(form, {}).get(pos, ()):
                found.update(_lemma_names(pos, offset))
    return tuple(
        sorted(name.replace("_", " ") for name in found if name.lower().replace("_", " ") not in same)
    )


def base_forms(word: str, pos: str) -> tuple[str, ...]:
    """WordNet's base forms of ``word`` (lower case) as part of speech ``pos`` ("n", "v", "a", "r"):
    the lemmas its morphology (exception lists, then suffix rules) finds in the index, as NLTK's
    ``wordnet.synsets`` finds them; empty when the word is not in WordNet as that part of speech."""
    return tuple(reader()._morphy(word, pos))


def lemma_names(pos: str, offset: int) -> list[str]:
    """The lemma names of the synset at ``offset`` of part of speech ``pos``, as WordNet writes them
    (underscores between words, capitals kept)."""
    reader()
    return _lemma_names(pos, offset)


def _sense_bytes() -> bytes:
    if not _sense_index:
        with _lock:
            if not _sense_index:
                with reader().root.join("index.sense").open() as stream:
                    _sense_index.append(stream.read())
    return _sense_index[0]


def _first_line_at_or_after(data: bytes, key: bytes) -> int:
    """Byte offset of the first line of ``data`` (sorted lines) that is >= ``key``; len(data) if none."""
    low, high = 0, len(data)
    while (
        low < high
    ):  # invariant: lines starting before `low` are < key; the answer starts at or before `high`
        mid = (low + high) // 2
        start = data.rfind(b"\n", 0, mid) + 1
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        if data[start:end] < key:
            low = end + 1
        else:
            high = start
    return low


@lru_cache(maxsize=65_536)
def sense_counts(lemma: str) -> dict[tuple[str, int], int]:
    """Tag counts of every sense of ``lemma`` (lower case, underscores between words), by
    ``(part of speech, synset offset)``, read from ``index.sense`` (senses never tagged count 0).

    Raises:
        WordNetMissing: WordNet is not installed.
    """
    data = _sense_bytes()
    prefix = lemma.encode("utf-8", "replace") + b"%"
    at = _first_line_at_or_after(data, prefix)
    counts: dict[tuple[str, int], int] = {}
    while at < len(data) and data.startswith(prefix, at):
        end = data.find(b"\n", at)
        end = len(data) if end < 0 else end
        key, offset, _number, count = data[at:end].split(b" ")
        pos = _SS_TYPE[key[len(prefix) : len(prefix) + 1]]
        counts[pos, int(offset)] = int(count)
        at = end + 1
    return counts


def senses(lemma: str, pos: str) -> tuple[tuple[int, int], ...]:
    """The senses of ``lemma`` as part of speech ``pos``, most frequent first (WordNet's order):
    ``(synset offset, tag count)`` pairs; empty when the lemma has no such sense."""
    offsets = reader()._lemma_pos_offset_map.get(lemma, {}).get(pos, ())
    if not offsets:
        return ()
    counts = sense_counts(lemma)
    return tuple((offset, counts.get((pos, offset), 0)) for offset in offsets)


def usage_domain_synsets(domains: tuple[str, ...]) -> frozenset[tuple[str, int]]:
    """``(part of speech, offset)`` of every synset WordNet files under one of the usage ``domains``
    (synset names such as ``"obscenity.n.02"``): the ``-u`` pointers of each domain's synset. A sense,
    not a word: "boy" is filed under disparagement in one sense only."""
    wn = reader()
    found: set[tuple[str, int]] = set()
    for name in domains:
        for member in wn.synset(name).in_usage_domains():
            pos = "a" if member.pos() == "s" else member.pos()
            found.add((pos, member.offset()))
    return frozenset(found)
