"""Which examples each fit trains and is tested on: the split, the nested subsets, the arms. No pixels.

Per repeat ``r`` (the unit of replication):

1. The real originals are split once, stratified by class, into train and test
   (:func:`core.data.split.stratified_split` with the seed ``derive_seed(seed, "experiment", "split", r)``).
   The test part is real originals only: no augmented variant of any original and no synthetic
   sample is ever tested on, and no variant of a test original is ever trained on (variants are made
   of training originals only), the export's no-leakage rule.
2. Each class's train originals are shuffled once with the stream ``(seed, "experiment", "subset", r,
   class)``; a size takes the first ``n_c(size)`` of them, so the subsets are nested (the 10% subset
   is inside the 25% one) and every arm of one size starts from the very same originals.
3. An arm's training set is that subset, then (``+augmented``) ``k`` variants of EACH subset original,
   variant ``v`` of original ``i`` being exactly the export's ``augment(image, config, seed, i, v)``
   (the same pixels as the preview and the exported archive), then (``+synthetic``) for each class
   ``synthetic_per_original x n_c(size)`` synthetic samples of that class, the first ones of the class's
   pool shuffled with the stream ``(seed, "experiment", "synthetic", r, class)`` (nested across sizes
   too; fewer when the pool runs out, with a note).

Counts per class are the same in every repeat (the split's and the subsets' counts depend on the class
sizes only), so the data checks below run once, before any training.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from core.data.split import stratified_split
from core.errors import AugLabError
from core.experiment.recipe import ExperimentRecipe, uses_augmented, uses_synthetic
from core.seeding import derive_seed, numpy_rng

PARTS = ("train", "test")
ORIGINAL, AUGMENTED, SYNTHETIC = "original", "augmented", "synthetic"
MAX_NAMED = 5  # classes named in one message


class ExperimentError(AugLabError):
    """The data cannot support the experiment as asked (no labels, one class, a class too small)."""


@dataclass(frozen=True)
class Item:
    """One training example of an arm, before anything is computed.

    Attributes:
        source: ``"original"``, ``"augmented"`` or ``"synthetic"``.
        index: The original's position in the input order (originals and their variants), or the
            synthetic sample's position in the pool.
        variant: The augmentation variant (augmented items only).
        label: The class.
    """

    source: str
    index: int
    variant: int | None
    label: str


@dataclass(frozen=True)
class SizePlan:
    """One learning-curve point: how many train originals per class, variants and synthetic samples.

    Attributes:
        value: The recipe's size (a fraction, or a count per class).
        per_class: Train originals per class at this size.
        variants: Augmented variants per original.
        synthetic_per_class: Synthetic samples wanted per class.
    """

    value: float | int
    per_class: dict[str, int]
    variants: int
    synthetic_per_class: dict[str, int]

    @property
    def originals(self) -> int:
        """Real training examples in all."""
        return sum(self.per_class.values())


@dataclass(frozen=True)
class RepeatPlan:
    """The split of one repeat and, per class, the order in which sizes take train originals.

    Attributes:
        repeat: The repeat's number (0, 1, ...).
        train: Indices of the train originals, in input order.
        test: Indices of the test originals, in input order.
        order: Class -> its train originals, shuffled (a size takes a prefix).
        synthetic_order: Class -> pool indices of its synthetic samples, shuffled.
    """

    repeat: int
    train: tuple[int, ...]
    test: tuple[int, ...]
    order: dict[str, tuple[int, ...]]
    synthetic_order: dict[str, tuple[int, ...]]

    def subset(self, size: SizePlan) -> list[int]:
        """The train originals of ``size``, class by class (sorted classes), each in shuffled order."""
        return [i for label in sorted(size.per_class) for i in self.order[label][: size.per_class[label]]]


def _named(labels: Sequence[str]) -> str:
    shown = ", ".join(repr(label) for label in labels[:MAX_NAMED])
    return shown + (f" and {len(labels) - MAX_NAMED} more" if len(labels) > MAX_NAMED else "")


def check_labels(labels: Sequence[str | None], names: Sequence[str]) -> list[str]:
    """The classes, sorted, once the data is known to suit an experiment.

    Args:
        labels: One label per original (None: unlabelled).
        names: One name per original, for messages.

    Raises:
        ExperimentError: No examples, unlabelled examples, or fewer than two classes.
    """
    if not labels:
        raise ExperimentError("There is nothing to experiment on: the inputs hold no example.")
    unlabelled = [name for name, label in zip(names, labels, strict=True) if label is None]
    if unlabelled:
        raise ExperimentError(
            f"An experiment needs a label on every example, and {len(unlabelled):,} of {len(labels):,} "
            f"have none (e.g. {unlabelled[0]}). Give images in one folder per class, or a CSV with a "
            "label column."
        )
    classes = sorted({str(label) for label in labels})
    if len(classes) < 2:
        raise ExperimentError(
            f"An experiment needs at least two classes to tell apart, and every example is labelled "
            f"{classes[0]!r}. Add examples of another class."
        )
    return classes


def split_counts(labels: Sequence[str], recipe: ExperimentRecipe) -> tuple[dict[str, int], dict[str, int]]:
    """Train and test originals per class (the same in every repeat: the split's counts depend on the
    class sizes only).

    Raises:
        ExperimentError: A class left without a test example or without a training example.
    """
    plan = plan_repeat(labels, recipe, 0)
    classes = sorted(set(labels))
    train_tally, test_tally = Counter(labels[i] for i in plan.train), Counter(labels[i] for i in plan.test)
    train = {c: train_tally[c] for c in classes}
    test = {c: test_tally[c] for c in classes}
    short = [c for c in classes if not train[c] or not test[c]]
    if short:
        sizes = Counter(labels)
        need = max(2, math.ceil(1.0 / min(recipe.test_fraction, 1.0 - recipe.test_fraction)))
        detail = ", ".join(f"{c!r} has {sizes[c]:,}" for c in short[:MAX_NAMED])
        raise ExperimentError(
            f"Some classes are too small to split into train and test with test_fraction "
            f"{recipe.test_fraction:g} ({detail}); with {need} examples or more a class is sure to have one "
            "of each. Add examples to those classes, remove them, or change test_fraction."
        )
    return train, test


def size_plans(train_counts: dict[str, int], recipe: ExperimentRecipe) -> list[SizePlan]:
    """The learning-curve points, smallest first: originals, variants and synthetic samples per class.

    A fraction ``f`` keeps ``floor(f * n_c + 1/2)`` of a class's ``n_c`` train originals (rounded half
    up); a count per class keeps that many.

    Raises:
        ExperimentError: A size that leaves a class without any training example, or asks for more
            originals per class than a class has.
    """
    plans = []
    for value in recipe.size_values:
        if recipe.size_unit == "per_class":
            too_small = [c for c, n in train_counts.items() if n < value]
            if too_small:
                raise ExperimentError(
                    f"per_class {value} asks for more train originals than {len(too_small)} class(es) have "
                    f"({_named(too_small)}: {min(train_counts[c] for c in too_small):,} at the least); "
                    f"choose at most {min(train_counts.values()):,}, or sizes as fractions."
                )
            per_class = dict.fromkeys(sorted(train_counts), int(value))
        else:
            per_class = {c: math.floor(value * n + 0.5) for c, n in sorted(train_counts.items())}
            empty = [c for c, n in per_class.items() if n == 0]
            if empty:
                smallest = min(train_counts[c] for c in empty)
                raise ExperimentError(
                    f"Size {value:g} leaves {len(empty)} class(es) without a training example "
                    f"({_named(empty)}; the smallest has {smallest:,} train originals). Use a size of at "
                    f"least {math.ceil(0.5 / smallest * 1000) / 1000:g}, or add examples to those classes."
                )
        variants = recipe.variants_for(sum(per_class.values()))
        per_original = recipe.synthetic_for(variants)
        synthetic = {c: per_original * n for c, n in per_class.items()}
        plans.append(SizePlan(value, per_class, variants, synthetic))
    return plans


def plan_repeat(
    labels: Sequence[str], recipe: ExperimentRecipe, repeat: int, synthetic_labels: Sequence[str | None] = ()
) -> RepeatPlan:
    """The split and the shuffled orders of repeat ``repeat`` (see the module docstring, steps 1-2)."""
    seed = derive_seed(recipe.seed, "experiment", "split", repeat)
    parts = stratified_split(labels, seed, (1.0 - recipe.test_fraction, recipe.test_fraction), PARTS)
    train = tuple(i for i, part in enumerate(parts) if part == "train")
    test = tuple(i for i, part in enumerate(parts) if part == "test")
    order: dict[str, tuple[int, ...]] = {}
    for label in sorted(set(labels)):
        members = [i for i in train if labels[i] == label]
        rng = numpy_rng(recipe.seed, "experiment", "subset", repeat, label)
        order[label] = tuple(members[j] for j in rng.permutation(len(members)).tolist())
    synthetic_order: dict[str, tuple[int, ...]] = {}
    for label in sorted(set(order)):
        members = [j for j, sl in enumerate(synthetic_labels) if sl == label]
        rng = numpy_rng(recipe.seed, "experiment", "synthetic", repeat, label)
        synthetic_order[label] = tuple(members[j] for j in rng.permutation(len(members)).tolist())
    return RepeatPlan(repeat, train, test, order, synthetic_order)


def training_items(plan: RepeatPlan, size: SizePlan, arm: str, labels: Sequence[str]) -> list[Item]:
    """The training set of ``arm`` at ``size`` in repeat ``plan.repeat`` (module docstring, step 3).

    Items come originals first (class by class), then variants (variant-major), then synthetic
    samples (class by class); the order only matters for identity checks: batches are shuffled.
    """
    subset = plan.subset(size)
    items = [Item(ORIGINAL, i, None, labels[i]) for i in subset]
    if uses_augmented(arm):
        items.extend(Item(AUGMENTED, i, v, labels[i]) for v in range(size.variants) for i in subset)
    if uses_synthetic(arm):
        for label in sorted(size.synthetic_per_class):
            pool = plan.synthetic_order.get(label, ())
            items.extend(Item(SYNTHETIC, j, None, label) for j in pool[: size.synthetic_per_class[label]])
    return items


def synthetic_shortfall(plan: RepeatPlan, sizes: Sequence[SizePlan]) -> list[str]:
    """Sentences naming the classes whose synthetic pool is smaller than a size asks for."""
    notes = []
    for size in sizes:
        for label, wanted in size.synthetic_per_class.items():
            have = len(plan.synthetic_order.get(label, ()))
            if have < wanted:
                notes.append(
                    f"Size {size.value:g}, class {label!r}: {wanted:,} synthetic samples wanted, "
                    f"{have:,} in the pool; all {have:,} are used."
                )
    return notes
