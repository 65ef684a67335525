"""The one stratified splitter: which part (train / val / test, or train / held-out) each example is in.

The export's train / val / test split and the generators' held-out split for quality checks both use
:func:`stratified_split`, so a page, the CLI and a recipe split the same data the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from core.config import check_float
from core.errors import ConfigError
from core.seeding import numpy_rng

Label = str | None
FRACTION_TOLERANCE = 1e-6  # fractions must add up to 1 within this
_UNLABELLED_STREAM = 0  # the stream name of the unlabelled class (labels are strings: no clash)


def label_order(label: Label) -> tuple[bool, str]:
    """Sort key of classes: by name, the unlabelled class (None) last."""
    return (label is None, label or "")


def apportion(n: int, fractions: Sequence[float], deficit: Sequence[float]) -> list[int]:
    """Largest-remainder apportionment of ``n`` seats; ties go to the part with the larger deficit.

    Each count is the floor or the ceiling of ``fraction * n``, so within one of the exact share.
    """
    exact = [f * n for f in fractions]
    counts = [math.floor(e + 1e-9) for e in exact]
    order = sorted(range(len(exact)), key=lambda s: (-(exact[s] - counts[s]), -deficit[s], s))
    for s in order[: n - sum(counts)]:
        counts[s] += 1
    return counts


def check_fractions(fractions: Sequence[float], names: Sequence[str]) -> tuple[float, ...]:
    """The fractions as floats, one per part, each in [0, 1], adding up to 1.

    Raises:
        ConfigError: A wrong count, a value out of range, or a sum other than 1.
    """
    if isinstance(fractions, str) or len(fractions) != len(names):
        raise ConfigError(f"The split needs {len(names)} fractions ({', '.join(names)}), got {fractions!r}.")
    pairs = zip(names, fractions, strict=True)
    values = tuple(check_float(f"The {name} fraction", f, 0.0, 1.0) for name, f in pairs)
    if abs(sum(values) - 1.0) > FRACTION_TOLERANCE:
        total = " + ".join(f"{v:g}" for v in values)
        raise ConfigError(f"The split fractions must add up to 1, got {total}.")
    return values


def stratified_split(
    labels: Sequence[Label], seed: int, fractions: Sequence[float], names: Sequence[str]
) -> list[str]:
    """The part of each example, stratified by class.

    Algorithm:
        1. Group the indices by label; visit classes in :func:`label_order`.
        2. Shuffle each class's indices with the stream ``(seed, "split", class name)``, so a class's
           split depends on the seed and its own members only, never on the other classes.
        3. Share the class's ``n`` examples between the parts by largest remainders of ``fraction * n``
           (ties: the part furthest behind its exact total so far), so every part's count per class is
           within one example of the exact fraction.
        4. The first shuffled indices go to ``names[1]``, the next to ``names[2]`` and so on; the rest
           go to ``names[0]`` (the training part).

    Args:
        labels: One label per example (None: unlabelled).
        seed: The user's seed.
        fractions: One fraction per part, adding up to 1.
        names: The parts' names, the training part first, e.g. ``("train", "val", "test")``.

    Returns:
        The part's name per example, in input order.

    Raises:
        ConfigError: Bad fractions or a bad seed.
    """
    shares = check_fractions(fractions, names)
    groups: dict[Label, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(label, []).append(index)
    out = [names[0]] * len(labels)
    parts = len(names)
    exact_so_far = [0.0] * parts
    given = [0] * parts
    for label in sorted(groups, key=label_order):
        members = np.array(groups[label], dtype=np.int64)
        numpy_rng(seed, "split", _UNLABELLED_STREAM if label is None else label).shuffle(members)
        n = len(members)
        deficit = [exact_so_far[s] + shares[s] * n - given[s] for s in range(parts)]
        counts = apportion(n, shares, deficit)
        for s, c in enumerate(counts):
            exact_so_far[s] += shares[s] * n
            given[s] += c
        # Boundaries in the shuffled order: parts 1, 2, ... first, part 0 (train) takes the rest.
        position = 0
        for s in range(1, parts):
            for index in members[position : position + counts[s]].tolist():
                out[index] = names[s]
            position += counts[s]
    return out
