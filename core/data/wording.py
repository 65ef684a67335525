"""Small helpers that word the messages of the loaders: counts with their noun, lists of line numbers."""

from __future__ import annotations

from collections.abc import Sequence

SHOWN = 5  # line or row numbers listed in a message before "and N more"


def plural(count: int, word: str) -> str:
    """``"1 line"``, ``"2 lines"``, ``"1,234 lines"``."""
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def number_list(numbers: Sequence[int]) -> str:
    """``"2, 5 and 9"`` or ``"1, 2, 3, 4, 5 and 12 more"``: the first few numbers of a list."""
    shown = [f"{n:,}" for n in numbers[:SHOWN]]
    more = len(numbers) - len(shown)
    if more:
        return f"{', '.join(shown)} and {more:,} more"
    if len(shown) == 1:
        return shown[0]
    return f"{', '.join(shown[:-1])} and {shown[-1]}"


def where(word: str, numbers: Sequence[int]) -> str:
    """``"line 4"`` or ``"lines 2, 5 and 9"``."""
    return f"{word if len(numbers) == 1 else word + 's'} {number_list(numbers)}"


def binary_size(count: int) -> str:
    """A byte count in binary units, rounded: ``"954 MiB"``, ``"4.9 KiB"``, ``"512 bytes"``."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if count >= 1 << shift:
            value = count / (1 << shift)
            return f"{value:.1f} {unit}" if value < 10 else f"{value:,.0f} {unit}"
    return plural(count, "byte")


def byte_size(count: int) -> str:
    """A byte count exactly and in binary units: ``"1,000,000,000 bytes (954 MiB)"``, ``"512 bytes"``."""
    return plural(count, "byte") if count < 1024 else f"{count:,} bytes ({binary_size(count)})"
