"""Reading configuration dataclasses from JSON: the checks every AugLab config shares.

Image and text augmentation configs, export recipes and the generators' configs all come back from
files a user may have edited, so they are read the same way: a JSON object, the right format tag
(where the config has one), no unknown keys (a typo must not pass silently as a default), keys left
out take their defaults, and every failure is a :class:`~core.errors.ConfigError` naming the problem.
"""

from __future__ import annotations

import json
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
