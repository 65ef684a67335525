"""Blend real, augmented and synthetic examples into one dataset: the recipe and the plan, no pixels.

A :class:`Recipe` says what the user takes away (which originals, how many augmented variants, how
many synthetic samples, balancing, a size cap, split fractions); :func:`plan` turns it and the labels
of the originals and of the synthetic pool into a list of :class:`PlannedItem` without decoding
anything. :mod:`core.dataset.export` then computes and writes the items one at a time.

Rules the plan keeps, whatever the recipe:

- the split is stratified by class over the ORIGINALS only, with exact per-class counts;
- augmented variants are made from train originals only, and synthetic samples go to train only, so
  no validation or test example has a relative in train (no leakage);
- originals are never dropped (a cap below their number is refused);
- the plan depends on ``(recipe, labels)`` alone: the same inputs give the same plan.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from core.config import from_mapping, parse_json
from core.errors import ConfigError

RECIPE_FORMAT = "auglab.recipe/1"
KINDS = ("images", "text")
BALANCE = ("none", "augmented", "synthetic", "both")
SPLITS = ("train", "val", "test")
SOURCES = ("original", "augmented", "synthetic")
UNLABELLED = "(unlabelled)"
"""The class name :meth:`Plan.counts` uses for examples without a label."""
UNLABELLED_FOLDER = "unlabelled"
"""The class folder of examples without a label in an exported image dataset."""
MAX_SEED = 2**63 - 1
FRACTION_TOLERANCE = 1e-6
MAX_VARIANTS = 10_000  # per original; a typo such as 1e9 should be refused, not planned
_SPLIT_STREAM = 0x5EED_5B17  # keeps the split's random stream apart from the augmentation's

Label = str | None


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _count(name: str, value: Any, high: int | None = None) -> int:
    if not _is_int(value) or value < 0 or (high is not None and value > high):
        upper = f" to {high:,}" if high is not None else " or more"
        raise ConfigError(f"{name} must be a whole number from 0{upper}, got {value!r}.")
    return int(value)


@dataclass(frozen=True)
class SyntheticSource:
    """A generator checkpoint and the sampling call that made a batch of synthetic samples.

    The CLI regenerates the samples from it: ``GANTrainer.from_checkpoint(...).generate(n, None, seed)``
    (``n`` per class for a conditional GAN) or ``LSTMTrainer.from_checkpoint(...).sample(...)`` with
    ``settings`` (prompt, max_len, temperature, top_k, label).
    """

    checkpoint: str  # path of the .pt file, as the user gave it
    sha256: str = ""  # of the checkpoint's bytes; checked when the CLI regenerates ("" = not checked)
    seed: int = 0  # the sampling seed
    n: int = 0  # samples asked for (per class for a conditional GAN)
    settings: dict[str, Any] = field(default_factory=dict)  # LSTM sampling settings

    def __post_init__(self) -> None:
        if not isinstance(self.checkpoint, str) or not self.checkpoint:
            raise ConfigError(f"synthetic checkpoint must be a file path, got {self.checkpoint!r}.")
        if not isinstance(self.sha256, str):
            raise ConfigError(f"synthetic sha256 must be a hex string, got {self.sha256!r}.")
        _count("synthetic seed", self.seed, MAX_SEED)
        _count("synthetic n", self.n, 10**6)
        if not isinstance(self.settings, dict):
            raise ConfigError(f"synthetic settings must be a JSON object, got {self.settings!r}.")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {
            "checkpoint": self.checkpoint,
            "sha256": self.sha256,
            "seed": int(self.seed),
            "n": int(self.n),
            "settings": dict(self.settings),
        }

    @classmethod
    def from_dict(cls, data: Any) -> SyntheticSource:
        """Build from a mapping; unknown keys are refused."""
        if isinstance(data, SyntheticSource):
            return data
        if not isinstance(data, Mapping):
            raise ConfigError(f"Each synthetic source must be a JSON object, got {data!r}.")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"Unknown synthetic source key(s) {', '.join(map(str, unknown))}; "
                f"the known ones are {', '.join(sorted(known))}."
            )
        if "checkpoint" not in data:
            raise ConfigError("Each synthetic source needs a checkpoint path.")
        return cls(**data)


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
    inputs: tuple[str, ...] = ()  # "digits", or paths of images / zips (images); .txt / .csv (text)
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

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}.")
        inputs = self.inputs
        if isinstance(inputs, str) or not isinstance(inputs, (list, tuple)):
            raise ConfigError(f"inputs must be a list of names or file paths, got {inputs!r}.")
        if not all(isinstance(i, str) and i for i in inputs):
            raise ConfigError(f"inputs must be non-empty strings, got {list(inputs)!r}.")
        object.__setattr__(self, "inputs", tuple(inputs))
        if not isinstance(self.text_column, str) or not self.text_column:
            raise ConfigError(f"text_column must be a column name, got {self.text_column!r}.")
        if self.label_column is not None and (
            not isinstance(self.label_column, str) or not self.label_column
        ):
            raise ConfigError(f"label_column must be a column name or null, got {self.label_column!r}.")
        if not isinstance(self.augmentation, Mapping):
            raise ConfigError(f"augmentation must be a JSON object, got {self.augmentation!r}.")
        # Normalise through the config class: typos and out-of-range values fail here, with its message.
        object.__setattr__(self, "augmentation", self.aug_config().to_dict())
        _count("seed", self.seed, MAX_SEED)
        _count("variants_per_original", self.variants_per_original, MAX_VARIANTS)
        _count("synthetic_per_class", self.synthetic_per_class)
        share = self.synthetic_share
        if not _is_number(share) or not 0.0 <= share < 1.0:
            raise ConfigError(
                f"synthetic_share must be a number from 0 up to (not including) 1, got {share!r}."
            )
        object.__setattr__(self, "synthetic_share", float(share))
        if self.synthetic_per_class and self.synthetic_share:
            raise ConfigError("Give synthetic_per_class or synthetic_share, not both; set the other to 0.")
        if not isinstance(self.include_synthetic, bool):
            raise ConfigError(f"include_synthetic must be true or false, got {self.include_synthetic!r}.")
        if self.balance not in BALANCE:
            raise ConfigError(f"balance must be one of {', '.join(BALANCE)}, got {self.balance!r}.")
        if self.max_total is not None:
            _count("max_total", self.max_total)
        object.__setattr__(self, "split", _fractions(self.split))
        sources = self.synthetic
        if isinstance(sources, (str, Mapping)) or not isinstance(sources, (list, tuple)):
            raise ConfigError(f"synthetic must be a list of generator sources, got {sources!r}.")
        object.__setattr__(self, "synthetic", tuple(SyntheticSource.from_dict(s) for s in sources))

    def aug_config(self) -> Any:
        """The augmentation as an ``ImageAugConfig`` (images) or ``TextAugConfig`` (text)."""
        if self.kind == "images":
            from core.augment.image import ImageAugConfig

            return ImageAugConfig.from_dict(dict(self.augmentation))
        from core.augment.text import TextAugConfig

        try:
            return TextAugConfig.from_dict(dict(self.augmentation))
        except TypeError as exc:
            raise ConfigError(f"Invalid text augmentation configuration: {exc}.") from None

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
            "seed": int(self.seed),
            "variants_per_original": int(self.variants_per_original),
            "synthetic_per_class": int(self.synthetic_per_class),
            "synthetic_share": self.synthetic_share,
            "include_synthetic": self.include_synthetic,
            "balance": self.balance,
            "max_total": None if self.max_total is None else int(self.max_total),
            "split": self.fractions,
            "synthetic": [s.to_dict() for s in self.synthetic],
        }

    def to_json(self) -> str:
        """Indented JSON with sorted keys inside ``augmentation`` kept as the config writes them."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Any) -> Recipe:
        """Build a recipe from a mapping; keys left out take their defaults.

        Raises:
            ConfigError: Unknown keys, another format tag, or a value of the wrong type or range.
        """
        if isinstance(data, Mapping) and not isinstance(data, dict):
            data = dict(data)
        return from_mapping(cls, data, "AugLab export recipe", RECIPE_FORMAT)

    @classmethod
    def from_json(cls, text: str | bytes) -> Recipe:
        """Parse :meth:`to_json` output (or a hand-written subset of it).

        Raises:
            ConfigError: The text is not JSON or not a valid recipe.
        """
        return cls.from_dict(parse_json(text, "recipe"))


