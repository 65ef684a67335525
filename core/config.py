"""Configuration plumbing: reading config dataclasses from JSON, and the value checks they share.

Image and text augmentation configs, export recipes and the generators' configs all come back from
files a user may have edited, so they are read the same way: a JSON object, the right format tag
(where the config has one), no unknown keys (a typo must not pass silently as a default), keys left
out take their defaults, and every failure is a :class:`~core.errors.ConfigError` naming the problem.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Sequence
from dataclasses import fields
from typing import Any, TypeVar

from core.errors import ConfigError

T = TypeVar("T")


def parse_json(text: str | bytes, what: str) -> Any:
    """``json.loads`` with a sentence instead of a traceback.

    Raises:
        ConfigError: "The {what} is not valid JSON (...)".
    """
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"The {what} is not valid JSON ({exc}).") from None


def from_mapping(cls: type[T], data: Any, what: str, tag: str | None = None) -> T:
    """Build the dataclass ``cls`` from a mapping of its fields.

    Args:
        cls: A dataclass whose ``__post_init__`` validates values.
        data: The mapping (e.g. parsed JSON).
        what: What it is, for messages ("image augmentation configuration", "recipe").
        tag: The expected ``"format"`` entry, if the config carries one; a missing tag is accepted.

    Raises:
        ConfigError: Not a mapping, another format tag, an unknown key, or a value of a type the
            dataclass cannot even compare.
    """
    article = "An" if what[:1].lower() in "aeiou" else "A"
    if not isinstance(data, dict):
        raise ConfigError(f"{article} {what} must be a JSON object, got {type(data).__name__}.")
    data = dict(data)
    if tag is not None:
        found = data.pop("format", tag)
        if found != tag:
            raise ConfigError(f"This is a {found!r} file, not {article.lower()} {what} ({tag}).")
    known = {f.name for f in fields(cls)}
    unknown = sorted(map(str, set(data) - known))
    if unknown:
        known_list = ", ".join(sorted(known))
        raise ConfigError(
            f"Unknown setting(s) {', '.join(unknown)} in the {what}; the known ones are {known_list}."
        )
    try:
        return cls(**data)
    except TypeError as exc:  # a value of a type the checks cannot compare
        raise ConfigError(f"Invalid {what}: {exc}.") from None


# ---------------------------------------------------------------------------------------------
# The one set of value checks every config's ``__post_init__`` uses. Each returns the value as the
# plain Python type (``int``, ``float``, ``bool``) so numpy scalars never leak into JSON.

MAX_SEED = 2**63 - 1  # seeds, item indices and variant numbers: 0 .. 2**63 - 1


def is_number(value: Any) -> bool:
    """A finite int or float (numpy scalars too), and not a bool."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float (JSON allows 1e400 written out as digits)
        return False


def is_whole(value: Any) -> bool:
    """An int (numpy integers too), and not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]`` (no upper bound when ``high`` is None).

    Raises:
        ConfigError: "{name} must be a whole number from {low} to {high}, got {value!r}."
    """
    if not is_whole(value) or value < low or (high is not None and value > high):
        upper = f" to {high:,}" if high is not None else " or more"
        raise ConfigError(f"{name} must be a whole number from {low:,}{upper}, got {value!r}.")
    return int(value)


def check_float(
    name: str, value: Any, low: float, high: float, low_open: bool = False, high_open: bool = False
) -> float:
    """``value`` as a float in the interval from ``low`` to ``high`` (open ends where asked).

    Raises:
        ConfigError: "{name} must be a number in [low, high], got {value!r}." (brackets show open ends)
    """
    ok = is_number(value)
    ok = ok and (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
    if not ok:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ConfigError(f"{name} must be a number in {interval}, got {value!r}.")
    return float(value)


def check_bool(name: str, value: Any) -> bool:
    """``value`` if it is a bool (JSON true / false); 0 and 1 are refused, they are usually a slip.

    Raises:
        ConfigError: "{name} must be true or false, got {value!r}."
    """
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be true or false, got {value!r}.")
    return value


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """``value`` if it is one of ``choices``.

    Raises:
        ConfigError: "{name} must be one of 'a', 'b', got {value!r}."
    """
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ConfigError(f"{name} must be one of {options}, got {value!r}.")
    return value


def check_pair(name: str, value: Any) -> tuple[float, float]:
    """A ``[low, high]`` pair of finite numbers as a tuple of floats (order is checked by the caller).

    Raises:
        ConfigError: "{name} must be a pair of numbers [low, high], got {value!r}."
    """
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(is_number(v) for v in value):
        return float(value[0]), float(value[1])
    raise ConfigError(f"{name} must be a pair of numbers [low, high], got {value!r}.")


def check_seed(name: str, value: Any) -> int:
    """A seed, item index or variant number: a whole number from 0 to 2**63 - 1."""
    return check_int(name, value, 0, MAX_SEED)
