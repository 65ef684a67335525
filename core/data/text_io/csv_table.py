"""CSV files: choose the delimiter, read the records with their line numbers, check the header row.

The first row holds the column names unless the caller says the file has no header row; then the columns
are called ``"column 1"``, ``"column 2"``, ... and the first row is data. :func:`csv_layout` says whether
a first row looks like data rather than names, so a page can say so and offer the other reading.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from core.config import is_number
from core.data.image_io import LoadProblem
from core.data.text_io.decoding import decode_text
from core.data.text_io.examples import (
    MAX_EXAMPLE_CHARS,
    TextDataset,
    TextExample,
    cap_lengths,
    check_max_chars,
)
from core.data.wording import plural, where
from core.errors import InputError

# Python's csv module refuses fields over 128 KiB by default, but one example (a long document) may be
# megabytes. The limit is process-wide, so raise it once, here at import, and never lower a larger limit
# someone else set. 64 MiB is far above any sensible example and keeps a runaway field bounded.
_CSV_FIELD_LIMIT = 64 << 20
csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))

_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_SNIFF_CHARS = 64 * 1024  # characters of the file looked at to choose the delimiter
_SNIFF_LINES = 200  # lines looked at to choose the delimiter
_HEADER_ROWS = 200  # data rows compared with the first row to judge whether it is a header
LONG_NAME = 80  # a first-row cell longer than this (characters) is a sentence, not a column name


def column_name(position: int) -> str:
    """The name of column ``position`` (0-based) of a file without a header row: ``"column 1"``, ..."""
    return f"column {position + 1}"


def _sniff_delimiter(lines: Sequence[str]) -> str:
    """Choose among , ; TAB | the delimiter that splits the first row widest with the most regular rows.

    Each candidate parses the first lines (up to 64 Ki characters); it is scored by the share of later
    rows with as many fields as the first, then by the first row's width. A first row of one field under
    every candidate (a one-column file) gives ``","``. csv.Sniffer is not used: it guesses quote
    characters and spacing too and is easily misled by punctuation inside the text.
    """
    sample: list[str] = []
    size = 0
    for line in lines:
        sample.append(line)
        size += len(line)
        if size >= _SNIFF_CHARS or len(sample) >= _SNIFF_LINES:
            break
    complete = len(sample) == len(lines)
    best, best_score = ",", (-1.0, 0)
    for delimiter in _DELIMITERS:
        try:
            rows = [row for row in csv.reader(sample, delimiter=delimiter) if row]
        except csv.Error:
            continue
        if not complete and len(rows) > 1:
            rows.pop()  # the sample may end inside this record
        if not rows or len(rows[0]) < 2:
            continue
        width, body = len(rows[0]), rows[1:]
        regular = sum(len(row) == width for row in body) / len(body) if body else 1.0
        if (regular, width) > best_score:
            best, best_score = delimiter, (regular, width)
    return best


@dataclass(frozen=True)
class _Record:
    number: int  # 1-based, the first row of the file being row 1
    first_line: int  # physical line the record starts on, 1-based
    last_line: int
    cells: list[str]


@dataclass
class _Table:
    first: _Record  # the first row: the header, or the first data row
    records: list[_Record]  # the rows after the first
    delimiter: str
    notices: list[str]
    problems: list[LoadProblem]


def _quote_left_open(lines: Sequence[str], delimiter: str) -> bool:
    """True when the last record of ``lines`` is a quoted field never closed (it swallowed the rest).

    A line appended after a closed record parses as a record of its own; inside an open quote it is
    absorbed into the same record, so the record count does not change.
    """
    before = sum(1 for _ in csv.reader(lines, delimiter=delimiter))
    after = sum(1 for _ in csv.reader([*lines, "x\n"], delimiter=delimiter))
    return after == before


def _read_table(data: bytes, name: str) -> _Table:
    """Decode, choose the delimiter and split into the first row and the rest, keeping line numbers."""
    text, notices = decode_text(data, name)
    lines = io.StringIO(text, newline="").readlines()  # keeps "\r\n", "\r", "\n" only; quotes may span
    delimiter = _sniff_delimiter(lines)
    reader = csv.reader(lines, delimiter=delimiter)
    records: list[_Record] = []
    problems: list[LoadProblem] = []
    last_line = 0
    try:
        for number, cells in enumerate(reader, 1):
            records.append(_Record(number, last_line + 1, reader.line_num, cells))
            last_line = reader.line_num
    except csv.Error as exc:
        number = len(records) + 1
        if number == 1:
            raise InputError(name, f"has a first row that cannot be read as CSV ({exc}); fix it") from exc
        problems.append(
            LoadProblem(
                f"{name} row {number:,}",
                f"cannot be read as CSV ({exc}); it and the rows after it were not loaded; fix the row "
                "(a field over 64 MiB, or a broken quote) and upload again",
            ),
        )
    if not records or not any(cell.strip() for cell in records[0].cells):
        what = "has no text" if not records else "has an empty first row"
        raise InputError(
            name, f"{what}, so there is no header; put the column names (e.g. text,label) on the first line"
        )
    last = records[-1]
    spans_lines = last.number > 1 and last.last_line > last.first_line
    if not problems and spans_lines and _quote_left_open(lines[last.first_line - 1 :], delimiter):
        records.pop()
        problems.append(
            LoadProblem(
                f"{name} row {last.number:,}",
                f'opens a quote (") that is never closed, so lines {last.first_line:,} to '
                f"{last.last_line:,} (the end of the file) were read as one row, which was not loaded; "
                "add the missing closing quote or remove the stray one, then upload again",
            ),
        )
    return _Table(records[0], records[1:], delimiter, notices, problems)


def _reads_as_number(cell: str) -> bool:
    """True when a cell reads as a finite number (``"5"``, ``"-3.5"``, ``"1,200"``), as data cells do."""
    try:
        value = float(cell.replace(",", ""))
    except ValueError:
        return False
    return is_number(value)


def _header_doubt(first: Sequence[str], records: Sequence[_Record]) -> str | None:
    """Why the first row looks like data rather than column names, or None when it looks like names.

    Column names are short words; the first row is taken for data when one of its cells
    1. is a number (``"5"``, ``"0.5"``): names are words;
    2. is longer than :data:`LONG_NAME` characters: a sentence, not a name;
    3. appears again below it in the same column (within the next 200 rows): a label such as ``"pos"``
       repeats, a column name does not.
    """
    reasons: list[str] = []
    below = [record.cells for record in records[:_HEADER_ROWS]]
    for position, cell in enumerate(first):
        value = cell.strip()
        if not value:
            continue
        shown = repr(value if len(value) <= 40 else value[:37] + "...")
        if _reads_as_number(value):
            reasons.append(f"{shown} (column {position + 1}) is a number")
        elif len(value) > LONG_NAME:
            reasons.append(f"{shown} (column {position + 1}) is {len(value):,} characters long")
        elif any(len(cells) > position and cells[position].strip() == value for cells in below):
            reasons.append(f"{shown} (column {position + 1}) appears again as a value below it")
    if not reasons:
        return None
    return "; ".join(reasons[:3]) + (f"; and {len(reasons) - 3} more" if len(reasons) > 3 else "")


def _column_index(header: Sequence[str]) -> dict[str, int]:
    """First position of each column name (a repeated name refers to its first column)."""
    index: dict[str, int] = {}
    for position, column in enumerate(header):
        index.setdefault(column, position)
    return index


@dataclass(frozen=True)
class CsvLayout:
    """What a column picker needs to know about a CSV file before loading it.

    Attributes:
        first_row: The cells of the first row, exactly as written.
        width: The number of fields in the first row.
        header_doubt: Why the first row looks like data rather than column names (a sentence fragment
            naming the cells), or None when it looks like names.
    """

    first_row: tuple[str, ...]
    width: int
    header_doubt: str | None

    @property
    def has_header(self) -> bool:
        """The best guess: True unless the first row looks like data."""
        return self.header_doubt is None

    def columns(self, header: bool = True) -> list[str]:
        """The column names to pick from: the first row's distinct cells, or ``"column 1"``, ...

        Args:
            header: Whether the first row holds the column names.
        """
        if header:
            return list(_column_index(self.first_row))
        return [column_name(position) for position in range(self.width)]


def csv_layout(data: bytes, name: str) -> CsvLayout:
    """The first row of a CSV file and whether it looks like a header row.

    Args:
        data: The file's bytes; see :func:`~core.data.text_io.decode_text` for encodings.
        name: The file name as the user knows it.

    Returns:
        The layout; see :class:`CsvLayout`.

    Raises:
        InputError: The file is empty, binary, or its first row is empty.
    """
    table = _read_table(data, name)
    cells = table.first.cells
    return CsvLayout(tuple(cells), len(cells), _header_doubt(cells, table.records))


def csv_columns(data: bytes, name: str, header: bool = True) -> list[str]:
    """Column names of a CSV file, for column pickers.

    Args:
        data: The file's bytes; see :func:`~core.data.text_io.decode_text` for encodings.
        name: The file name as the user knows it.
        header: Whether the first row holds the column names. False names the columns ``"column 1"``,
            ``"column 2"``, ... up to the first row's width.

    Returns:
        The distinct header names in file order, exactly as written (a repeated name is listed once), or
        the generic names.

    Raises:
        InputError: The file is empty, binary, or its first row is empty.
    """
    return csv_layout(data, name).columns(header)


def _line_note(record: _Record) -> str:
    """Where the row starts in the file, when quoted line breaks or blank lines make it differ."""
    return "" if record.first_line == record.number else f" (it starts on line {record.first_line:,})"


def load_csv(
    data: bytes,
    name: str,
    text_column: str,
    label_column: str | None = None,
    *,
    header: bool = True,
    max_chars: int | None = MAX_EXAMPLE_CHARS,
) -> TextDataset:
    """Load text examples (and optional labels) from two columns of a CSV file.

    The delimiter is chosen among comma, semicolon, tab and pipe from the first lines of the file; quoted
    fields keep their delimiters and line breaks. Rows are numbered from 1 for the first row of the file,
    as a spreadsheet shows them.

    Args:
        data: The file's bytes; see :func:`~core.data.text_io.decode_text` for encodings.
        name: The file name as the user knows it.
        text_column: Name of the column holding the text, kept exactly as written.
        label_column: Name of the column holding the label, or None for unlabelled data. Labels are
            stripped of surrounding whitespace; an empty label cell leaves that example unlabelled.
        header: True when the first row holds the column names; a notice says so when it looks like
            data (see :func:`csv_layout`). False reads the first row as data and names the columns
            ``"column 1"``, ``"column 2"``, ... (the first row's width).
        max_chars: Longest text kept, in characters; longer cells are cut to it, with a notice. None
            keeps every text whole.

    Returns:
        One example per row with non-blank text, origin ``"<name> row <n>"``. Rows too short to reach the
        text or label column become problems naming the row; all other rows load. Notices count rows
        with extra fields, rows with empty text (skipped), empty labels, long texts cut, repeated column
        names, and a first row that looks like data.

    Raises:
        InputError: The file is empty, binary or its first row is empty; a chosen column is missing; the
            text and label columns are the same; or no row has text.
        ConfigError: ``max_chars`` is not a whole number of at least 1 or None.
    """
    max_chars = check_max_chars(max_chars)
    if label_column is not None and label_column == text_column:
        raise InputError(
            name, f"uses {text_column!r} as both text and label column; pick another label column or none"
        )
    table = _read_table(data, name)
    notices = table.notices
    first_cells = table.first.cells
    if header:
        columns, records, source = first_cells, table.records, "the header"
        doubt = _header_doubt(first_cells, records)
        if doubt is not None:
            notices.append(
                f"{name}: the first row was read as column names, but it looks like data: {doubt}; if the "
                "file has no header row, choose 'no header row' (header=False), so that the first row "
                "loads as data and the columns are called column 1, column 2, ...",
            )
    else:
        columns = [column_name(position) for position in range(len(first_cells))]
        records, source = [table.first, *table.records], "the first row"
    problems: list[LoadProblem] = []
    index = _column_index(columns)
    available = ", ".join(repr(column) for column in index)
    for column, role in ((text_column, "text"), (label_column, "label")):
        if column is not None and column not in index:
            raise InputError(
                name,
                f"has no column {column!r} for the {role}; its columns are {available}; pick one of those",
            )
    for column, count in Counter(columns).items():
        if count > 1:
            notices.append(
                f"{name}: the column name {column!r} appears {count} times in the header; only the first "
                f"(column {index[column] + 1}) is used; rename the others to use them.",
            )

    text_at = index[text_column]
    label_at = index[label_column] if label_column is not None else None
    width = len(columns)
    delimiter = _DELIMITER_NAMES[table.delimiter]
    examples: list[TextExample] = []
    numbers: list[int] = []
    empty_text: list[int] = []
    empty_label: list[int] = []
    extra: list[int] = []
    for record in records:
        cells = record.cells
        if not any(cell.strip() for cell in cells):
            empty_text.append(record.number)  # a blank line or a row of empty cells
            continue
        missing = [
            f"{role} column {column!r} (column {at + 1})"
            for role, column, at in (("text", text_column, text_at), ("label", label_column, label_at))
            if at is not None and len(cells) <= at
        ]
        if missing:
            problems.append(
                LoadProblem(
                    f"{name} row {record.number:,}",
                    f"has {plural(len(cells), 'field')} but {source} has {width}{_line_note(record)}, "
                    f"so it has no {' or '.join(missing)}; it was not loaded; check it for a missing "
                    f"{delimiter} or a stray quote, then upload again",
                ),
            )
            continue
        if len(cells) > width:
            extra.append(record.number)
        text = cells[text_at]
        if not text.strip():
            empty_text.append(record.number)
            continue
        label = cells[label_at].strip() if label_at is not None else None
        if label == "":
            label = None
            empty_label.append(record.number)
        examples.append(TextExample(text=text, label=label, origin=f"{name} row {record.number:,}"))
        numbers.append(record.number)

    problems.extend(table.problems)  # a broken last row or an unreadable rest comes after the others
    if not examples:
        if not records and not problems:
            reason = "has a header but no data rows; add one example per row below the column names"
        else:
            reason = (
                f"has no row with text in column {text_column!r} ({plural(len(empty_text), 'empty row')}, "
                f"{plural(len(problems), 'unreadable row')}); pick the column that holds the text"
            )
            if problems:
                reason += f"; first problem: {problems[0].name} {problems[0].reason}"
        raise InputError(name, reason)
    if extra:
        notices.append(
            f"{name}: {plural(len(extra), 'row')} had more fields than {source}'s {width} "
            f"({where('row', extra)}); the extra fields were ignored; check those rows for an unquoted "
            f"{delimiter}.",
        )
    if empty_text:
        notices.append(
            f"{name}: skipped {plural(len(empty_text), 'row')} with an empty {text_column!r} cell "
            f"({where('row', empty_text)}).",
        )
    if empty_label:
        notices.append(
            f"{name}: {plural(len(empty_label), 'row')} had an empty {label_column!r} cell "
            f"({where('row', empty_label)}) and were loaded unlabelled; fill in the label if they should "
            "have one.",
        )
    examples, long_notices = cap_lengths(examples, numbers, name, "row", max_chars)
    return TextDataset(name=name, examples=examples, notices=notices + long_notices, problems=problems)
