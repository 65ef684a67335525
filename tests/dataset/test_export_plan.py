"""Tests for core.dataset.plan: the plan's promises (stratified split, no leakage, balance, caps, names).

Expected values are computed here from the labels and the recipe (counts, fractions), never read back
from the code under test.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.data.split import stratified_split
from core.dataset.plan import folder_names, plan
from core.dataset.recipe import BALANCE, Recipe
from core.errors import ConfigError


def splits_of(labels, seed, fractions):
    """The split of each original, as the plan decides it (read from its original items)."""
    result = plan(Recipe(seed=seed, split=fractions), labels)
    by_parent = {i.parent: i.split for i in result.items if i.source == "original"}
    return [by_parent[k] for k in range(len(labels))]


# --------------------------------------------------------------------------------------------------
# Split


@pytest.mark.parametrize(
    ("sizes", "fractions"),
    [
        ({"a": 100, "b": 37, "c": 5}, (0.8, 0.1, 0.1)),  # the default, classes of very different sizes
        ({"a": 10, "b": 10, "c": 10, "d": 10}, (0.5, 0.25, 0.25)),  # fractions that divide evenly
        ({"a": 3, "b": 1, None: 7}, (0.6, 0.2, 0.2)),  # tiny classes and unlabelled examples
        ({"x": 50, "y": 51}, (1.0, 0.0, 0.0)),  # everything in train
        ({"x": 13}, (0.0, 0.5, 0.5)),  # no train at all; an odd class
    ],
)
def test_split_is_stratified_within_one_example(sizes, fractions):
    labels = [label for label, n in sizes.items() for _ in range(n)]
    splits = splits_of(labels, 7, fractions)
    got = Counter(zip(labels, splits, strict=True))
    for label, n in sizes.items():
        for split, fraction in zip(("train", "val", "test"), fractions, strict=True):
            assert abs(got[(label, split)] - fraction * n) < 1, (label, split)


def test_split_depends_on_seed_and_class_only():
    labels = ["a"] * 30 + ["b"] * 20
    assert splits_of(labels, 1, (0.8, 0.1, 0.1)) == splits_of(labels, 1, (0.8, 0.1, 0.1))
    assert splits_of(labels, 1, (0.8, 0.1, 0.1)) != splits_of(labels, 2, (0.8, 0.1, 0.1))
    # Adding a class leaves the other classes' split where it was.
    more = splits_of([*labels, "c", "c", "c"], 1, (0.8, 0.1, 0.1))
    assert more[:50] == splits_of(labels, 1, (0.8, 0.1, 0.1))


def test_ties_alternate_between_val_and_test():
    # Classes of 5 with 0.8/0.1/0.1: each split deserves 0.5 per class; the half-examples alternate.
    labels = [str(c) for c in range(10) for _ in range(5)]
    splits = Counter(splits_of(labels, 0, (0.8, 0.1, 0.1)))
    assert splits == {"train": 40, "val": 5, "test": 5}


@pytest.mark.parametrize(
    ("labels", "seed", "fractions"),
    [
        (["a"] * 30 + ["b"] * 20 + [None] * 5, 0, (0.8, 0.1, 0.1)),  # the default, with unlabelled examples
        ([str(k % 7) for k in range(200)], 2**63 - 1, (0.6, 0.2, 0.2)),  # the largest seed
    ],
)
def test_the_plan_splits_with_the_one_stratified_splitter(labels, seed, fractions):
    # Pages, the CLI and recipes must split alike: the plan delegates to core.data.split.
    assert splits_of(labels, seed, fractions) == stratified_split(
        labels, seed, fractions, ("train", "val", "test")
    )


# --------------------------------------------------------------------------------------------------
# Plan


def by(plan_, **match):
    return [i for i in plan_.items if all(getattr(i, k) == v for k, v in match.items())]


labels_strategy = st.lists(st.sampled_from(["a", "b", "c", "d", None]), min_size=1, max_size=60)
fractions_strategy = st.sampled_from([(0.8, 0.1, 0.1), (0.6, 0.2, 0.2), (1.0, 0.0, 0.0), (0.34, 0.33, 0.33)])


@settings(max_examples=150, deadline=None)
@given(
    labels=labels_strategy,
    pool=st.lists(st.sampled_from(["a", "b", "c", "e", None]), max_size=30),
    fractions=fractions_strategy,
    variants=st.integers(0, 4),
    balance=st.sampled_from(BALANCE),
    per_class=st.integers(0, 6),
    include=st.booleans(),
    seed=st.integers(0, 2**63 - 1),
)
def test_no_leakage(labels, pool, fractions, variants, balance, per_class, include, seed):
    recipe = Recipe(
        seed=seed,
        variants_per_original=variants,
        balance=balance,
        synthetic_per_class=per_class,
        include_synthetic=include,
        split=fractions,
    )
    result = plan(recipe, labels, pool)
    originals = {i.parent: i.split for i in result.items if i.source == "original"}
    # Every original exactly once, with its own label.
    assert sorted(originals) == list(range(len(labels)))
    assert all(i.label == labels[i.parent] for i in result.items if i.source != "synthetic")
    for item in result.items:
        if item.source == "augmented":
            assert item.split == "train" and originals[item.parent] == "train"
        if item.source == "synthetic":
            assert include and item.split == "train" and item.label == pool[item.synthetic_index]
    # No synthetic sample twice; names unique within each class folder.
    used = [i.synthetic_index for i in result.items if i.source == "synthetic"]
    assert len(used) == len(set(used))
    paths = [result.path(i) for i in result.items]
    assert len(paths) == len(set(paths))
    # Same inputs, same plan.
    assert plan(recipe, labels, pool) == result


@pytest.mark.parametrize(
    ("balance", "pool", "expect_sources"),
    [
        ("augmented", [], {"augmented"}),  # extra variants only
        ("synthetic", ["b"] * 60 + ["c"] * 60, {"synthetic"}),  # from the pool only
        ("both", ["b"] * 60 + ["c"] * 60, {"augmented", "synthetic"}),  # half from each
    ],
)
def test_balance_tops_up_every_train_class(balance, pool, expect_sources):
    labels = ["a"] * 40 + ["b"] * 12 + ["c"] * 5
    recipe = Recipe(variants_per_original=1, balance=balance)
    result = plan(recipe, labels, pool)
    train = Counter(i.label for i in by(result, split="train"))
    # The largest train class: 32 originals of "a" (0.8 x 40) plus one variant each.
    assert train == {"a": 64, "b": 64, "c": 64}
    # Top-ups: variants numbered after the regular one (variant 0), or synthetic samples.
    top_ups = {
        "augmented" if i.source == "augmented" else "synthetic"
        for i in by(result, split="train")
        if i.source == "synthetic" or (i.source == "augmented" and i.variant > 0)
    }
    assert top_ups == expect_sources
    if balance == "both":  # c is 8 short of 64 by 56: 28 from the pool, 28 extra variants
        assert len(by(result, label="c", source="synthetic")) == 28


def test_balance_with_too_few_synthetic_says_so():
    labels = ["a"] * 20 + ["b"] * 5
    result = plan(Recipe(balance="synthetic"), labels, ["b"] * 3)
    train = Counter(i.label for i in by(result, split="train"))
    assert train == {"a": 16, "b": 4 + 3}
    assert any("Class b" in note and "short" in note for note in result.notes)


def test_balance_ignores_unlabelled_examples():
    labels = ["a"] * 10 + [None] * 50
    result = plan(Recipe(balance="augmented"), labels)
    assert not by(result, source="augmented")  # one labelled class is already the largest


def test_synthetic_per_class_and_share():
    labels = ["a"] * 50 + ["b"] * 50
    pool = ["a"] * 30 + ["b"] * 30
    per_class = plan(Recipe(synthetic_per_class=7), labels, pool)
    assert Counter(i.label for i in by(per_class, source="synthetic")) == {"a": 7, "b": 7}
    # Pool order: the first 7 of each class.
    assert [i.synthetic_index for i in by(per_class, source="synthetic", label="b")] == list(range(30, 37))
    share = plan(Recipe(synthetic_share=0.2), labels, pool)
    train = by(share, split="train")
    assert sum(i.source == "synthetic" for i in train) == 20  # 80 real + 20 synthetic: 20 %
    excluded = plan(Recipe(synthetic_per_class=7, include_synthetic=False), labels, pool)
    assert not by(excluded, source="synthetic")


@pytest.mark.parametrize(
    ("cap", "synthetic", "augmented"),
    [
        (None, 20, 160),  # no cap: 100 originals, 80 train x 2 variants, 10 synthetic per class
        (270, 10, 160),  # the cap takes synthetic samples first, evenly: 5 per class left
        (200, 0, 100),  # then augmented variants: 50 per class left
        (100, 0, 0),  # down to the originals, never below
    ],
)
def test_cap_trims_synthetic_then_augmented_evenly(cap, synthetic, augmented):
    labels = ["a"] * 50 + ["b"] * 50
    recipe = Recipe(variants_per_original=2, synthetic_per_class=10, max_total=cap)
    result = plan(recipe, labels, ["a"] * 10 + ["b"] * 10)
    assert len(result) == min(cap or 10**9, 280)
    assert result.total(source="original") == 100
    assert result.total(source="synthetic") == synthetic
    assert result.total(source="augmented") == augmented
    for source in ("synthetic", "augmented"):
        per = Counter(i.label for i in by(result, source=source))
        assert per["a"] == per["b"]
    if augmented == 100:  # the highest variants go first: every train original keeps variant 0
        assert {i.variant for i in by(result, source="augmented")} == {0, 1}
        assert len({i.parent for i in by(result, source="augmented", variant=0)}) == 80


def test_cap_below_originals_is_refused():
    with pytest.raises(ConfigError, match="originals are never dropped; raise max_total to at least 10"):
        plan(Recipe(max_total=9), ["a"] * 10)


def test_counts_lists_every_split_class_and_source():
    result = plan(Recipe(variants_per_original=1), ["a"] * 10 + ["b"] * 10)
    counts = result.counts()
    assert counts["train"]["a"] == {"original": 8, "augmented": 8, "synthetic": 0}
    assert counts["val"]["b"] == {"original": 1, "augmented": 0, "synthetic": 0}
    assert sum(n for split in counts.values() for c in split.values() for n in c.values()) == len(result)


def test_names_are_stable_and_paths_safe():
    result = plan(Recipe(variants_per_original=1), ["a/b", "..", "Cat", "cat", None, None])
    folders = set(result.folders.values())
    assert folders == {"a_b", "_..", "Cat", "cat~2", "unlabelled"}
    assert folder_names(["x", None]) == {"x": "x", None: "unlabelled"}
    names = {i.name for i in by(result, source="augmented")}
    assert all(n.endswith("_v0.png") and n[:6].isdigit() for n in names)


def test_labels_must_be_strings():
    with pytest.raises(ConfigError, match="must hold strings or None"):
        plan(Recipe(), [1, 2, 3])
