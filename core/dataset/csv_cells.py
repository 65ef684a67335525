"""CSV cells that spreadsheets will not run as formulas, and the exact way back.

Excel, LibreOffice and Google Sheets treat a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``), and a leading tab or carriage return can hide
such a start; an exported text or label is data from anywhere, so the archive's CSV files
(``data.csv``, ``manifest.csv``) neutralise it. The rule (OWASP's "CSV Injection" advice, made
exactly reversible):

1. A cell is *risky* when, after any leading single quotes (``'``), it starts with ``=``, ``+``,
   ``-``, ``@``, a tab or a carriage return.
2. A risky cell is written with one more ``'`` in front: ``=HYPERLINK("x")`` -> ``'=HYPERLINK("x")``,
   ``'=1`` -> ``''=1``. Spreadsheets show a cell that starts with ``'`` as text, without that quote.
3. Exception: a plain decimal number (``-1``, ``+2.5``, ``-3e4``; :data:`NUMBER`) is written as it is,
   so numeric labels such as ``-1`` stay numbers; a spreadsheet reads it as a number, not a formula.
4. Every other cell is written as it is (``'Tis`` stays ``'Tis``).

To read a cell back, :func:`unescape_cell` removes one leading ``'`` from a cell that is risky by
rule 1; that is exactly the inverse, because rule 2 only ever adds a quote in front of a risky rest.
``data.jsonl`` holds the same rows untouched (JSON is never run as a formula); read it when exact text
is all you need. :func:`core.dataset.reader.read_csv_member` undoes the rule while reading.
"""

from __future__ import annotations

import re

RISKY_STARTS = "=+-@\t\r"
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
"""A plain decimal number, left as it is (rule 3)."""
_QUOTE = "'"
_FIRST = frozenset(RISKY_STARTS + _QUOTE)  # a cell starting with none of these is never touched


def _risky(cell: str) -> bool:
    rest = cell.lstrip(_QUOTE)
    return bool(rest) and rest[0] in RISKY_STARTS


def escape_cell(cell: str) -> str:
    """``cell`` as written to an archive's CSV (see the module's rule)."""
    if not cell or cell[0] not in _FIRST:  # the common case, decided by one character
        return cell
    if _risky(cell) and not NUMBER.fullmatch(cell):
        return _QUOTE + cell
    return cell


def unescape_cell(cell: str) -> str:
    """The exact text of a cell read from an archive's CSV: the inverse of :func:`escape_cell`."""
    if cell.startswith(_QUOTE) and _risky(cell):
        return cell[1:]
    return cell