def _fractions(value: Any) -> tuple[float, float, float]:
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(SPLITS))
        if unknown or set(value) != set(SPLITS):
            raise ConfigError(
                f"split must give exactly train, val and test fractions, got keys {sorted(map(str, value))}."
            )
        value = [value[s] for s in SPLITS]
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or len(value) != 3:
        raise ConfigError(f"split must be train, val and test fractions, got {value!r}.")
    for name, v in zip(SPLITS, value, strict=True):
        if not _is_number(v) or not 0.0 <= v <= 1.0:
            raise ConfigError(f"The {name} fraction must be a number from 0 to 1, got {v!r}.")
    total = math.fsum(float(v) for v in value)
    if abs(total - 1.0) > FRACTION_TOLERANCE:
        raise ConfigError(
            f"The split fractions must add up to 1; train {value[0]:g} + val {value[1]:g} + "
            f"test {value[2]:g} = {total:g}."
        )
    return float(value[0]), float(value[1]), float(value[2])


# --------------------------------------------------------------------------------------------------
# The plan


@dataclass(frozen=True)
class PlannedItem:
    """One example of the exported dataset, before anything is computed.

    Attributes:
        split: "train", "val" or "test".
        label: Class label, or None.
        source: "original", "augmented" or "synthetic".
        parent: Index of the original this item is (original) or derives from (augmented); None for
            synthetic items.
        variant: The augmentation variant (augmented items only).
        synthetic_index: Position in the synthetic pool (synthetic items only).
        name: File name (images) or row id stem, stable for the same recipe and labels.
    """

    split: str
    label: Label
    source: str
    parent: int | None
    variant: int | None
    synthetic_index: int | None
    name: str


