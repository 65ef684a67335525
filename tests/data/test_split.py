"""Tests for core.data.split: stratified splits within one example of the exact share per class, a
class's split independent of the other classes, the same split in every process, and checked fractions.

Expected counts are worked out here with math.floor / math.ceil of fraction * n, never with the module's
own apportionment.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from core.data.split import apportion, check_fractions, label_order, stratified_split
from core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
PARTS = ("train", "val", "test")


def by_class(labels: list, parts: list[str]) -> dict:
    """Label -> Counter of parts."""
    out: dict = {}
    for label, part in zip(labels, parts, strict=True):
        out.setdefault(label, Counter())[part] += 1
    return out


def class_parts(labels: list, parts: list[str], label: str | None) -> list[str]:
    """The parts of one class's examples, in input order."""
    return [part for lab, part in zip(labels, parts, strict=True) if lab == label]


@pytest.mark.parametrize(
    ("sizes", "fractions"),
    [
        ({"cat": 10, "dog": 10}, (0.8, 0.1, 0.1)),  # exact shares: 8 / 1 / 1 each
        ({"a": 7, "b": 13, "c": 1, "d": 2}, (0.7, 0.15, 0.15)),  # shares that are not whole
        ({"x": 101, None: 33}, (0.6, 0.2, 0.2)),  # an unlabelled class splits too
        ({"only": 5}, (1.0, 0.0, 0.0)),  # everything in train
        ({"p": 9, "q": 4}, (0.0, 0.5, 0.5)),  # no train at all
        ({str(k): k + 1 for k in range(12)}, (1 / 3, 1 / 3, 1 / 3)),  # thirds
    ],
)
@pytest.mark.parametrize("seed", [0, 7, 2**40])
def test_every_part_of_every_class_is_within_one_of_its_exact_share(
    sizes: dict, fractions: tuple[float, ...], seed: int
) -> None:
    labels = [label for label, n in sizes.items() for _ in range(n)]
    parts = stratified_split(labels, seed, fractions, PARTS)
    assert len(parts) == len(labels) and set(parts) <= set(PARTS)
    counts = by_class(labels, parts)
    for label, n in sizes.items():
        for part, fraction in zip(PARTS, fractions, strict=True):
            exact = fraction * n
            assert math.floor(exact + 1e-9) <= counts[label][part] <= math.ceil(exact - 1e-9), (label, part)


def test_a_class_split_ignores_the_other_classes() -> None:
    # 20 cats at 0.5 / 0.25 / 0.25 split exactly 10 / 5 / 5, so nothing is left to the tie-breaks: which
    # cat goes where may depend only on the seed and the cats, not on dogs, birds or where they sit.
    cats = ["cat"] * 20
    alone = class_parts(cats, stratified_split(cats, 3, (0.5, 0.25, 0.25), PARTS), "cat")
    others = [
        ["dog"] * 7 + cats,  # another class first
        cats + ["bird"] * 30 + [None] * 3,  # other classes after, one unlabelled
        [x for pair in zip(cats, ["dog"] * 20, strict=True) for x in pair],  # interleaved
        ["aardvark"] * 11 + cats,  # a class that sorts before "cat"
    ]
    for labels in others:
        parts = stratified_split(labels, 3, (0.5, 0.25, 0.25), PARTS)
        assert class_parts(labels, parts, "cat") == alone
    assert Counter(alone) == {"train": 10, "val": 5, "test": 5}


def test_the_same_seed_gives_the_same_split_and_another_seed_another() -> None:
    labels = [f"c{i % 3}" for i in range(300)]
    first = stratified_split(labels, 11, (0.7, 0.15, 0.15), PARTS)
    assert stratified_split(labels, 11, (0.7, 0.15, 0.15), PARTS) == first
    assert stratified_split(labels, 12, (0.7, 0.15, 0.15), PARTS) != first


_CHILD = """
import json, sys
from core.data.split import stratified_split
labels = [f"c{i % 3}" if i % 7 else None for i in range(200)]
print(json.dumps(stratified_split(labels, 5, (0.6, 0.2, 0.2), ("train", "val", "test"))))
"""


def test_the_split_is_the_same_in_other_processes_whatever_their_hash_seed() -> None:
    labels = [f"c{i % 3}" if i % 7 else None for i in range(200)]
    here = stratified_split(labels, 5, (0.6, 0.2, 0.2), PARTS)
    for hash_seed in ("1", "2"):  # str hashes differ between these processes
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", _CHILD], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
        assert json.loads(out.stdout) == here


@pytest.mark.parametrize(
    ("fractions", "fragment"),
    [
        ((0.8, 0.2), "needs 3 fractions"),  # one missing
        ("0.8,0.1,0.1", "needs 3 fractions"),  # a string is not a list of numbers
        ((0.8, 0.3, -0.1), "test fraction"),  # negative
        ((1.5, -0.25, -0.25), "train fraction"),  # above 1
        ((0.5, 0.2, 0.2), "add up to 1"),  # sums to 0.9
        ((0.8, float("nan"), 0.2), "val fraction"),  # not a number
        ((0.8, True, 0.2), "val fraction"),  # a bool is not a fraction
    ],
)
def test_bad_fractions_are_config_errors(fractions, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        check_fractions(fractions, PARTS)
    with pytest.raises(ConfigError, match=fragment):
        stratified_split(["a", "b"], 0, fractions, PARTS)


def test_good_fractions_come_back_as_floats() -> None:
    assert check_fractions([1, 0, 0], PARTS) == (1.0, 0.0, 0.0)
    assert all(type(v) is float for v in check_fractions((0.7, 0.15, 0.15), PARTS))


@pytest.mark.parametrize(
    ("n", "fractions"),
    [
        (10, (0.7, 0.15, 0.15)),  # 7 / 1.5 / 1.5
        (1, (0.5, 0.25, 0.25)),  # one seat
        (0, (0.5, 0.5)),  # none
        (97, (0.34, 0.33, 0.33)),  # a prime
    ],
)
def test_apportion_shares_every_seat_within_one_of_its_exact_share(n: int, fractions: tuple) -> None:
    counts = apportion(n, fractions, [0.0] * len(fractions))
    assert sum(counts) == n
    for count, fraction in zip(counts, fractions, strict=True):
        assert math.floor(fraction * n + 1e-9) <= count <= math.ceil(fraction * n - 1e-9)


def test_label_order_sorts_names_and_puts_unlabelled_last() -> None:
    assert sorted(["b", None, "a", "10", "9"], key=label_order) == ["10", "9", "a", "b", None]


def test_a_bad_seed_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        stratified_split(["a"], -1, (1.0, 0.0, 0.0), PARTS)
