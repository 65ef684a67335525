"""What a text augmentation does: the operations' names, :class:`TextAugConfig` and EDA's presets.

The configuration is the part of a text augmentation a user saves and loads (``auglab.text_aug/1``
JSON); it carries no seed, so it means the same in every AugLab version. How the operations edit a
text is in :mod:`core.augment.text.operations`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from core.config import check_bool, check_float, check_int, from_mapping, parse_json
from core.errors import ConfigError

OPERATIONS = ("SR", "RI", "RS", "RD", "PI")  # the canonical order: combined variants apply them so
OPERATION_NAMES = {
    "SR": "synonym replacement",
    "RI": "random insertion",
    "RS": "random swap",
    "RD": "random deletion",
    "PI": "punctuation insertion",
}
WORDNET_OPERATIONS = frozenset({"SR", "RI"})  # the operations that need WordNet's synonyms
PUNCTUATION = (".", ";", "?", ":", "!", ",")  # AEDA's marks
# Still version 1: a configuration carries no seed and its settings mean what they meant. (The variants
# of a given seed changed when text moved to core.seeding; recipes, which carry the seed, say so.)
CONFIG_FORMAT = "auglab.text_aug/1"


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

    def __post_init__(self) -> None:
        for name in ("alpha_sr", "alpha_ri", "alpha_rs", "p_rd", "punct_ratio"):
            object.__setattr__(self, name, check_float(name, getattr(self, name), 0.0, 1.0))
        object.__setattr__(self, "n_aug", check_int("n_aug", self.n_aug, 1, 64))
        check_bool("combine", self.combine)
        check_bool("protect_stop_words", self.protect_stop_words)
        ops = _check_words("operations", self.operations, f"a list drawn from {', '.join(OPERATIONS)}")
        unknown = sorted(set(ops) - set(OPERATIONS))
        if unknown:
            raise ConfigError(
                f"Unknown operation(s) {', '.join(unknown)}; choose from {', '.join(OPERATIONS)}."
            )
        if not ops:
            raise ConfigError("Choose at least one operation.")
        object.__setattr__(self, "operations", tuple(o for o in OPERATIONS if o in ops))
        words = _check_words("protected_words", self.protected_words, "a list of words")
        object.__setattr__(
            self, "protected_words", tuple(sorted({w.strip().lower() for w in words if w.strip()}))
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, with the format tag first."""
        data = asdict(self)
        data["operations"] = list(self.operations)
        data["protected_words"] = list(self.protected_words)
        return {"format": CONFIG_FORMAT, **data}

    def to_json(self) -> str:
        """The configuration as indented JSON; :meth:`from_json` reads it back."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Any) -> TextAugConfig:
        """Build a configuration from a mapping; keys left out take their defaults.

        Raises:
            ConfigError: Unknown keys, another format tag, or values out of range.
        """
        return from_mapping(cls, data, "text augmentation configuration", CONFIG_FORMAT)

    @classmethod
    def from_json(cls, text: str) -> TextAugConfig:
        """Parse :meth:`to_json` output (or a hand-written subset of it).

        Raises:
            ConfigError: The text is not JSON or not a valid configuration.
        """
        return cls.from_dict(parse_json(text, "configuration"))


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
