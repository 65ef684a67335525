"""Load text datasets (plain text, one example per line, or CSV) for text augmentation, entirely in memory.

Nothing here writes to disk. Bytes are decoded as UTF-8 (with or without a byte-order mark), UTF-16 or
UTF-32 when they start with a byte-order mark, and otherwise as Latin-1 with a visible notice. Every problem
a user can cause becomes an :class:`~core.errors.InputError` when the whole file is unusable (empty,
binary, no text, a missing column), or a :class:`~core.data.image_io.LoadProblem` for one CSV row, so one bad
row never stops the others. Anything done to the data on the way (NULs removed, blank lines skipped, a
fallback encoding) is reported as a notice: a sentence that names the file.

Lines end at ``"\\r\\n"``, ``"\\r"`` or ``"\\n"`` only; characters that :meth:`str.splitlines` would also
break on (``"\\x0b"``, ``"\\x1c"``, ``"\\u2028"``, ...) are content. Text is kept exactly as written.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import plotly.graph_objects as go

from core.data.image_io import LoadProblem
from core.data.images import UNLABELLED, count_labels
from core.errors import InputError

# Python's csv module refuses fields over 128 KiB by default, but one example (a long document) may be
# megabytes. The limit is process-wide, so raise it once, here at import, and never lower a larger limit
# someone else set. 64 MiB is far above any sensible example and keeps a runaway field bounded.
_CSV_FIELD_LIMIT = 64 << 20
csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LINE_BREAK_BYTES = re.compile(rb"\r\n|\r|\n")

# Magic numbers of binary formats people upload by mistake, with what to call them in the message.
_BINARY_MAGICS = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a zip archive, or an .xlsx/.docx file, which are zip archives"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"PK\x07\x08", "a zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office file (.xls or .doc)"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
)
_BINARY_WINDOW = 64 * 1024  # bytes examined for NULs
_BINARY_NUL_PERCENT = 1  # more NULs than this percentage of the window means binary

# Byte-order marks. UTF-32 comes first because its little-endian mark starts with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)

_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_SNIFF_CHARS = 64 * 1024  # characters of the file looked at to choose the delimiter
_SNIFF_LINES = 200  # lines looked at to choose the delimiter
_SHOWN = 5  # line or row numbers listed in a notice before "and N more"


@dataclass(frozen=True)
class TextExample:
    """One text to augment.

    Attributes:
        text: The text exactly as written in the file (no stripping, no normalisation).
        label: Class label, or None when unlabelled.
        origin: Where it came from, for messages, e.g. ``"reviews.csv row 12"`` or ``"notes.txt line 3"``.
    """

    text: str
    label: str | None = None
    origin: str = ""


@dataclass
class TextDataset:
    """A named collection of text examples, with what was noticed and what could not be used.

    Attributes:
        name: Display name: the uploaded file's name, or ``"Pasted text"``.
        examples: The examples, in file order.
        notices: Sentences about what was done to the data (encoding fallback, lines skipped, ...).
        problems: CSV rows that could not be used, each naming the row.
    """

    name: str
    examples: list[TextExample] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        """Sorted distinct labels, ignoring unlabelled examples."""
        return sorted({ex.label for ex in self.examples if ex.label is not None})

    @property
    def labelled(self) -> bool:
        """True when at least one example carries a label."""
        return any(ex.label is not None for ex in self.examples)


# --------------------------------------------------------------------------------------------------
# Decoding and lines


def _numbers(numbers: Sequence[int]) -> str:
    """``"2, 5 and 9"`` or ``"1, 2, 3, 4, 5 and 12 more"``: the first few numbers of a list."""
    shown = [f"{n:,}" for n in numbers[:_SHOWN]]
    more = len(numbers) - len(shown)
    if more:
        return f"{', '.join(shown)} and {more:,} more"
    if len(shown) == 1:
        return shown[0]
    return f"{', '.join(shown[:-1])} and {shown[-1]}"


def _where(word: str, numbers: Sequence[int]) -> str:
    """``"line 4"`` or ``"lines 2, 5 and 9"``."""
    return f"{word if len(numbers) == 1 else word + 's'} {_numbers(numbers)}"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def split_lines(text: str) -> list[str]:
    """Split text into lines at ``"\\r\\n"``, ``"\\r"`` or ``"\\n"``, without the line breaks.

    Unlike :meth:`str.splitlines`, ``"\\x0b"``, ``"\\x0c"``, ``"\\x1c"``..``"\\x1e"``, ``"\\x85"``,
    ``"\\u2028"`` and ``"\\u2029"`` stay inside the line. A final line break does not start a new line.

    Args:
        text: Decoded text.

    Returns:
        The lines, in order; ``[]`` for empty text.
    """
    lines = _LINE_BREAK.split(text)
    if lines[-1] == "":
        lines.pop()
    return lines


def _magic_kind(data: bytes) -> str | None:
    """The binary format the bytes start like, or None."""
    return next((kind for magic, kind in _BINARY_MAGICS if data.startswith(magic)), None)


def _nul_kind(data: bytes) -> str | None:
    """Why the bytes look binary from their share of NULs, or None when they may be text."""
    window = data[:_BINARY_WINDOW]
    nuls = window.count(0)
    if nuls * 100 > len(window) * _BINARY_NUL_PERCENT:
        return f"{nuls * 100 / len(window):.0f}% of its first {len(window):,} bytes are NUL bytes"
    return None


def _remove_nuls(text: str, name: str) -> tuple[str, list[str]]:
    """Drop NUL characters, with a notice naming how many and on which lines."""
    if "\x00" not in text:
        return text, []
    lines = [number for number, line in enumerate(split_lines(text), 1) if "\x00" in line]
    count = text.count("\x00")
    notice = (
        f"{name}: removed {_plural(count, 'NUL character')} (byte 0) on {_where('line', lines)}; NULs "
        "usually mean a damaged file or a wrong encoding, so check those lines read as you expect."
    )
    return text.replace("\x00", ""), [notice]


def decode_text(data: bytes, name: str) -> tuple[str, list[str]]:
    """Decode an uploaded text file held in memory.

    1. Binary files (PNG, JPEG, GIF, PDF, zip/xlsx, gzip, old Office, 7-Zip, or more than 1% NUL bytes in
       the first 64 KiB) are refused.
    2. A UTF-32 or UTF-16 byte-order mark selects that encoding; bytes that do not decode are replaced
       with U+FFFD and a notice gives the offset of the first.
    3. Otherwise UTF-8, with its byte-order mark removed if present; if that fails the file is decoded as
       Latin-1 (strictly ISO-8859-1, which accepts every byte) and a notice gives the first bad byte.
    4. NUL characters left in the text are removed, with a notice giving their count and lines.

    Args:
        data: The file's bytes.
        name: The file name as the user knows it, used in messages.

    Returns:
        The text (without byte-order mark; line breaks as written) and human-readable notices.

    Raises:
        InputError: The file is empty (0 bytes) or looks binary.
    """
    if len(data) == 0:
        raise InputError(name, "is empty (0 bytes); upload the file again or pick another one")
    # UTF-16/32 text is full of 00 bytes, so with their byte-order mark only a magic number counts.
    wide = data.startswith(tuple(bom for bom, _, _ in _BOMS))
    kind = _magic_kind(data) or (None if wide else _nul_kind(data))
    if kind is not None:
        raise InputError(
            name,
            f"looks like a binary file, not text ({kind}); upload a .txt or .csv file saved as UTF-8 text "
            "(export spreadsheets as CSV; re-save UTF-16 text without a byte-order mark as UTF-8)",
        )

    notices: list[str] = []
    for bom, codec, label in _BOMS:
        if not data.startswith(bom):
            continue
        body = data[len(bom) :]
        try:
            text = body.decode(codec)
        except UnicodeDecodeError as exc:
            if label == "UTF-32":
                continue  # e.g. UTF-16 text whose first character is U+0000: try the next mark
            text = body.decode(codec, errors="replace")
            notices.append(
                f"{name}: starts with a {label} byte-order mark but is not valid {label} from byte offset "
                f"{exc.start + len(bom):,} on; unreadable bytes were replaced with '\ufffd'; check the end "
                "of the file (it may be cut short) or re-save it as UTF-8.",
            )
        text, nul_notices = _remove_nuls(text, name)
        return text, notices + nul_notices

    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    body = data[start:]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + start
        line = len(_LINE_BREAK_BYTES.findall(data, 0, offset)) + 1
        text = body.decode("latin-1")
        notices.append(
            f"{name}: is not valid UTF-8 (first bad byte 0x{data[offset]:02X} at byte offset {offset:,}, "
            f"line {line:,}), so it was read as Latin-1 (ISO-8859-1); check that accented letters and "
            "symbols look right, and if not, re-save the file as UTF-8 and upload it again.",
        )
    text, nul_notices = _remove_nuls(text, name)
    return text, notices + nul_notices


# --------------------------------------------------------------------------------------------------
# Plain text, one example per line


def _dataset_from_text(text: str, name: str, notices: list[str]) -> TextDataset:
    """One example per non-blank line, kept exactly as written; blank lines counted in one notice."""
    examples: list[TextExample] = []
    blank: list[int] = []
    for number, line in enumerate(split_lines(text), 1):
        if line.strip():
            examples.append(TextExample(text=line, origin=f"{name} line {number:,}"))
        else:
            blank.append(number)
    if not examples:
        if blank:
            reason = f"has no text: all {_plural(len(blank), 'line')} are empty or whitespace only"
        else:
            reason = "has no text"
        raise InputError(name, f"{reason}; put one example per line")
    if blank:
        notices.append(
            f"{name}: skipped {_plural(len(blank), 'empty or whitespace-only line')} "
            f"({_where('line', blank)}).",
        )
    return TextDataset(name=name, examples=examples, notices=notices)


def load_txt(data: bytes, name: str) -> TextDataset:
    """Load a plain-text file with one example per line.

    Args:
        data: The file's bytes; see :func:`decode_text` for encodings.
        name: The file name as the user knows it.

    Returns:
        One unlabelled example per non-blank line, text exactly as written (line break removed), origin
        ``"<name> line <n>"``; empty and whitespace-only lines are skipped with one notice.

    Raises:
        InputError: The file is empty, binary, or has no non-blank line.
    """
    text, notices = decode_text(data, name)
    return _dataset_from_text(text, name, notices)


def paste_dataset(text: str, name: str = "Pasted text") -> TextDataset:
    """Turn pasted text into a dataset with the same rules as :func:`load_txt`.

    Args:
        text: The pasted text, one example per line.
        name: Display name used in origins and messages.

    Returns:
        One unlabelled example per non-blank line.

    Raises:
        InputError: The text is empty or has no non-blank line.
    """
    if not text:
        raise InputError(name, "is empty; paste some text, one example per line")
    text, notices = _remove_nuls(text, name)
    return _dataset_from_text(text, name, notices)


# --------------------------------------------------------------------------------------------------
# CSV


def _sniff_delimiter(lines: Sequence[str]) -> str:
    """Choose among , ; TAB | the delimiter that splits the header widest with the most regular rows.

    Each candidate parses the first lines (up to 64 Ki characters); it is scored by the share of data rows
    with as many fields as the header, then by the header's width. A header of one field under every
    candidate (a one-column file) gives ``","``. csv.Sniffer is not used: it guesses quote characters
    and spacing too and is easily misled by punctuation inside the text.
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
    number: int  # 1-based, the header being row 1
    first_line: int  # physical line the record starts on, 1-based
    last_line: int
    cells: list[str]


