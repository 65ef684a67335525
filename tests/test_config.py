"""Tests for core.config: the one set of value checks, and reading config dataclasses from JSON.

Each check is driven by a table of values a user or a file can produce (JSON numbers, numpy scalars
from widgets, bools that slip in for numbers, huge integers JSON allows) with the answer written out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pytest

from core.config import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_pair,
    check_seed,
    from_mapping,
    is_number,
    is_whole,
    parse_json,
)
from core.errors import ConfigError


@pytest.mark.parametrize(
    ("value", "number", "whole"),
    [
        (0, True, True),  # zero
        (-3, True, True),  # negative ints are numbers (ranges are the checks' business)
        (2.5, True, False),  # a float
        (2.0, True, False),  # a whole float is still not an int
        (np.float32(0.5), True, False),  # numpy floats
        (np.int64(4), True, True),  # numpy integers
        (np.uint8(255), True, True),  # unsigned too
        (Fraction(1, 3), True, False),  # any real number
        (10**400, False, True),  # whole, but too large for a float: not a usable number
        (float("nan"), False, False),  # not finite
        (float("inf"), False, False),  # not finite
        (-math.inf, False, False),  # not finite
        (True, False, False),  # a bool is neither
        (np.bool_(True), False, False),  # nor numpy's
        ("1", False, False),  # a numeric string is a string
        (None, False, False),  # nothing
        (1 + 0j, False, False),  # complex
        ([1], False, False),  # a list
    ],
)
def test_is_number_and_is_whole(value, number, whole):
    assert is_number(value) is number
    assert is_whole(value) is whole


@pytest.mark.parametrize(
    ("value", "low", "high", "expected"),
    [
        (1, 1, 64, 1),  # the lower bound is included
        (64, 1, 64, 64),  # so is the upper
        (np.int32(5), 0, None, 5),  # numpy ints come back as int; no upper bound
        (10**30, 0, None, 10**30),  # no upper bound at all
    ],
)
def test_check_int_accepts(value, low, high, expected):
    out = check_int("n", value, low, high)
    assert out == expected and type(out) is int


@pytest.mark.parametrize(
    ("value", "low", "high", "message"),
    [
        (0, 1, 64, "n must be a whole number from 1 to 64, got 0."),  # below
        (65, 1, 64, "n must be a whole number from 1 to 64, got 65."),  # above
        (2.0, 1, 64, "n must be a whole number from 1 to 64, got 2.0."),  # a whole float
        (True, 0, 1, "n must be a whole number from 0 to 1, got True."),  # a bool
        ("3", 0, None, "n must be a whole number from 0 or more, got '3'."),  # a string; no bound
        (5, 10_000, 20_000, "n must be a whole number from 10,000 to 20,000, got 5."),  # thousands
    ],
)
def test_check_int_refuses(value, low, high, message):
    with pytest.raises(ConfigError) as caught:
        check_int("n", value, low, high)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("value", "kwargs", "ok"),
    [
        (0.0, {}, True),  # the closed lower end
        (1.0, {}, True),  # the closed upper end
        (0.0, {"low_open": True}, False),  # an open lower end excludes it
        (1.0, {"high_open": True}, False),  # an open upper end excludes it
        (0.5, {"low_open": True, "high_open": True}, True),  # inside an open interval
        (np.float32(0.25), {}, True),  # numpy floats
        (1, {}, True),  # an int is a number
        (-0.01, {}, False),  # below
        (float("nan"), {}, False),  # NaN compares false with everything: refused explicitly
        ("0.5", {}, False),  # a string
        (False, {}, False),  # a bool
    ],
)
def test_check_float(value, kwargs, ok):
    if ok:
        out = check_float("p", value, 0.0, 1.0, **kwargs)
        assert out == float(value) and type(out) is float
    else:
        with pytest.raises(ConfigError, match=r"^p must be a number in [\[(]0, 1[\])], got "):
            check_float("p", value, 0.0, 1.0, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "interval"),
    [
        ({}, "[0, 1]"),  # closed
        ({"low_open": True}, "(0, 1]"),  # open below
        ({"high_open": True}, "[0, 1)"),  # open above
    ],
)
def test_check_float_message_shows_open_ends(kwargs, interval):
    with pytest.raises(ConfigError) as caught:
        check_float("p", 7, 0.0, 1.0, **kwargs)
    assert str(caught.value) == f"p must be a number in {interval}, got 7."


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (True, True),  # JSON true
        (False, True),  # JSON false
        (1, False),  # 1 is usually a slip for true: refused
        (0, False),  # likewise 0
        ("true", False),  # a string
        (None, False),  # nothing
    ],
)
def test_check_bool(value, ok):
    if ok:
        assert check_bool("flag", value) is value
    else:
        with pytest.raises(ConfigError) as caught:
            check_bool("flag", value)
        assert str(caught.value) == f"flag must be true or false, got {value!r}."


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("nearest", True),  # one of them
        ("Nearest", False),  # case matters
        ("", False),  # empty
        (None, False),  # nothing
        (["nearest"], False),  # a list holding one
    ],
)
def test_check_choice(value, ok):
    choices = ("constant", "nearest")
    if ok:
        assert check_choice("mode", value, choices) == value
    else:
        with pytest.raises(ConfigError) as caught:
            check_choice("mode", value, choices)
        assert str(caught.value) == f"mode must be one of 'constant', 'nearest', got {value!r}."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([0.5, 2], (0.5, 2.0)),  # a JSON list
        ((1, 1), (1.0, 1.0)),  # a tuple
        ((np.float32(0.5), np.int64(3)), (0.5, 3.0)),  # numpy scalars
        ([2, 1], (2.0, 1.0)),  # order is the caller's to check
        ([1, 2, 3], None),  # three numbers
        ([1], None),  # one
        ("12", None),  # a string of two characters
        ([1, float("nan")], None),  # not finite
        ([True, 1], None),  # a bool
        (5, None),  # a single number
        ({"low": 1, "high": 2}, None),  # a mapping
    ],
)
def test_check_pair(value, expected):
    if expected is not None:
        out = check_pair("zoom", value)
        assert out == expected and all(type(v) is float for v in out)
    else:
        with pytest.raises(ConfigError) as caught:
            check_pair("zoom", value)
        assert str(caught.value) == f"zoom must be a pair of numbers [low, high], got {value!r}."


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (0, True),  # the smallest
        (2**63 - 1, True),  # the largest: MAX_SEED
        (np.uint64(2**63 - 1), True),  # numpy's
        (2**63, False),  # one past
        (-1, False),  # negative
        (1.0, False),  # a float
        (True, False),  # a bool
    ],
)
def test_check_seed(value, ok):
    if ok:
        assert check_seed("seed", value) == int(value)
    else:
        with pytest.raises(ConfigError) as caught:
            check_seed("seed", value)
        assert (
            str(caught.value)
            == f"seed must be a whole number from 0 to 9,223,372,036,854,775,807, got {value!r}."
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', {"a": 1}),  # an object
        (b'{"a": "caf\\u00e9"}', {"a": "café"}),  # bytes, escaped unicode
        ("[1, 2]", [1, 2]),  # any JSON value: the caller checks the shape
    ],
)
def test_parse_json(text, expected):
    assert parse_json(text, "recipe") == expected


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1',  # truncated
        "",  # empty
        b"\xff\xfe{}",  # bytes that are not UTF-8 (nor UTF-16 JSON)
        "{'a': 1}",  # Python, not JSON
    ],
)
def test_parse_json_refuses_with_a_sentence(text):
    with pytest.raises(ConfigError, match=r"^The recipe is not valid JSON \("):
        parse_json(text, "recipe")


@dataclass(frozen=True)
class Example:
    size: int = 3
    mode: str = "a"

    def __post_init__(self) -> None:
        check_int("size", self.size, 1, 10)


@pytest.mark.parametrize(
    ("data", "tag", "expected"),
    [
        ({}, None, Example()),  # every key left out takes its default
        ({"size": 5}, None, Example(size=5)),  # one key
        ({"format": "t/1", "mode": "b"}, "t/1", Example(mode="b")),  # the right tag, removed
        ({"size": 2}, "t/1", Example(size=2)),  # no tag at all is accepted
    ],
)
def test_from_mapping_builds(data, tag, expected):
    assert from_mapping(Example, data, "example setting", tag) == expected


@pytest.mark.parametrize(
    ("data", "tag", "message"),
    [
        ([1, 2], None, "An example setting must be a JSON object, got list."),  # "An" before a vowel
        ({"format": "t/2"}, "t/1", "This is a 't/2' file, not an example setting (t/1)."),  # another tag
        (
            {"size": 1, "colour": 2, "Mode": 3},  # unknown keys, sorted, with the known ones listed
            None,
            "Unknown setting(s) Mode, colour in the example setting; the known ones are mode, size.",
        ),
        ({"size": 0}, None, "size must be a whole number from 1 to 10, got 0."),  # the dataclass's check
        (
            {"format": "t/1"},
            None,
            "Unknown setting(s) format in the example setting; the known ones are mode, size.",
        ),
    ],
)
def test_from_mapping_refuses(data, tag, message):
    with pytest.raises(ConfigError) as caught:
        from_mapping(Example, data, "example setting", tag)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("what", "message"),
    [
        ("recipe", "A recipe must be a JSON object, got str."),  # a consonant
        ("image setting", "An image setting must be a JSON object, got str."),  # a vowel
        ("Example", "An Example must be a JSON object, got str."),  # a capital vowel
    ],
)
def test_from_mapping_article(what, message):
    with pytest.raises(ConfigError) as caught:
        from_mapping(Example, "x", what)
    assert str(caught.value) == message
