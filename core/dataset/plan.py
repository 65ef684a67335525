"""Blend real, augmented and synthetic examples into one dataset: the plan, no pixels.

:func:`plan` turns a :class:`~core.dataset.recipe.Recipe` and the labels of the originals and of the
synthetic pool into a list of :class:`PlannedItem` without decoding anything; :mod:`core.dataset.writer`
then computes and writes the items one at a time.

Rules the plan keeps, whatever the recipe:

- the split is stratified by class over the ORIGINALS only, with exact per-class counts
  (:func:`core.data.split.stratified_split`, so pages, the CLI and recipes split alike);
- augmented variants are made from train originals only, and synthetic samples go to train only, so
  no validation or test example has a relative in train (no leakage);
- originals are never dropped (a cap below their number is refused);
- the plan depends on ``(recipe, labels)`` alone: the same inputs give the same plan.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from core.data.labels import UNLABELLED
from core.data.split import apportion, label_order, stratified_split
from core.dataset.mixing import MixSpec, assign_mixes
from core.dataset.recipe import SOURCES, SPLITS, Recipe
from core.errors import ConfigError

UNLABELLED_FOLDER = "unlabelled"
"""The class folder of examples without a label in an exported image dataset."""

Label = str | None


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
        name: File name (images) or row id, stable for the same recipe and labels.
        mix: How an augmented image is mixed with another (:class:`core.dataset.mixing.MixSpec`), or
            None; a mixed item's ``label`` is its majority label.
    """

    split: str
    label: Label
    source: str
    parent: int | None
    variant: int | None
    synthetic_index: int | None
    name: str
    mix: MixSpec | None = None