@dataclass
class _Table:
    header: list[str]
    records: list[_Record]
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
    """Decode, choose the delimiter and split into a header and records, keeping line numbers."""
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
            raise InputError(name, f"has a header row that cannot be read as CSV ({exc}); fix it") from exc
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
    return _Table(records[0].cells, records[1:], delimiter, notices, problems)


def _column_index(header: Sequence[str]) -> dict[str, int]:
    """First position of each column name (a repeated name refers to its first column)."""
    index: dict[str, int] = {}
    for position, column in enumerate(header):
        index.setdefault(column, position)
    return index


def csv_columns(data: bytes, name: str) -> list[str]:
    """Column names from a CSV file's header row, for column pickers.

    Args:
        data: The file's bytes; see :func:`decode_text` for encodings.
        name: The file name as the user knows it.

    Returns:
        The distinct header names in file order, exactly as written (a repeated name is listed once).

    Raises:
        InputError: The file is empty, binary, or its first row is empty.
    """
    return list(_column_index(_read_table(data, name).header))


def _line_note(record: _Record) -> str:
    """Where the row starts in the file, when quoted line breaks or blank lines make it differ."""
    return "" if record.first_line == record.number else f" (it starts on line {record.first_line:,})"


def load_csv(data: bytes, name: str, text_column: str, label_column: str | None = None) -> TextDataset:
    """Load text examples (and optional labels) from two columns of a CSV file.

    The first row holds the column names. The delimiter is chosen among comma, semicolon, tab and pipe
    from the first lines of the file; quoted fields keep their delimiters and line breaks. Rows are numbered
    from 1 for the header, as a spreadsheet shows them.

    Args:
        data: The file's bytes; see :func:`decode_text` for encodings.
        name: The file name as the user knows it.
        text_column: Header name of the column holding the text, kept exactly as written.
        label_column: Header name of the column holding the label, or None for unlabelled data. Labels are
            stripped of surrounding whitespace; an empty label cell leaves that example unlabelled.

    Returns:
        One example per row with non-blank text, origin ``"<name> row <n>"``. Rows too short to reach the
        text or label column become problems naming the row; all other rows load. Notices count rows
        with extra fields, rows with empty text (skipped), empty labels and repeated column names.

    Raises:
        InputError: The file is empty, binary or has no header; a chosen column is missing; the text and
            label columns are the same; or no row has text.
    """
    if label_column is not None and label_column == text_column:
        raise InputError(
            name, f"uses {text_column!r} as both text and label column; pick another label column or none"
        )
    table = _read_table(data, name)
    header, notices = table.header, table.notices
    problems: list[LoadProblem] = []
    index = _column_index(header)
    available = ", ".join(repr(column) for column in index)
    for column, role in ((text_column, "text"), (label_column, "label")):
        if column is not None and column not in index:
            raise InputError(
                name,
                f"has no column {column!r} for the {role}; its columns are {available}; pick one of those",
            )
    for column, count in Counter(header).items():
        if count > 1:
            notices.append(
                f"{name}: the column name {column!r} appears {count} times in the header; only the first "
                f"(column {index[column] + 1}) is used; rename the others to use them.",
            )

    text_at = index[text_column]
    label_at = index[label_column] if label_column is not None else None
    width = len(header)
    delimiter = _DELIMITER_NAMES[table.delimiter]
    examples: list[TextExample] = []
    empty_text: list[int] = []
    empty_label: list[int] = []
    extra: list[int] = []
    for record in table.records:
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
                    f"has {_plural(len(cells), 'field')} but the header has {width}{_line_note(record)}, "
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

    problems.extend(table.problems)  # a broken last row or an unreadable rest comes after the others
    if not examples:
        if not table.records and not problems:
            reason = "has a header but no data rows; add one example per row below the column names"
        else:
            reason = (
                f"has no row with text in column {text_column!r} ({_plural(len(empty_text), 'empty row')}, "
                f"{_plural(len(problems), 'unreadable row')}); pick the column that holds the text"
            )
            if problems:
                reason += f"; first problem: {problems[0].name} {problems[0].reason}"
        raise InputError(name, reason)
    if extra:
        notices.append(
            f"{name}: {_plural(len(extra), 'row')} had more fields than the header's {width} "
            f"({_where('row', extra)}); the extra fields were ignored; check those rows for an unquoted "
            f"{delimiter}.",
        )
    if empty_text:
        notices.append(
            f"{name}: skipped {_plural(len(empty_text), 'row')} with an empty {text_column!r} cell "
            f"({_where('row', empty_text)}).",
        )
    if empty_label:
        notices.append(
            f"{name}: {_plural(len(empty_label), 'row')} had an empty {label_column!r} cell "
            f"({_where('row', empty_label)}) and were loaded unlabelled; fill in the label if they should "
            "have one.",
        )
    return TextDataset(name=name, examples=examples, notices=notices, problems=problems)


