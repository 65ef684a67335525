"""The experiment recipe: which data, which arms, sizes and models, how many repeats: validated, JSON.

An :class:`ExperimentRecipe` is what the Experiment page downloads and ``python -m core experiment
--recipe`` reads. It names its data the way an export recipe does (``inputs``, ``text_column``,
``label_column``, ``augmentation``, ``synthetic``: :mod:`core.dataset.recipe`'s own checks), then says
what to compare:

- ``arms``: how each training set is built from the same train originals (``real`` always included:
  every other arm is measured against it);
- ``sizes`` (fractions of each class's train originals) or ``per_class`` (a count per class): one
  learning-curve point each;
- ``models``: images ``cnn`` / ``linear``, text ``bag`` / ``embed`` (:mod:`core.experiment.models`);
- ``repeats``: the unit of replication, a new split of the originals and new initial weights each;
- the training length: every arm of one (model, size) takes the same number of optimiser steps,
  ``max(min_steps, ceil(epochs * real training examples / batch_size))``, so an arm never wins by
  training longer; ``budget_s`` caps one fit's seconds (a fit cut short is recorded as such).

Format versions (the ``"format"`` line): ``auglab.experiment/1`` (this version).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.config import check_choice, check_float, check_int, check_seed, from_mapping, parse_json
from core.dataset.recipe import SyntheticSource, aug_config, check_inputs, check_synthetic_sources
from core.errors import ConfigError

EXPERIMENT_FORMAT = "auglab.experiment/1"
KINDS = ("images", "text")
REAL = "real"
ARMS = ("real", "real+augmented", "real+synthetic", "real+augmented+synthetic")
MODELS = {"images": ("cnn", "linear"), "text": ("bag", "embed")}
MODEL_NAMES = {  # how pages and charts name them
    "cnn": "small CNN",
    "linear": "logistic regression on pixels",
    "bag": "bag of n-grams (linear)",
    "embed": "embedding bag (fastText-style)",
}
EDA = "eda"  # variants_per_original for text: EDA's n_aug for the training-set size (Wei & Zou, table 3)
MAX_REPEATS = 100
MAX_VARIANTS = 1000  # per original and arm: a typo such as 1e6 should be refused, not planned
MAX_PER_CLASS = 10**6
MAX_EPOCHS = 10_000
MAX_STEPS = 10**7
MAX_BATCH = 4096
MAX_BUDGET_S = 24 * 3600.0
IMAGE_SIZES = (8, 128)  # smallest and largest side the CNN is built for, in pixels


def uses_augmented(arm: str) -> bool:
    """Whether ``arm`` adds augmented variants of the real originals."""
    return "augmented" in arm.split("+")


def uses_synthetic(arm: str) -> bool:
    """Whether ``arm`` adds synthetic samples."""
    return "synthetic" in arm.split("+")


def _names(name: str, value: Any, choices: tuple[str, ...], what: str) -> tuple[str, ...]:
    """A list of distinct choices, in the canonical order of ``choices``."""
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ConfigError(f"{name} must be a list of {what}, got {value!r}.")
    for item in value:
        check_choice(f"Each entry of {name}", item, choices)
    return tuple(c for c in choices if c in value)


def _column(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{name} must be a column name, got {value!r}.")
    return value


@dataclass(frozen=True)
class ExperimentRecipe:
    """An experiment: data, arms, sizes, models, repeats; validated on construction, JSON round trip."""

    kind: str = "images"  # "images" or "text"
    inputs: tuple[str, ...] = ()  # built-in names (digits, photos, reviews, ...) or file paths
    text_column: str = "text"  # CSV inputs: the column with the text
    label_column: str = "label"  # CSV inputs: the column with the label (an experiment needs labels)
    augmentation: dict[str, Any] | None = None  # ImageAugConfig / TextAugConfig dict (None: defaults)
    variants_per_original: int | str = 4  # augmented variants of each training original; text: or "eda"
    synthetic: tuple[SyntheticSource, ...] = ()  # generator calls whose samples fill the synthetic arms
    synthetic_per_original: int | None = None  # synthetic samples per training original (None: as k)
    arms: tuple[str, ...] = ("real", "real+augmented")  # from ARMS; "real" is required
    sizes: tuple[float, ...] = ()  # fractions of each class's train originals, in (0, 1]
    per_class: tuple[int, ...] = ()  # or: train originals per class (not both; neither: sizes [1.0])
    models: tuple[str, ...] = ()  # from MODELS[kind]; empty: all of them
    repeats: int = 5  # splits x initial weights; intervals need at least 2
    test_fraction: float = 0.2  # of each class's originals, held out for testing (real only)
    seed: int = 0  # every split, subset, initial weight and batch order derives from it
    epochs: float = 10.0  # passes over the real training examples (see the module docstring)
    min_steps: int = 300  # at least this many optimiser steps per fit (small sets need many passes)
    batch_size: int = 32  # examples per optimiser step
    budget_s: float = 60.0  # seconds one fit may train before it is cut short (and marked so)
    image_size: int | None = None  # images: side the models see, in pixels (None: chosen from the data)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        check_choice("kind", self.kind, KINDS)
        set_(self, "inputs", check_inputs(self.inputs))
        _column("text_column", self.text_column)
        if self.label_column is None:
            raise ConfigError("label_column must name the labels' column: an experiment needs labels.")
        _column("label_column", self.label_column)
        augmentation = {} if self.augmentation is None else self.augmentation
        # Normalised through the config class: typos and out-of-range values fail with its message.
        set_(self, "augmentation", aug_config(self.kind, augmentation).to_dict())
        k = self.variants_per_original
        if k == EDA:
            if self.kind != "text":
                raise ConfigError('variants_per_original "eda" is for text; give a number of variants.')
        else:
            set_(self, "variants_per_original", check_int("variants_per_original", k, 0, MAX_VARIANTS))
        set_(self, "synthetic", check_synthetic_sources(self.synthetic))
        if self.synthetic_per_original is not None:
            per = check_int("synthetic_per_original", self.synthetic_per_original, 0, MAX_VARIANTS)
            set_(self, "synthetic_per_original", per)
        arms = _names("arms", self.arms, ARMS, "arms")
        if REAL not in arms:
            raise ConfigError('arms must include "real": every other arm is measured against it.')
        set_(self, "arms", arms)
        set_(self, "sizes", self._sizes())
        models = _names("models", self.models, MODELS[self.kind], f"{self.kind} models")
        set_(self, "models", models or MODELS[self.kind])
        set_(self, "repeats", check_int("repeats", self.repeats, 1, MAX_REPEATS))
        set_(self, "test_fraction", check_float("test_fraction", self.test_fraction, 0.0, 0.9, low_open=True))
        set_(self, "seed", check_seed("seed", self.seed))
        set_(self, "epochs", check_float("epochs", self.epochs, 0.0, MAX_EPOCHS, low_open=True))
        set_(self, "min_steps", check_int("min_steps", self.min_steps, 1, MAX_STEPS))
        set_(self, "batch_size", check_int("batch_size", self.batch_size, 1, MAX_BATCH))
        set_(self, "budget_s", check_float("budget_s", self.budget_s, 0.0, MAX_BUDGET_S, low_open=True))
        if self.image_size is not None:
            low, high = IMAGE_SIZES
            set_(self, "image_size", check_int("image_size (pixels)", self.image_size, low, high))

    def _sizes(self) -> tuple[float, ...]:
        sizes, per_class = self.sizes, self.per_class
        for name, value in (("sizes", sizes), ("per_class", per_class)):
            if isinstance(value, str) or not isinstance(value, (list, tuple)):
                raise ConfigError(f"{name} must be a list of numbers, got {value!r}.")
        if sizes and per_class:
            raise ConfigError("Give sizes (fractions) or per_class (counts), not both; leave one empty.")
        if per_class:
            counts = [check_int("Each entry of per_class", c, 1, MAX_PER_CLASS) for c in per_class]
            object.__setattr__(self, "per_class", tuple(sorted(set(counts))))
            return ()
        object.__setattr__(self, "per_class", ())
        fractions = [
            check_float("Each entry of sizes (a fraction of the train originals)", f, 0.0, 1.0, low_open=True)
            for f in sizes
        ]
        return tuple(sorted(set(fractions))) or (1.0,)

    # ------------------------------------------------------------------------------------------

    @property
    def size_unit(self) -> str:
        """``"per_class"`` when sizes are counts per class, else ``"fraction"``."""
        return "per_class" if self.per_class else "fraction"

    @property
    def size_values(self) -> tuple[float, ...] | tuple[int, ...]:
        """The learning-curve points in increasing order: fractions, or counts per class."""
        return self.per_class or self.sizes

    def aug_config(self) -> Any:
        """The augmentation as an ``ImageAugConfig`` (images) or ``TextAugConfig`` (text)."""
        return aug_config(self.kind, self.augmentation)

    def variants_for(self, train_examples: int) -> int:
        """Augmented variants per original for a real training set of ``train_examples`` items.

        A number is used as it is; ``"eda"`` takes EDA's n_aug for that size
        (:func:`core.augment.text.eda_preset`: 16 below 500 examples, 8 below 2,000, then 4).
        """
        if self.variants_per_original == EDA:
            from core.augment.text import eda_preset

            return eda_preset(train_examples).n_aug
        return int(self.variants_per_original)

    def synthetic_for(self, variants: int) -> int:
        """Synthetic samples per training original, given that size's augmented variants per original."""
        return variants if self.synthetic_per_original is None else self.synthetic_per_original

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, with the format tag first."""
        return {
            "format": EXPERIMENT_FORMAT,
            "kind": self.kind,
            "inputs": list(self.inputs),
            "text_column": self.text_column,
            "label_column": self.label_column,
            "augmentation": dict(self.augmentation or {}),
            "variants_per_original": self.variants_per_original,
            "synthetic": [s.to_dict() for s in self.synthetic],
            "synthetic_per_original": self.synthetic_per_original,
            "arms": list(self.arms),
            "sizes": list(self.sizes),
            "per_class": list(self.per_class),
            "models": list(self.models),
            "repeats": self.repeats,
            "test_fraction": self.test_fraction,
            "seed": self.seed,
            "epochs": self.epochs,
            "min_steps": self.min_steps,
            "batch_size": self.batch_size,
            "budget_s": self.budget_s,
            "image_size": self.image_size,
        }

    def to_json(self) -> str:
        """Indented JSON, keys in :meth:`to_dict` order (the page's ``experiment.json``)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Any) -> ExperimentRecipe:
        """Build a recipe from a mapping; keys left out take their defaults.

        Raises:
            ConfigError: Unknown keys, another format tag, or a value of the wrong type or range.
        """
        if isinstance(data, Mapping) and not isinstance(data, dict):
            data = dict(data)
        if isinstance(data, dict) and data.get("format") == "auglab.recipe/2":
            raise ConfigError(
                "This is an export recipe (auglab.recipe/2), not an experiment recipe; give the "
                "experiment.json the Experiment page downloads."
            )
        return from_mapping(cls, data, "experiment recipe", EXPERIMENT_FORMAT)

    @classmethod
    def from_json(cls, text: str | bytes) -> ExperimentRecipe:
        """Parse :meth:`to_json` output (or a hand-written subset of it).

        Raises:
            ConfigError: The text is not JSON or not a valid recipe.
        """
        return cls.from_dict(parse_json(text, "experiment recipe"))


__all__ = [
    "ARMS",
    "EDA",
    "EXPERIMENT_FORMAT",
    "KINDS",
    "MODELS",
    "MODEL_NAMES",
    "REAL",
    "ExperimentRecipe",
    "uses_augmented",
    "uses_synthetic",
]
