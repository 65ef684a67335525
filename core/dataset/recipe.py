"""The export recipe: what the user takes away, as a validated, JSON round-tripping configuration.

A :class:`Recipe` names the originals (built-in sample names or file paths, resolved by
:mod:`core.data.sources`), the augmentation, how many augmented variants and synthetic samples to blend
in, balancing, a size cap and the split fractions; each :class:`SyntheticSource` is one generator
call that filled the synthetic pool, which ``python -m core export`` repeats.

Format versions (the ``"format"`` line of ``recipe.json``):

- ``auglab.recipe/3`` (this version): as version 2, with the image and text operations added since
  (each off by default), the text synonym filters, and MixUp / CutMix of augmented train images
  (``mixing``, off by default).
- ``auglab.recipe/2``: read as before. Its new settings take their defaults, which are off, and a text
  augmentation that names no format of its own is read as ``auglab.text_aug/1`` (the synonyms as
  WordNet gives them), so the archive it rebuilds is the one version 2 made.
- The split of versions 2 and 3 is drawn by :func:`core.data.split.stratified_split` from
  :mod:`core.seeding`'s streams, and the archive's CSV cells are neutralised for spreadsheets
  (see :mod:`core.dataset.csv_cells`).
- ``auglab.recipe/1``: made by an older AugLab, whose split and variants were drawn differently; it is
  refused with a sentence saying what to do, never silently rebuilt into a different archive.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.config import check_bool, check_choice, check_float, check_int, check_seed, from_mapping, parse_json
from core.data.split import check_fractions
from core.errors import ConfigError

RECIPE_FORMAT = "auglab.recipe/3"
READ_AS_BEFORE = ("auglab.recipe/2",)  # still rebuilt exactly: see _upgrade
TEXT_AUG_V1 = "auglab.text_aug/1"  # what a version 2 text augmentation without a format tag means
OLD_RECIPE_FORMATS = ("auglab.recipe/1",)  # refused with OLD_FORMAT_ADVICE
KINDS = ("images", "text")
BALANCE = ("none", "augmented", "synthetic", "both")
SPLITS = ("train", "val", "test")  # the training part first, as core.data.split expects
SOURCES = ("original", "augmented", "synthetic")
MIXES = ("none", "mixup", "cutmix", "both")  # MixUp / CutMix of augmented train images (core.dataset.mixing)
MAX_VARIANTS = 10_000  # per original; a typo such as 1e9 should be refused, not planned
MAX_SYNTHETIC_N = 10**6  # samples of one generator call

OLD_FORMAT_ADVICE = (
    "It was made by an older AugLab, whose split and augmented variants were drawn differently, so this "
    "version cannot rebuild that archive byte for byte. To export with this version (a new split and new "
    f'variants), change its "format" line to "{RECIPE_FORMAT}" or remove that line; to rebuild the old '
    "archive exactly, use the AugLab version that made it."
)


def _check_text(name: str, value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{name} must be {what}, got {value!r}.")
    return value


@dataclass(frozen=True)
class SyntheticSource:
    """A generator checkpoint and the sampling call that made a batch of synthetic samples.

    ``python -m core export`` repeats the call through
    :func:`core.generators.pool.samples_from_checkpoint` (``n`` per class for a conditional GAN;
    ``settings`` for an LSTM: prompt, max_len, temperature, top_k, label).
    """

    checkpoint: str  # path of the .pt file, as the user gave it (the page writes generators/<sha256>.pt)
    sha256: str = ""  # of the checkpoint's bytes; checked when the CLI regenerates ("" = not checked)
    seed: int = 0  # the sampling seed
    n: int = 0  # samples asked for (per class for a conditional GAN)
    settings: dict[str, Any] = field(default_factory=dict)  # LSTM sampling settings

    def __post_init__(self) -> None:
        _check_text("synthetic checkpoint", self.checkpoint, "a file path")
        if not isinstance(self.sha256, str):
            raise ConfigError(f"synthetic sha256 must be a hex string, got {self.sha256!r}.")
        object.__setattr__(self, "seed", check_seed("synthetic seed", self.seed))
        object.__setattr__(self, "n", check_int("synthetic n", self.n, 0, MAX_SYNTHETIC_N))
        if not isinstance(self.settings, dict):
            raise ConfigError(f"synthetic settings must be a JSON object, got {self.settings!r}.")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {
            "checkpoint": self.checkpoint,
            "sha256": self.sha256,
            "seed": self.seed,
            "n": self.n,
            "settings": dict(self.settings),
        }

    @classmethod
    def from_dict(cls, data: Any) -> SyntheticSource:
        """Build from a mapping; unknown keys are refused.

        Raises:
            ConfigError: Not a mapping, an unknown key, no checkpoint, or a bad value.
        """
        if isinstance(data, SyntheticSource):
            return data
        if isinstance(data, Mapping) and "checkpoint" not in data:
            raise ConfigError("Each synthetic source needs a checkpoint path.")
        return from_mapping(cls, dict(data) if isinstance(data, Mapping) else data, "synthetic source")


@dataclass(frozen=True)
class Recipe:
    """What goes into the exported dataset; validated on construction, JSON round trip.

    ``synthetic_per_class`` and ``synthetic_share`` are alternatives: at most one is non-zero.
    Balancing tops up each labelled train class to the size of the largest one; ``"both"`` takes half
    of each class's deficit from unused synthetic samples (as far as they go) and the rest from extra
    augmented variants. The cap trims synthetic samples first, then augmented variants, always from the
    class that has the most of them, and never drops an original.
    """

    kind: str = "images"  # "images" or "text"
    inputs: tuple[str, ...] = ()  # built-in names (digits, photos, reviews, ...) or file paths
    text_column: str = "text"  # CSV inputs: the column with the text
    label_column: str | None = "label"  # CSV inputs: the column with the label (None: unlabelled)
    augmentation: dict[str, Any] = field(default_factory=dict)  # ImageAugConfig / TextAugConfig dict
    seed: int = 0  # augmentation and split seed, 0 .. 2**63 - 1
    variants_per_original: int = 0  # augmented variants of each TRAIN original
    synthetic_per_class: int = 0  # synthetic samples per class (from the pool, in pool order)
    synthetic_share: float = 0.0  # or: synthetic fraction of the train split (0 <= share < 1)
    include_synthetic: bool = True  # False: no synthetic sample at all, balancing included
    balance: str = "none"  # "none", "augmented", "synthetic" or "both"
    max_total: int | None = None  # cap on the number of examples in all splits; None: no cap
    split: tuple[float, float, float] = (0.8, 0.1, 0.1)  # train, val, test fractions; sum 1
    synthetic: tuple[SyntheticSource, ...] = ()  # generator calls the CLI can repeat
    mixing: str = "none"  # images: "mixup", "cutmix" or "both" mixes augmented train images (off: "none")
    mixing_p: float = 0.5  # the chance that an augmented train image is mixed
    mixing_alpha: float = 1.0  # lambda ~ Beta(alpha, alpha), as torchvision's MixUp and CutMix

    def __post_init__(self) -> None:
        check_choice("kind", self.kind, KINDS)
        object.__setattr__(self, "inputs", check_inputs(self.inputs))
        _check_text("text_column", self.text_column, "a column name")
        if self.label_column is not None:
            _check_text("label_column", self.label_column, "a column name or null")
        if not isinstance(self.augmentation, Mapping):
            raise ConfigError(f"augmentation must be a JSON object, got {self.augmentation!r}.")
        # Normalise through the config class: typos and out-of-range values fail here, with its message.
        object.__setattr__(self, "augmentation", self.aug_config().to_dict())
        object.__setattr__(self, "seed", check_seed("seed", self.seed))
        variants = check_int("variants_per_original", self.variants_per_original, 0, MAX_VARIANTS)
        object.__setattr__(self, "variants_per_original", variants)
        per_class = check_int("synthetic_per_class", self.synthetic_per_class, 0)
        object.__setattr__(self, "synthetic_per_class", per_class)
        share = check_float("synthetic_share", self.synthetic_share, 0.0, 1.0, high_open=True)
        object.__setattr__(self, "synthetic_share", share)
        if self.synthetic_per_class and self.synthetic_share:
            raise ConfigError("Give synthetic_per_class or synthetic_share, not both; set the other to 0.")
        check_bool("include_synthetic", self.include_synthetic)
        check_choice("balance", self.balance, BALANCE)
        if self.max_total is not None:
            object.__setattr__(self, "max_total", check_int("max_total", self.max_total, 0))
        object.__setattr__(self, "split", _fractions(self.split))
        object.__setattr__(self, "synthetic", check_synthetic_sources(self.synthetic))
        check_choice("mixing", self.mixing, MIXES)
        object.__setattr__(self, "mixing_p", check_float("mixing_p", self.mixing_p, 0.0, 1.0))
        alpha = check_float("mixing_alpha", self.mixing_alpha, 0.0, 100.0, low_open=True)
        object.__setattr__(self, "mixing_alpha", alpha)
        if self.kind == "text" and self.mixing != "none":
            raise ConfigError('mixing is for images; set it to "none" for a text recipe.')

    def aug_config(self) -> Any:
        """The augmentation as an ``ImageAugConfig`` (images) or ``TextAugConfig`` (text)."""
        return aug_config(self.kind, self.augmentation)

    @property
    def fractions(self) -> dict[str, float]:
        """Split fractions by split name."""
        return dict(zip(SPLITS, self.split, strict=True))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, with the format tag first."""
        return {
            "format": RECIPE_FORMAT,
            "kind": self.kind,
            "inputs": list(self.inputs),
            "text_column": self.text_column,
            "label_column": self.label_column,
            "augmentation": dict(self.augmentation),
            "seed": self.seed,
            "variants_per_original": self.variants_per_original,
            "synthetic_per_class": self.synthetic_per_class,
            "synthetic_share": self.synthetic_share,
            "include_synthetic": self.include_synthetic,
            "balance": self.balance,
            "max_total": self.max_total,
            "split": self.fractions,
            "synthetic": [s.to_dict() for s in self.synthetic],
            "mixing": self.mixing,
            "mixing_p": self.mixing_p,
            "mixing_alpha": self.mixing_alpha,
        }

    def to_json(self) -> str:
        """Indented JSON, keys in :meth:`to_dict` order (the archive's ``recipe.json``)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Any) -> Recipe:
        """Build a recipe from a mapping; keys left out take their defaults.

        Raises:
            ConfigError: Unknown keys, another format tag (an older recipe format gets
                :data:`OLD_FORMAT_ADVICE`), or a value of the wrong type or range.
        """
        if isinstance(data, Mapping) and not isinstance(data, dict):
            data = dict(data)
        if isinstance(data, dict) and data.get("format") in OLD_RECIPE_FORMATS:
            raise ConfigError(f"This recipe has format {data['format']}. {OLD_FORMAT_ADVICE}")
        if isinstance(data, dict) and data.get("format") in READ_AS_BEFORE:
            data = _upgrade(data)
        return from_mapping(cls, data, "AugLab export recipe", RECIPE_FORMAT)

    @classmethod
    def from_json(cls, text: str | bytes) -> Recipe:
        """Parse :meth:`to_json` output (or a hand-written subset of it).

        Raises:
            ConfigError: The text is not JSON or not a valid recipe.
        """
        return cls.from_dict(parse_json(text, "recipe"))


def _upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """A version 2 recipe as the version 3 recipe that rebuilds the same archive.

    New settings are left out (their defaults are off). A text augmentation without its own format tag
    is tagged ``auglab.text_aug/1``, whose synonyms are read as WordNet gives them.
    """
    data = {**data, "format": RECIPE_FORMAT}
    augmentation = data.get("augmentation")
    if data.get("kind") == "text" and isinstance(augmentation, Mapping) and "format" not in augmentation:
        data["augmentation"] = {"format": TEXT_AUG_V1, **augmentation}
    return data


def check_inputs(value: Any) -> tuple[str, ...]:
    """A recipe's ``inputs``: a list of non-empty strings (built-in names or file paths), as a tuple.

    Shared by the export recipe and the experiment recipe (:mod:`core.experiment.recipe`).

    Raises:
        ConfigError: Not a list, or an entry that is not a non-empty string.
    """
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ConfigError(f"inputs must be a list of names or file paths, got {value!r}.")
    if not all(isinstance(i, str) and i for i in value):
        raise ConfigError(f"inputs must be non-empty strings, got {list(value)!r}.")
    return tuple(value)


def aug_config(kind: str, augmentation: Any) -> Any:
    """A recipe's ``augmentation`` mapping as an ``ImageAugConfig`` (images) or ``TextAugConfig`` (text).

    Raises:
        ConfigError: Not a mapping, an unknown key or a bad value (the config class's sentence).
    """
    if not isinstance(augmentation, Mapping):
        raise ConfigError(f"augmentation must be a JSON object, got {augmentation!r}.")
    if kind == "images":
        from core.augment.image import ImageAugConfig

        return ImageAugConfig.from_dict(dict(augmentation))
    from core.augment.text import TextAugConfig

    try:
        return TextAugConfig.from_dict(dict(augmentation))
    except TypeError as exc:
        raise ConfigError(f"Invalid text augmentation configuration: {exc}.") from None


def check_synthetic_sources(value: Any) -> tuple[SyntheticSource, ...]:
    """A recipe's ``synthetic`` list as :class:`SyntheticSource` entries.

    Raises:
        ConfigError: Not a list, or an entry that is not a valid source.
    """
    if isinstance(value, (str, Mapping)) or not isinstance(value, (list, tuple)):
        raise ConfigError(f"synthetic must be a list of generator sources, got {value!r}.")
    return tuple(SyntheticSource.from_dict(s) for s in value)


def _fractions(value: Any) -> tuple[float, float, float]:
    """The split as (train, val, test) floats, from a list or a ``{"train": .., "val": .., "test": ..}``."""
    if isinstance(value, Mapping):
        if set(value) != set(SPLITS):
            raise ConfigError(
                f"split must give exactly train, val and test fractions, got keys {sorted(map(str, value))}."
            )
        value = [value[s] for s in SPLITS]
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ConfigError(f"split must be train, val and test fractions, got {value!r}.")
    train, val, test = check_fractions(value, SPLITS)
    return train, val, test


__all__ = [
    "BALANCE",
    "KINDS",
    "MIXES",
    "OLD_FORMAT_ADVICE",
    "RECIPE_FORMAT",
    "SOURCES",
    "SPLITS",
    "Recipe",
    "SyntheticSource",
    "aug_config",
    "check_inputs",
    "check_synthetic_sources",
]