# --------------------------------------------------------------------------------------------------
# Summaries and charts


@dataclass(frozen=True)
class LengthStats:
    """Minimum, median, mean and maximum of a length per example (words or characters)."""

    minimum: int
    median: float
    mean: float
    maximum: int


@dataclass(frozen=True)
class TextSummary:
    """Counts and lengths of a set of text examples.

    Attributes:
        total: Number of examples.
        label_counts: Examples per label, sorted by label, with ``"(unlabelled)"`` last for examples
            without a label.
        words: Words per example (whitespace-separated tokens, as :meth:`str.split` counts them), or
            None when there are no examples.
        characters: Characters (Unicode code points) per example, or None when there are no examples.
    """

    total: int
    label_counts: dict[str, int]
    words: LengthStats | None
    characters: LengthStats | None


def word_count(text: str) -> int:
    """Number of whitespace-separated tokens; text in a script without spaces (e.g. Chinese) counts as 1."""
    return len(text.split())


def _length_stats(values: list[int]) -> LengthStats | None:
    if not values:
        return None
    return LengthStats(
        minimum=min(values),
        median=float(statistics.median(values)),
        mean=float(statistics.fmean(values)),
        maximum=max(values),
    )


def summarize_text(examples: Sequence[TextExample]) -> TextSummary:
    """Count examples per label and describe their lengths in words and characters.

    Args:
        examples: The examples to describe.

    Returns:
        The summary; see :class:`TextSummary`.
    """
    return TextSummary(
        total=len(examples),
        label_counts=count_labels(ex.label for ex in examples),
        words=_length_stats([word_count(ex.text) for ex in examples]),
        characters=_length_stats([len(ex.text) for ex in examples]),
    )


