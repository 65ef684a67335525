"""What a text augmentation does: the operations' names, :class:`TextAugConfig` and EDA's presets.

The configuration is the part of a text augmentation a user saves and loads (JSON); it carries no seed.
Formats:

- ``auglab.text_aug/2`` (this version): the synonym filters (on by default), the noise operations (off
  by default), and variants drawn by :mod:`core.augment.text.engine`.
- ``auglab.text_aug/1`` (AugLab 0.2): read with every synonym filter off and ``legacy_draws`` on, so
  that it rebuilds exactly the variants it made then (:mod:`core.augment.text.legacy`). Written back,
  it is a ``/2`` file with those settings, and still rebuilds them.

A mapping without a format tag is read as the current format.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from functools import cached_property
from typing import Any

from core.augment.text.filters import SynonymFilters
from core.config import check_bool, check_float, check_int, from_mapping, parse_json
from core.errors import ConfigError

OPERATIONS = ("SR", "RI", "RS", "RD", "PI", "KB", "OCR", "CI", "CS", "CW", "CD", "SPL", "SPE")  # applied so
OPERATION_NAMES = {
    "SR": "synonym replacement",
    "RI": "random insertion",
    "RS": "random swap",
    "RD": "random deletion",
    "PI": "punctuation insertion",
    "KB": "keyboard typo",
    "OCR": "OCR error",
    "CI": "character insertion",
    "CS": "character substitution",
    "CW": "character swap",
    "CD": "character deletion",
    "SPL": "word split",
    "SPE": "spelling error",
}
EDA_OPERATIONS = ("SR", "RI", "RS", "RD", "PI")  # EDA's four and AEDA's: the only ones of legacy_draws
NOISE_OPERATIONS = ("KB", "OCR", "CI", "CS", "CW", "CD", "SPL", "SPE")  # nlpaug's character and word noise
WORDNET_OPERATIONS = frozenset({"SR", "RI"})  # the operations that need WordNet's synonyms
PUNCTUATION = (".", ";", "?", ":", "!", ",")  # AEDA's marks
CONFIG_FORMAT = "auglab.text_aug/2"
V1_FORMAT = "auglab.text_aug/1"
# What an auglab.text_aug/1 file means in this version: its keys, every synonym filter off (synonyms as
# WordNet gives them), its draws.
V1_SETTINGS = {
    "pos_filter": False,
    "senses": 0,
    "untagged_senses": True,
    "inflect": False,
    "rarity_filter": False,
    "names_filter": False,
    "blocklist": False,
    "multiword_sr": True,
    "multiword_ri": True,
    "legacy_draws": True,
}


def _check_words(name: str, value: Any, what: str) -> tuple[str, ...]:
    """A list or tuple of strings (a lone string is refused: it would read as its letters)."""
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ConfigError(f"{name} must be {what}, got {value!r}.")
    if not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{name} must be {what}, got {value!r}.")
    return tuple(value)


@dataclass(frozen=True)
class TextAugConfig:
    """An EDA/AEDA augmentation of text; see :mod:`core.augment.text` for each operation."""

    alpha_sr: float = 0.1  # fraction of words replaced by a synonym
    alpha_ri: float = 0.1  # fraction of words' worth of synonyms inserted
    alpha_rs: float = 0.1  # fraction of words' worth of swaps
    p_rd: float = 0.1  # probability that each word is deleted
    punct_ratio: float = 0.3  # AEDA: up to this fraction of words' worth of marks inserted
    n_aug: int = 4  # variants per example
    operations: tuple[str, ...] = ("SR", "RI", "RS", "RD")  # which operations, from OPERATIONS
    combine: bool = False  # False: one operation per variant (EDA); True: all, in order
    protected_words: tuple[str, ...] = ()  # never edited by any operation (case-insensitive)
    protect_stop_words: bool = True  # keep SR and RI off English stop words
    # The noise operations (KB, OCR, CI, CS, CW, CD, SPL, SPE): how many words, how many characters.
    alpha_noise: float = 0.1  # fraction of words each noise operation changes (at least one)
    chars_per_word: int = 1  # a character operation changes 1 .. this many characters of a word
    # The synonym filters of SR and RI (core.augment.text.filters); each can be turned off.
    pos_filter: bool = True  # only the part of speech the word most likely has here
    senses: int = 2  # only the word's first N senses, most frequent first; 0: every sense
    untagged_senses: bool = False  # also senses never seen in WordNet's sense-tagged corpus
    inflect: bool = True  # the synonym takes the word's form ("cars" -> "automobiles")
    rarity_filter: bool = True  # leave out synonyms much rarer than the word ...
    max_rarer: float = 1.5  # ... by more than this many zipf units (1 unit: 10 times rarer)
    names_filter: bool = True  # leave out one-letter words, numbers, abbreviations and names
    blocklist: bool = True  # never an offensive or vulgar word (the shipped lists) ...
    blocked_words: tuple[str, ...] = ()  # ... nor one of these (case-insensitive)
    multiword_sr: bool = False  # SR may use synonyms of several words ("body of water")
    multiword_ri: bool = False  # RI may insert them
    legacy_draws: bool = False  # draw as auglab.text_aug/1 did (set when such a file is read)

    def __post_init__(self) -> None:
        for name in ("alpha_sr", "alpha_ri", "alpha_rs", "p_rd", "punct_ratio", "alpha_noise"):
            object.__setattr__(self, name, check_float(name, getattr(self, name), 0.0, 1.0))
        object.__setattr__(self, "n_aug", check_int("n_aug", self.n_aug, 1, 64))
        object.__setattr__(self, "chars_per_word", check_int("chars_per_word", self.chars_per_word, 1, 10))
        object.__setattr__(self, "senses", check_int("senses", self.senses, 0, 100))
        object.__setattr__(self, "max_rarer", check_float("max_rarer", self.max_rarer, 0.0, 8.0))
        for name in (
            "combine", "protect_stop_words", "pos_filter", "untagged_senses", "inflect", "rarity_filter",
            "names_filter", "blocklist", "multiword_sr", "multiword_ri", "legacy_draws",
        ):  # fmt: skip
            check_bool(name, getattr(self, name))
        ops = _check_words("operations", self.operations, f"a list drawn from {', '.join(OPERATIONS)}")
        unknown = sorted(set(ops) - set(OPERATIONS))
        if unknown:
            raise ConfigError(
                f"Unknown operation(s) {', '.join(unknown)}; choose from {', '.join(OPERATIONS)}."
            )
        if not ops:
            raise ConfigError("Choose at least one operation.")
        object.__setattr__(self, "operations", tuple(o for o in OPERATIONS if o in ops))
        for name in ("protected_words", "blocked_words"):
            words = _check_words(name, getattr(self, name), "a list of words")
            object.__setattr__(self, name, tuple(sorted({w.strip().lower() for w in words if w.strip()})))
        if self.legacy_draws:
            self._check_legacy()

    def _check_legacy(self) -> None:
        """legacy_draws replays auglab.text_aug/1: its five operations, synonyms as WordNet gives them."""
        new_ops = [op for op in self.operations if op not in EDA_OPERATIONS]
        if new_ops:
            raise ConfigError(
                f"legacy_draws (an auglab.text_aug/1 configuration) knows only {', '.join(EDA_OPERATIONS)}, "
                f"not {', '.join(new_ops)}: turn legacy_draws off to use them."
            )
        on = [
            name
            for name, value in V1_SETTINGS.items()
            if name != "legacy_draws" and getattr(self, name) != value
        ]
        if on or self.blocked_words:
            raise ConfigError(
                "legacy_draws (an auglab.text_aug/1 configuration) takes synonyms as WordNet gives them: "
                f"turn legacy_draws off to use the synonym filters ({', '.join(on or ['blocked_words'])})."
            )

    def __hash__(self) -> int:  # computed once: engines key their caches by the configuration
        return self._hash

    @cached_property
    def _hash(self) -> int:
        return hash(tuple(getattr(self, f.name) for f in fields(self)))

    def synonym_filters(self, op: str) -> SynonymFilters:
        """The filters SR (``op="SR"``) or RI (``"RI"``) applies to a word's synonyms."""
        return self._filters[op]

    @cached_property
    def _filters(self) -> dict[str, SynonymFilters]:
        return {op: self._make_filters(op) for op in ("SR", "RI")}

    def _make_filters(self, op: str) -> SynonymFilters:
        return SynonymFilters(
            pos=self.pos_filter,
            senses=self.senses,
            untagged=self.untagged_senses,
            inflect=self.inflect,
            max_rarer=self.max_rarer if self.rarity_filter else None,
            names=self.names_filter,
            blocklist=self.blocklist,
            blocked=self.blocked_words if self.blocklist else (),
            multiword=self.multiword_sr if op == "SR" else self.multiword_ri,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, with the format tag first."""
        data = asdict(self)
        data["operations"] = list(self.operations)
        data["protected_words"] = list(self.protected_words)
        data["blocked_words"] = list(self.blocked_words)
        return {"format": CONFIG_FORMAT, **data}

    def to_json(self) -> str:
        """The configuration as indented JSON; :meth:`from_json` reads it back."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Any) -> TextAugConfig:
        """Build a configuration from a mapping; keys left out take their defaults.

        An ``auglab.text_aug/1`` mapping (AugLab 0.2) is read with every synonym filter off and
        ``legacy_draws`` on, so it rebuilds the variants it made then; it may hold only the keys of
        that version.

        Raises:
            ConfigError: Unknown keys, another format tag, or values out of range.
        """
        if isinstance(data, dict) and data.get("format") == V1_FORMAT:
            data = {key: value for key, value in data.items() if key != "format"}
            newer = sorted(map(str, set(data) & (set(V1_SETTINGS) | set(_V2_ONLY))))
            if newer:
                raise ConfigError(
                    f"Setting(s) {', '.join(newer)} are not part of an {V1_FORMAT} configuration; "
                    f"write the file as {CONFIG_FORMAT}."
                )
            data = {"format": CONFIG_FORMAT, **data, **V1_SETTINGS}
        return from_mapping(cls, data, "text augmentation configuration", CONFIG_FORMAT)

    @classmethod
    def from_json(cls, text: str) -> TextAugConfig:
        """Parse :meth:`to_json` output (or a hand-written subset of it).

        Raises:
            ConfigError: The text is not JSON or not a valid configuration.
        """
        return cls.from_dict(parse_json(text, "configuration"))


_V2_ONLY = ("alpha_noise", "chars_per_word", "max_rarer", "blocked_words")  # besides V1_SETTINGS


def variant_operations(config: TextAugConfig, variant: int) -> tuple[str, ...]:
    """The operations variant ``variant`` applies: all (``combine``) or the ``variant % k``-th."""
    ops = config.operations
    return ops if config.combine else (ops[variant % len(ops)],)


# EDA's recommended settings by training-set size (Wei & Zou 2019, table 3): (examples, alpha, n_aug).
EDA_TABLE = ((500, 0.05, 16), (2000, 0.05, 8), (5000, 0.1, 4))


def eda_preset(examples: int, base: TextAugConfig | None = None) -> TextAugConfig:
    """EDA's recommended alpha and number of variants for a training set of ``examples`` items.

    The row for the largest size not above ``examples`` (the first row below 500): alpha for SR, RI
    and RS and as ``p_rd``; other settings from ``base``.
    """
    _, alpha, n_aug = EDA_TABLE[0]
    for size, row_alpha, row_n in EDA_TABLE:
        if examples >= size:
            alpha, n_aug = row_alpha, row_n
    base = base or TextAugConfig()
    values = {f.name: getattr(base, f.name) for f in fields(TextAugConfig)}
    values.update(alpha_sr=alpha, alpha_ri=alpha, alpha_rs=alpha, p_rd=alpha, n_aug=n_aug)
    return TextAugConfig(**values)