def class_key(label: Label) -> str:
    """The name a class is counted under: the label, or :data:`UNLABELLED`."""
    return UNLABELLED if label is None else label


def _sort_key(label: Label) -> tuple[bool, str]:
    return (label is None, label or "")


@dataclass(frozen=True)
class Plan:
    """The ordered items of an export, the class folders, and notes about what could not be met.

    Items are ordered train, val, test; within a split by class (sorted, unlabelled last); within a
    class originals, then augmented, then synthetic, each by index (and variant).
    """

    kind: str
    items: tuple[PlannedItem, ...]
    folders: dict[Label, str]  # label -> class folder name (images), unique, safe on every OS
    notes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.items)

    def path(self, item: PlannedItem) -> str:
        """The item's path inside an image archive, e.g. ``"train/cat/000012_v3.png"``."""
        return f"{item.split}/{self.folders[item.label]}/{item.name}"

    def counts(self) -> dict[str, dict[str, dict[str, int]]]:
        """``counts[split][class][source]``: every split, every class of the plan, every source (zeros
        included), so bar charts of different plans line up."""
        return counts_of(self.items, [item.label for item in self.items])

    def total(self, split: str | None = None, source: str | None = None) -> int:
        """Number of items, optionally of one split and/or one source."""
        return sum(
            (split is None or i.split == split) and (source is None or i.source == source) for i in self.items
        )


def counts_of(items: Iterable[PlannedItem], labels: Iterable[Label]) -> dict[str, dict[str, dict[str, int]]]:
    """Per split, per class, per source counts of ``items`` (classes: those of ``labels``)."""
    tally = Counter((i.split, i.label, i.source) for i in items)
    classes = sorted(set(labels), key=_sort_key)
    return {
        split: {class_key(c): {s: tally[(split, c, s)] for s in SOURCES} for c in classes} for split in SPLITS
    }