def class_key(label: Label) -> str:
    """The name a class is counted under: the label, or :data:`core.data.labels.UNLABELLED`."""
    return UNLABELLED if label is None else label


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
    classes = sorted(set(labels), key=label_order)
    return {
        split: {class_key(c): {s: tally[(split, c, s)] for s in SOURCES} for c in classes} for split in SPLITS
    }


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

    ``/``, ``\\``, ``:*?"<>|`` and control characters become ``_``; a leading dot or a reserved
    Windows name gets a ``_`` before it (hidden folders are skipped by many loaders); unlabelled
    examples go to ``unlabelled``. Clashes get a ``~2``, ``~3``, ... suffix, labels taking precedence
    in sorted order.
    """
    out: dict[Label, str] = {}
    taken: set[str] = set()
    for label in sorted(set(labels), key=label_order):
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
    # 1. Binary search for the lowest level L whose cut-down (everything above L) removes <= `remove`.
    low, high = 0, max(counts.values())
    while low < high:
        mid = (low + high) // 2
        if sum(max(0, c - mid) for c in counts.values()) <= remove:
            high = mid
        else:
            low = mid + 1
    level = low
    # 2. Cut every class down to L, then one more from classes at L, first in sorted order.
    cut = {k: max(0, c - level) for k, c in counts.items()}
    left = remove - sum(cut.values())
    for label in sorted(counts, key=label_order):
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
        1. Split the originals, stratified by class: ``stratified_split(labels, recipe.seed,
           recipe.split, ("train", "val", "test"))``.
        2. Make ``variants_per_original`` augmented variants of each TRAIN original.
        3. If synthetic samples are included, take ``synthetic_per_class`` of each class from the pool
           (pool order), or enough for ``synthetic_share`` of the train split, shared between the
           pool's classes in proportion to their train size.
        4. Balance: top up every labelled train class to the largest one with extra variants
           (variant numbers after the regular ones, round-robin over the class's train originals)
           and/or unused synthetic samples of that class.
        5. Cap: remove synthetic items, then augmented ones, from the classes that have the most,
           latest-added first, until the total is at most ``max_total``.
        6. Mixing (images): each augmented item is mixed with probability ``mixing_p``
           (:func:`core.dataset.mixing.assign_mixes`) and moves to the class of its majority label.

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
    splits = stratified_split(labels, recipe.seed, recipe.split, SPLITS)
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
        classes = sorted(pool_of, key=label_order)
        weights = [len(train_of.get(c, [])) + len(augmented.get(c, [])) for c in classes]
        if not any(weights):
            weights = [1] * len(classes)
        fractions = [w / sum(weights) for w in weights]
        wanted = dict(zip(classes, apportion(total, fractions, [0.0] * len(classes)), strict=True))
    for label in sorted(wanted, key=label_order):
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
        notes.extend(_balance(recipe.balance, train_of, augmented, next_variant, pool_of, used))

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

    # 6. Mixing: after the cap, so the counts the recipe asked for stand; mixed items change class only.
    train = [i for members in train_of.values() for i in members]
    mixes = assign_mixes(
        recipe.seed, recipe.mixing, recipe.mixing_p, recipe.mixing_alpha, augmented, labels, train
    )
    return _ordered(recipe.kind, labels, splits, augmented, synthetic, len(pool), notes, mixes)


def _balance(
    balance: str,
    train_of: dict[Label, list[int]],
    augmented: dict[Label, list[tuple[int, int]]],
    next_variant: dict[Label, int],
    pool_of: dict[Label, list[int]],
    used: dict[Label, int],
) -> list[str]:
    """Top up every labelled train class to the largest one, in place; the notes on what fell short."""
    notes = []
    sizes = {
        label: len(train_of.get(label, [])) + len(augmented.get(label, [])) + used.get(label, 0)
        for label in set(train_of) | {c for c in used if used[c]}
        if label is not None
    }
    target = max(sizes.values(), default=0)
    for label in sorted(sizes, key=label_order):
        deficit = target - sizes[label]
        if deficit <= 0:
            continue
        spare = len(pool_of.get(label, [])) - used.get(label, 0)
        if balance == "synthetic":
            from_pool = min(deficit, spare)
        elif balance == "both":
            from_pool = min((deficit + 1) // 2, spare)
        else:
            from_pool = 0
        used[label] = used.get(label, 0) + from_pool
        rest = deficit - from_pool
        members = train_of.get(label, [])
        if balance in ("augmented", "both") and rest and members:
            augmented[label].extend(
                (members[j % len(members)], next_variant[label] + j // len(members)) for j in range(rest)
            )
            next_variant[label] += -(-rest // len(members))
            rest = 0
        if rest:
            notes.append(
                f"Class {class_key(label)}: {rest:,} short of the largest train class "
                f"({target:,}); not enough {'synthetic samples' if members else 'train originals'} "
                "to balance it."
            )
    return notes


def _ordered(
    kind: str,
    labels: list[Label],
    splits: list[str],
    augmented: dict[Label, list[tuple[int, int]]],
    synthetic: dict[Label, list[int]],
    pool_size: int,
    notes: list[str],
    mixes: dict[tuple[int, int], MixSpec] | None = None,
) -> Plan:
    """The plan's items in order: split, class, source, then index (and variant)."""
    originals: dict[tuple[str, Label], list[int]] = {}
    for index, (label, split) in enumerate(zip(labels, splits, strict=True)):
        originals.setdefault((split, label), []).append(index)
    items: list[PlannedItem] = []
    mixed = mixes or {}
    all_labels = set(labels) | set(synthetic)
    digits = max(6, len(str(max(len(labels), pool_size))))
    ext = ".png" if kind == "images" else ""
    for split in SPLITS:
        for label in sorted(all_labels, key=label_order):
            items.extend(
                PlannedItem(split, label, "original", i, None, None, f"{i:0{digits}d}{ext}")
                for i in originals.get((split, label), [])
            )
            if split != "train":
                continue
            for i, v in sorted(augmented.get(label, [])):
                mix = mixed.get((i, v))
                # A mixed image's name holds both parents.
                tail = "" if mix is None else f"_{mix.kind}{mix.partner:0{digits}d}"
                name = f"{i:0{digits}d}_v{v}{tail}{ext}"
                items.append(PlannedItem(split, label, "augmented", i, v, None, name, mix))
            items.extend(
                PlannedItem(split, label, "synthetic", None, None, j, f"syn_{j:0{digits}d}{ext}")
                for j in sorted(synthetic.get(label, []))
            )
    return Plan(kind=kind, items=tuple(items), folders=folder_names(all_labels), notes=tuple(notes))
