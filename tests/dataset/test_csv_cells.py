"""Tests for core.dataset.csv_cells: the spreadsheet guard of exported CSV cells, and its exact inverse.

Expectations are written out by hand from the rule in the module's docstring (OWASP's: a leading
quote before = + - @ TAB CR), not computed by the code under test.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.dataset.csv_cells import escape_cell, unescape_cell


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x","click")', '\'=HYPERLINK("http://x","click")'),  # the classic payload
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),  # DDE
        ("+SUM(A1:A9)", "'+SUM(A1:A9)"),  # a formula can start with +
        ("-2+3", "'-2+3"),  # ... or with -, when it is not a plain number
        ("@SUM(1)", "'@SUM(1)"),  # ... or with @
        ("\t=1", "'\t=1"),  # a tab in front hides the = from a quick look
        ("\r=1", "'\r=1"),  # so does a carriage return
        ("'=1", "''=1"),  # already quoted by someone: one more quote, so reading back is exact
        ("''+x", "'''+x"),  # any number of quotes before a risky start
        ("-1", "-1"),  # a plain number stays a number (numeric labels)
        ("+2.5", "+2.5"),  # signed decimal
        ("-3e4", "-3e4"),  # exponent
        ("-.5", "-.5"),  # no digit before the point
        ("-", "'-"),  # a lone sign is no number
        ("-1 star", "'-1 star"),  # a number followed by text is not a plain number
        ("'Tis the season", "'Tis the season"),  # a quote before a harmless start is left alone
        ("'", "'"),  # only quotes: nothing risky after them
        ("Great value", "Great value"),  # ordinary text
        ("a=b", "a=b"),  # = not in front
        ("", ""),  # empty
    ],
)
def test_escape_cell(cell, written):
    assert escape_cell(cell) == written
    assert unescape_cell(written) == cell


@given(st.text(alphabet=st.sampled_from("'=+-@\t\r0123456789.eE abc"), max_size=12))
def test_reading_back_is_exact(cell):
    written = escape_cell(cell)
    assert unescape_cell(written) == cell
    # What a spreadsheet sees never starts a formula: a risky first character only for a plain number.
    if written[:1] in ("=", "+", "-", "@", "\t", "\r"):
        float(written)  # raises unless it is a number
