"""Class labels shared by images and text: the name shown for unlabelled examples, and the one counter."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

UNLABELLED = "(unlabelled)"
"""Class name used in summaries, charts and tables for examples without a label (label None)."""


def count_labels(labels: Iterable[str | None]) -> dict[str, int]:
    """Examples per label, sorted by label, with :data:`UNLABELLED` last for None.

    Args:
        labels: One label per example; None means unlabelled.

    Returns:
        Label -> count, in sorted label order (as strings: ``"10"`` before ``"9"``), unlabelled last;
        labels that never occur are absent.
    """
    counts = Counter(labels)
    ordered = {label: counts[label] for label in sorted(k for k in counts if k is not None)}
    if None in counts:
        ordered[UNLABELLED] = counts[None]
    return ordered