def label_count_figure(summary: TextSummary) -> go.Figure:
    """Bar chart of examples per label (unlabelled examples as their own bar).

    Args:
        summary: A summary from :func:`summarize_text`.

    Returns:
        A plotly figure; labels are categories, so ``"1"``..``"5"`` star ratings are not treated as numbers.
    """
    names = list(summary.label_counts)
    counts = list(summary.label_counts.values())
    labels = sum(name != UNLABELLED for name in names)
    figure = go.Figure(
        go.Bar(x=names, y=counts, text=counts, textposition="auto", hovertemplate="%{x}: %{y} examples"),
    )
    figure.update_layout(
        title=f"Examples per label ({summary.total:,} examples, {labels} labels)",
        xaxis_title="Label",
        yaxis_title="Number of examples",
        xaxis_type="category",
        bargap=0.2,
    )
    return figure


def length_figure(examples: Sequence[TextExample]) -> go.Figure:
    """Histogram of words per example.

    Args:
        examples: The examples to describe.

    Returns:
        A plotly figure whose x values are the word counts, in example order.
    """
    counts = [word_count(ex.text) for ex in examples]
    figure = go.Figure(go.Histogram(x=counts, hovertemplate="%{x} words: %{y} examples"))
    figure.update_layout(
        title=f"Words per example ({len(counts):,} examples)",
        xaxis_title="Words per example",
        yaxis_title="Number of examples",
        bargap=0.05,
    )
    return figure