def _label_stream(seed: int, label: Label) -> np.random.Generator:
    """The split's generator for one class: depends on the seed and that class's name only."""
    name = b"\x00" if label is None else b"L" + label.encode("utf-8", "surrogatepass")
    key = int.from_bytes(hashlib.sha256(name).digest()[:8], "big")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, _SPLIT_STREAM, key])))


def _apportion(n: int, fractions: Sequence[float], deficit: Sequence[float]) -> list[int]:
    """Largest-remainder apportionment of ``n`` seats; ties go to the split with the larger deficit.

    Each count is the floor or the ceiling of ``fraction * n``, so within one of the exact share.
    """
    exact = [f * n for f in fractions]
    counts = [math.floor(e + 1e-9) for e in exact]
    order = sorted(range(len(exact)), key=lambda s: (-(exact[s] - counts[s]), -deficit[s], s))
    for s in order[: n - sum(counts)]:
        counts[s] += 1
    return counts


def split_originals(labels: Sequence[Label], seed: int, fractions: Sequence[float]) -> list[str]:
    """The split of each original, stratified by class.

    Algorithm:
        1. Group the indices by label; visit classes in sorted order (unlabelled last).
        2. Shuffle each class's indices with a generator from ``(seed, class name)``.
        3. Share the class's ``n`` examples between train, val and test by largest remainders of
           ``fraction * n`` (ties: the split furthest behind its exact total so far), so every split's
           count per class is within one example of the exact fraction.
        4. The first shuffled indices go to val, the next to test, the rest to train.

    Returns:
        ``"train"``, ``"val"`` or ``"test"`` per original, in input order.
    """
    groups: dict[Label, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(label, []).append(index)
    out = ["train"] * len(labels)
    exact_so_far = [0.0, 0.0, 0.0]
    given = [0, 0, 0]
    for label in sorted(groups, key=_sort_key):
        members = np.array(groups[label], dtype=np.int64)
        _label_stream(seed, label).shuffle(members)
        n = len(members)
        deficit = [exact_so_far[s] + fractions[s] * n - given[s] for s in range(3)]
        n_train, n_val, n_test = _apportion(n, fractions, deficit)
        for s, c in enumerate((n_train, n_val, n_test)):
            exact_so_far[s] += fractions[s] * n
            given[s] += c
        for k, index in enumerate(members.tolist()):
            out[index] = "val" if k < n_val else "test" if k < n_val + n_test else "train"
    return out


def _check_labels(name: str, labels: Any) -> list[Label]:
    if isinstance(labels, str) or not isinstance(labels, Sequence):
        raise ConfigError(f"{name} must be a list of labels (strings or None).")
    out = list(labels)
    for label in out:
        if label is not None and not isinstance(label, str):
            raise ConfigError(f"{name} must hold strings or None, got {label!r}.")
    return out


def folder_names(labels: Iterable[Label]) -> dict[Label, str]:
    """A class folder per label: the label made safe for a path, unique even ignoring case.

    ``/``, ``\\`` and control characters become ``_``; a leading dot gets a ``_`` before it (hidden
    folders are skipped by many loaders); unlabelled examples go to ``unlabelled``. Clashes get a
    ``~2``, ``~3``, ... suffix, labels taking precedence in sorted order.
    """
    out: dict[Label, str] = {}
    taken: set[str] = set()
    for label in sorted(set(labels), key=_sort_key):
        if label is None:
            base = UNLABELLED_FOLDER
        else:
            base = "".join("_" if ch in '/\\:*?"<>|' or ord(ch) < 32 else ch for ch in label).strip()
            base = base[:120] or "_"
            if base.startswith(".") or base.lower() in ("con", "prn", "aux", "nul"):
                base = "_" + base
        name, k = base, 1
        while name.casefold() in taken:
            k += 1
            name = f"{base}~{k}"
        taken.add(name.casefold())
        out[label] = name
    return out


def _water_fill(counts: dict[Label, int], remove: int) -> dict[Label, int]:
    """How many to remove per class so that ``remove`` go in all, always from the fullest classes.

    The result leaves the classes as even as possible; ties go to the classes first in sorted order.
    """
    remove = min(remove, sum(counts.values()))
    if remove <= 0:
        return dict.fromkeys(counts, 0)
    # The highest level L with sum(max(0, c - L)) >= remove; cut down to L + 1, then one more from some.
    low, high = 0, max(counts.values())
    while low < high:  # smallest level whose removal does not exceed `remove`
        mid = (low + high) // 2
        if sum(max(0, c - mid) for c in counts.values()) <= remove:
            high = mid
        else:
            low = mid + 1
    level = low
    cut = {k: max(0, c - level) for k, c in counts.items()}
    left = remove - sum(cut.values())
    for label in sorted(counts, key=_sort_key):
        if left == 0:
            break
        if counts[label] - cut[label] == level and level > 0:
            cut[label] += 1
            left -= 1
    return cut


def plan(
    recipe: Recipe, labels_of_originals: Sequence[Label], synthetic_labels: Sequence[Label] = ()
) -> Plan:
    """Decide every example of the export, and where it goes, from the recipe and the labels alone.

    Algorithm:
        1. Split the originals, stratified by class (:func:`split_originals`).
        2. Make ``variants_per_original`` augmented variants of each TRAIN original.
        3. If synthetic samples are included, take ``synthetic_per_class`` of each class from the pool
           (pool order), or enough for ``synthetic_share`` of the train split, shared between the
           pool's classes in proportion to their train size.
        4. Balance: top up every labelled train class to the largest one with extra variants
           (variant numbers after the regular ones, round-robin over the class's train originals)
           and/or unused synthetic samples of that class.
        5. Cap: remove synthetic items, then augmented ones, from the classes that have the most,
           latest-added first, until the total is at most ``max_total``.

    Args:
        recipe: The recipe.
        labels_of_originals: One label (or None) per original, in input order.
        synthetic_labels: One label (or None) per sample of the synthetic pool, in pool order.

    Returns:
        The plan; see :class:`Plan` for the item order.

    Raises:
        ConfigError: ``max_total`` is below the number of originals, or the labels are not strings.
    """
    labels = _check_labels("labels_of_originals", labels_of_originals)
    pool = _check_labels("synthetic_labels", synthetic_labels) if recipe.include_synthetic else []
    if recipe.max_total is not None and recipe.max_total < len(labels):
        raise ConfigError(
            f"max_total is {recipe.max_total:,} but there are {len(labels):,} originals, and originals are "
            f"never dropped; raise max_total to at least {len(labels):,} or load fewer originals."
        )
    notes: list[str] = []
    splits = split_originals(labels, recipe.seed, recipe.split)
    train_of: dict[Label, list[int]] = {}
    for index, (label, split) in enumerate(zip(labels, splits, strict=True)):
        if split == "train":
            train_of.setdefault(label, []).append(index)

    # 2. Regular variants, variant-major, so that trimming from the end drops the highest variants first.
    k = recipe.variants_per_original
    augmented: dict[Label, list[tuple[int, int]]] = {
        label: [(i, v) for v in range(k) for i in members] for label, members in train_of.items()
    }
    next_variant = dict.fromkeys(train_of, k)

    # 3. Synthetic samples from the pool, per class, in pool order.
    pool_of: dict[Label, list[int]] = {}
    for index, label in enumerate(pool):
        pool_of.setdefault(label, []).append(index)
    used = dict.fromkeys(pool_of, 0)
    wanted: dict[Label, int] = {}
    if recipe.synthetic_per_class:
        wanted = dict.fromkeys(pool_of, recipe.synthetic_per_class)
    elif recipe.synthetic_share and pool_of:
        base = sum(len(m) for m in train_of.values()) + sum(len(a) for a in augmented.values())
        total = round(recipe.synthetic_share * base / (1.0 - recipe.synthetic_share))
        classes = sorted(pool_of, key=_sort_key)
        weights = [len(train_of.get(c, [])) + len(augmented.get(c, [])) for c in classes]
        if not any(weights):
            weights = [1] * len(classes)
        fractions = [w / sum(weights) for w in weights]
        wanted = dict(zip(classes, _apportion(total, fractions, [0.0] * len(classes)), strict=True))
    for label in sorted(wanted, key=_sort_key):
        take = min(wanted[label], len(pool_of[label]))
        if take < wanted[label]:
            notes.append(
                f"Class {class_key(label)}: {wanted[label]:,} synthetic samples asked for, "
                f"{len(pool_of[label]):,} in the pool."
            )
        used[label] = take
    if (recipe.synthetic_per_class or recipe.synthetic_share) and not pool and recipe.include_synthetic:
        notes.append("Synthetic samples were asked for but the synthetic pool is empty.")

    # 4. Balance the labelled train classes.
    if recipe.balance != "none":
        sizes = {
            label: len(train_of.get(label, [])) + len(augmented.get(label, [])) + used.get(label, 0)
            for label in set(train_of) | {c for c in used if used[c]}
            if label is not None
        }
        target = max(sizes.values(), default=0)
        for label in sorted(sizes, key=_sort_key):
            deficit = target - sizes[label]
            if deficit <= 0:
                continue
            spare = len(pool_of.get(label, [])) - used.get(label, 0)
            if recipe.balance == "synthetic":
                from_pool = min(deficit, spare)
            elif recipe.balance == "both":
                from_pool = min((deficit + 1) // 2, spare)
            else:
                from_pool = 0
            used[label] = used.get(label, 0) + from_pool
            rest = deficit - from_pool
            members = train_of.get(label, [])
            if recipe.balance in ("augmented", "both") and rest and members:
                extra = []
                for j in range(rest):
                    extra.append((members[j % len(members)], next_variant[label] + j // len(members)))
                augmented[label].extend(extra)
                next_variant[label] += -(-rest // len(members))
                rest = 0
            if rest:
                notes.append(
                    f"Class {class_key(label)}: {rest:,} short of the largest train class "
                    f"({target:,}); not enough {'synthetic samples' if members else 'train originals'} "
                    "to balance it."
                )

    synthetic = {label: pool_of[label][:n] for label, n in used.items() if n}

    # 5. The cap: synthetic first, then augmented, from the fullest classes, latest-added first.
    if recipe.max_total is not None:
        excess = len(labels) + sum(map(len, augmented.values())) + sum(map(len, synthetic.values()))
        excess -= recipe.max_total
        for group in (synthetic, augmented):
            if excess <= 0:
                break
            cut = _water_fill({label: len(v) for label, v in group.items()}, excess)
            for label, n in cut.items():
                if n:
                    group[label] = group[label][: len(group[label]) - n]
                excess -= n

    # Order: split, class, source, then index (and variant).
    originals: dict[tuple[str, Label], list[int]] = {}
    for index, (label, split) in enumerate(zip(labels, splits, strict=True)):
        originals.setdefault((split, label), []).append(index)
    items: list[PlannedItem] = []
    all_labels = set(labels) | set(synthetic)
    digits = max(6, len(str(max(len(labels), len(pool)))))
    ext = ".png" if recipe.kind == "images" else ""
    for split in SPLITS:
        for label in sorted(all_labels, key=_sort_key):
            items.extend(
                PlannedItem(split, label, "original", i, None, None, f"{i:0{digits}d}{ext}")
                for i in originals.get((split, label), [])
            )
            if split != "train":
                continue
            items.extend(
                PlannedItem(split, label, "augmented", i, v, None, f"{i:0{digits}d}_v{v}{ext}")
                for i, v in sorted(augmented.get(label, []))
            )
            items.extend(
                PlannedItem(split, label, "synthetic", None, None, j, f"syn_{j:0{digits}d}{ext}")
                for j in sorted(synthetic.get(label, []))
            )
    return Plan(
        kind=recipe.kind,
        items=tuple(items),
        folders=folder_names(all_labels),
        notes=tuple(notes),
    )
