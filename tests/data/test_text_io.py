"""Tests for core.data.text_io: encodings, line breaks, hostile files, CSV layouts, summaries and charts.

The defects of issue 8 have their own sections at the end: binary files read as Latin-1 text, examples of
megabytes, and CSV files without a header row.

Fixtures are built here in memory from bytes literals, :mod:`codecs`, :mod:`csv` and Pillow; expected texts
come from the values written and expected statistics are worked out by hand in the comments, never by
calling the code under test.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from core.data.image_io import LoadProblem
from core.data.text_io import (
    LengthStats,
    TextDataset,
    TextExample,
    TextSummary,
    csv_columns,
    csv_layout,
    decode_text,
    load_csv,
    load_txt,
    paste_dataset,
    split_lines,
    summarize_text,
)
from core.errors import ConfigError, InputError
from core.present.charts import label_count_figure, length_figure

# --------------------------------------------------------------------------------------------------
# Helpers


def csv_bytes(rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    """Rows written by the standard csv module (minimal quoting, "\\r\\n" line ends), encoded."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (255, 0, 0)).save(buffer, "PNG")
    return buffer.getvalue()


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("notes.txt", "hello")
    return buffer.getvalue()


def texts(dataset: TextDataset) -> list[str]:
    return [ex.text for ex in dataset.examples]


# Text in several scripts, each to come back byte-exact.
EMOJI = "Great 👍🏽 product 👨‍👩‍👧 🎉"
ARABIC = "هذا المنتج رائع جدا"
HEBREW = "המוצר הזה מצוין"
CJK = "这个产品非常好我很喜欢"  # no spaces: one "word"
JAPANESE = "この商品はとても良いです"


# --------------------------------------------------------------------------------------------------
# decode_text


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # plain UTF-8 with accents, CJK and emoji
        ("héllo wörld 日本 🎉".encode(), "héllo wörld 日本 🎉"),
        # UTF-8 with a byte-order mark: the mark is not part of the text
        (codecs.BOM_UTF8 + "text,label\nhé,pos".encode(), "text,label\nhé,pos"),
        # UTF-16 little-endian with its mark (Windows "Unicode" text)
        (codecs.BOM_UTF16_LE + "héllo\r\n日本 🎉".encode("utf-16-le"), "héllo\r\n日本 🎉"),
        # UTF-16 big-endian with its mark
        (codecs.BOM_UTF16_BE + "héllo\n日本 🎉".encode("utf-16-be"), "héllo\n日本 🎉"),
        # UTF-32 little-endian with its mark (its mark starts with UTF-16 LE's)
        (codecs.BOM_UTF32_LE + "héllo\n🎉".encode("utf-32-le"), "héllo\n🎉"),
        # UTF-32 big-endian with its mark
        (codecs.BOM_UTF32_BE + "héllo\n🎉".encode("utf-32-be"), "héllo\n🎉"),
        # line breaks are returned as written, not translated
        (b"a\r\nb\rc\n", "a\r\nb\rc\n"),
    ],
)
def test_decode_known_encodings_without_notices(data: bytes, expected: str) -> None:
    text, notices = decode_text(data, "f.txt")
    assert text == expected
    assert "\ufeff" not in text
    assert notices == []


@pytest.mark.parametrize(
    ("data", "expected", "offset", "bad_byte", "line"),
    [
        # Latin-1 "café": é is 0xE9, the fourth byte (offset 3)
        (b"caf\xe9", "café", 3, "0xE9", 1),
        # one bad byte in the middle of otherwise ASCII text: len(b"first\nsecond ") = 13, on line 2
        (b"first\nsecond \xff bad\nthird", "first\nsecond ÿ bad\nthird", 13, "0xFF", 2),
        # Windows-1252 curly quotes are C1 controls in strict Latin-1: 0x93 at offset 0
        (b"\x93quoted\x94", "\x93quoted\x94", 0, "0x93", 1),
        # a UTF-8 mark then a bad byte: offset counts the 3 mark bytes (3 + len(b"ab") = 5)
        (codecs.BOM_UTF8 + b"ab\xe9", "abé", 5, "0xE9", 1),
        # CR-only line ends count as lines: the bad byte sits on line 3
        (b"one\rtwo\r\xe9", "one\rtwo\ré", 8, "0xE9", 3),
    ],
)
def test_invalid_utf8_falls_back_to_latin1_with_a_notice(
    data: bytes, expected: str, offset: int, bad_byte: str, line: int
) -> None:
    text, notices = decode_text(data, "reviews.txt")
    assert text == expected
    assert len(notices) == 1
    notice = notices[0]
    assert notice.startswith("reviews.txt:")
    assert f"byte offset {offset}," in notice and bad_byte in notice and f"line {line})" in notice
    assert "Latin-1" in notice and "UTF-8" in notice


def test_truncated_utf16_keeps_what_decodes_and_says_so() -> None:
    data = codecs.BOM_UTF16_LE + "hello".encode("utf-16-le") + b"\x41"  # one stray byte at the end
    text, notices = decode_text(data, "cut.txt")
    assert text == "hello\ufffd"
    # the stray byte sits after the 2-byte mark and 5 two-byte characters: offset 12
    assert len(notices) == 1 and "cut.txt" in notices[0] and "UTF-16" in notices[0] and "12" in notices[0]


def test_nul_bytes_in_text_are_removed_with_a_notice() -> None:
    # 3 NULs in about 1,000 bytes (0.3%, under the 1% binary threshold), on lines 2 and 4
    data = b"\n".join([b"x" * 500, b"a\x00b", b"y" * 500, b"c\x00d\x00"])
    text, notices = decode_text(data, "notes.txt")
    assert text == "\n".join(["x" * 500, "ab", "y" * 500, "cd"])
    assert len(notices) == 1
    assert "notes.txt" in notices[0] and "3 NUL characters" in notices[0] and "lines 2 and 4" in notices[0]


@pytest.mark.parametrize(
    "data",
    [
        png_bytes(),  # a PNG renamed .txt
        zip_bytes(),  # a zip archive (also what .xlsx and .docx files are)
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",  # the start of a PDF
        gzip.compress(b"hello world\n" * 10),  # a gzip archive
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 8,  # an old .xls/.doc (OLE2) header
        "hello world".encode("utf-16-le"),  # UTF-16 without a mark: every other byte is NUL
        b"a" * 98 + b"\x00\x00",  # 2 NULs in 100 bytes: 2% > 1%
    ],
)
def test_binary_files_are_refused(data: bytes) -> None:
    with pytest.raises(InputError, match="binary") as info:
        decode_text(data, "picture.txt")
    assert info.value.name == "picture.txt"
    assert "UTF-8" in info.value.reason  # says what to upload instead


@pytest.mark.parametrize(
    "loader",
    [
        lambda data: decode_text(data, "empty.txt"),  # decoding alone
        lambda data: load_txt(data, "empty.txt"),  # plain text
        lambda data: csv_columns(data, "empty.txt"),  # the column picker
        lambda data: load_csv(data, "empty.txt", "text"),  # CSV
    ],
)
def test_zero_byte_file_is_an_input_error(loader) -> None:
    with pytest.raises(InputError, match="empty") as info:
        loader(b"")
    assert info.value.name == "empty.txt" and "0 bytes" in info.value.reason


# --------------------------------------------------------------------------------------------------
# Lines and plain text files


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\nb\nc", ["a", "b", "c"]),  # LF, no final line break
        ("a\r\nb\r\n", ["a", "b"]),  # CRLF with a final line break (which starts no new line)
        ("a\rb\rc\r", ["a", "b", "c"]),  # lone CR (classic Mac)
        ("a\r\n\r\nb\n\rc", ["a", "", "b", "", "c"]),  # mixed, with empty lines in between
        ("a\u2028b\x0bc\x0cd\x1ce\x1df\x1eg\x85h\u2029i", ["a\u2028b\x0bc\x0cd\x1ce\x1df\x1eg\x85h\u2029i"]),
        ("", []),  # nothing
        ("\n", [""]),  # one empty line
    ],
)
def test_split_lines_only_at_cr_lf(text: str, expected: list[str]) -> None:
    assert split_lines(text) == expected


@pytest.mark.parametrize(
    ("data", "expected", "lines"),
    [
        # LF line ends
        (b"first\nsecond\nthird\n", ["first", "second", "third"], [1, 2, 3]),
        # CRLF line ends: no "\r" left at the end of a line
        (b"first\r\nsecond\r\n", ["first", "second"], [1, 2]),
        # lone CR line ends
        (b"first\rsecond\rthird", ["first", "second", "third"], [1, 2, 3]),
        # leading and trailing spaces and tabs are kept exactly
        (b"  padded \t\n\tindented", ["  padded \t", "\tindented"], [1, 2]),
        # vertical tab, file separator, NEL and line/paragraph separators are content, not line breaks
        (
            "one\u2028still one\x0bstill\x1cone\x85too\u2029end\nsecond".encode(),
            ["one\u2028still one\x0bstill\x1cone\x85too\u2029end", "second"],
            [1, 2],
        ),
        # emoji (skin tones, family ZWJ sequence), right-to-left and CJK without spaces, byte-exact
        (
            "\n".join([EMOJI, ARABIC, HEBREW, CJK, JAPANESE]).encode(),
            [EMOJI, ARABIC, HEBREW, CJK, JAPANESE],
            [1, 2, 3, 4, 5],
        ),
        # UTF-16 with a mark and CRLF, as Notepad writes "Unicode"
        (codecs.BOM_UTF16_LE + f"{ARABIC}\r\n{CJK}\r\n".encode("utf-16-le"), [ARABIC, CJK], [1, 2]),
    ],
)
def test_load_txt_one_example_per_line(data: bytes, expected: list[str], lines: list[int]) -> None:
    dataset = load_txt(data, "notes.txt")
    assert dataset.name == "notes.txt"
    assert texts(dataset) == expected
    assert [ex.origin for ex in dataset.examples] == [f"notes.txt line {n}" for n in lines]
    assert all(ex.label is None for ex in dataset.examples)
    assert not dataset.labelled and dataset.labels == []
    assert dataset.notices == [] and dataset.problems == []


def test_load_txt_keeps_text_byte_exact() -> None:
    lines = [EMOJI, ARABIC, HEBREW, CJK, JAPANESE, "  café \t"]
    dataset = load_txt("\n".join(lines).encode(), "mixed.txt")
    assert [ex.text.encode() for ex in dataset.examples] == [line.encode() for line in lines]


def test_blank_lines_are_skipped_and_counted() -> None:
    # lines 2 (empty), 4 (spaces), 5 (tab) and 6 (CRLF-empty) are blank; 1 and 3 hold text
    data = b"first\n\nsecond\n   \n\t\r\n\r\n"
    dataset = load_txt(data, "notes.txt")
    assert texts(dataset) == ["first", "second"]
    assert [ex.origin for ex in dataset.examples] == ["notes.txt line 1", "notes.txt line 3"]
    assert len(dataset.notices) == 1
    notice = dataset.notices[0]
    assert notice.startswith("notes.txt:") and "4 empty or whitespace-only lines" in notice
    assert "lines 2, 4, 5 and 6" in notice


@pytest.mark.parametrize(
    "data",
    [
        b"\n\n\n",  # only empty lines
        b"  \n\t\n \r\n",  # only whitespace
        codecs.BOM_UTF8,  # a byte-order mark and nothing else
    ],
)
def test_txt_without_text_is_an_input_error(data: bytes) -> None:
    with pytest.raises(InputError, match="no text") as info:
        load_txt(data, "blank.txt")
    assert info.value.name == "blank.txt" and "one example per line" in info.value.reason


def test_latin1_txt_loads_with_the_notice() -> None:
    dataset = load_txt(b"caf\xe9 au lait\nna\xefve\n", "old.txt")
    assert texts(dataset) == ["café au lait", "naïve"]
    assert len(dataset.notices) == 1 and "byte offset 3" in dataset.notices[0]


def test_one_megabyte_line_loads_whole_without_a_cap() -> None:
    line = "word " * 200_000 + "end"  # 1,000,003 characters on one line
    dataset = load_txt(line.encode() + b"\nshort\n", "long.txt", max_chars=None)
    assert texts(dataset) == [line, "short"]
    assert dataset.notices == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("one\ntwo", ["one", "two"]),  # LF
        ("one\r\ntwo\r\n", ["one", "two"]),  # CRLF from a Windows clipboard
        ("one\r\n\r\n  \ntwo", ["one", "two"]),  # blank lines skipped
        (f"{CJK}\u2028{EMOJI}", [f"{CJK}\u2028{EMOJI}"]),  # a line separator is not a line break
    ],
)
def test_paste_dataset_follows_the_txt_rules(text: str, expected: list[str]) -> None:
    dataset = paste_dataset(text)
    assert dataset.name == "Pasted text"
    assert texts(dataset) == expected
    assert dataset.examples[0].origin == "Pasted text line 1"


@pytest.mark.parametrize(
    "text",
    [
        "",  # nothing pasted
        " \n\t\n",  # only whitespace
    ],
)
def test_paste_without_text_is_an_input_error(text: str) -> None:
    with pytest.raises(InputError) as info:
        paste_dataset(text, "Box")
    assert info.value.name == "Box" and "one example per line" in info.value.reason


# --------------------------------------------------------------------------------------------------
# CSV

# Texts with every candidate delimiter, a quote and a line break inside, to survive any dialect.
TRICKY = [
    ["text", "label"],
    ["Good, cheap; works | mostly\tfine", "pos"],
    ['She said "wow"\nand left', "neg"],
    [f"{ARABIC} {EMOJI}", "pos"],
    ["plain", "neu"],
]


@pytest.mark.parametrize(
    "data",
    [
        csv_bytes(TRICKY, ","),  # comma
        csv_bytes(TRICKY, ";"),  # semicolon (European Excel)
        csv_bytes(TRICKY, "\t"),  # tab
        csv_bytes(TRICKY, "|"),  # pipe
        codecs.BOM_UTF8 + csv_bytes(TRICKY, ","),  # Excel "CSV UTF-8": a mark before the header
        codecs.BOM_UTF16_LE + csv_bytes(TRICKY, "\t", "utf-16-le"),  # Excel "Unicode text": UTF-16 TSV
    ],
)
def test_csv_delimiters_and_quoting(data: bytes) -> None:
    assert csv_columns(data, "reviews.csv") == ["text", "label"]
    dataset = load_csv(data, "reviews.csv", "text", "label")
    assert texts(dataset) == [row[0] for row in TRICKY[1:]]
    assert [ex.label for ex in dataset.examples] == [row[1] for row in TRICKY[1:]]
    # rows 2..5, although row 3 spans two lines
    assert [ex.origin for ex in dataset.examples] == [f"reviews.csv row {n}" for n in range(2, 6)]
    assert dataset.labels == ["neg", "neu", "pos"] and dataset.labelled
    assert dataset.notices == [] and dataset.problems == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # quoted line breaks (LF, CRLF and CR) and delimiters are kept inside the field, exactly
        (b'text\n"one\ntwo, three"\n"a\r\nb"\n"c\rd"\n', ["one\ntwo, three", "a\r\nb", "c\rd"]),
        # doubled quotes inside a quoted field are one quote
        (b'text\n"6"" screen, ""great"""\n', ['6" screen, "great"']),
        # surrounding spaces of an unquoted text cell are kept
        (b"text,label\n  spaced  ,x\n", ["  spaced  "]),
        # CR-only line ends between rows
        (b"text,label\rone,a\rtwo,b\r", ["one", "two"]),
        # no final line break
        (b"text\nlast", ["last"]),
        # \u2028 and \x0b inside an unquoted cell are content
        ("text\na\u2028b\x0bc\n".encode(), ["a\u2028b\x0bc"]),
    ],
)
def test_csv_text_is_kept_as_written(data: bytes, expected: list[str]) -> None:
    assert texts(load_csv(data, "t.csv", "text")) == expected


def test_csv_one_megabyte_field_loads_whole_without_a_cap() -> None:
    big = "lorem ipsum, dolor; " * 50_000  # 1,000,000 characters with delimiters inside: quoted
    data = csv_bytes([["id", "text"], ["1", big], ["2", "small"]])
    dataset = load_csv(data, "big.csv", "text", max_chars=None)
    assert texts(dataset) == [big, "small"]


def test_latin1_csv_loads_with_the_notice() -> None:
    dataset = load_csv(b"text,label\ncaf\xe9,pos\n", "old.csv", "text", "label")
    assert texts(dataset) == ["café"]
    assert len(dataset.notices) == 1 and "old.csv" in dataset.notices[0] and "Latin-1" in dataset.notices[0]


@pytest.mark.parametrize(
    ("text_column", "label_column", "missing"),
    [
        ("review", None, "'review'"),  # text column not in the file
        ("text", "sentiment", "'sentiment'"),  # label column not in the file
        ("Text", None, "'Text'"),  # names are matched exactly, case included
    ],
)
def test_missing_column_lists_the_available_ones(
    text_column: str, label_column: str | None, missing: str
) -> None:
    with pytest.raises(InputError) as info:
        load_csv(b"text,label,id\na,pos,1\n", "r.csv", text_column, label_column)
    reason = info.value.reason
    assert info.value.name == "r.csv"
    assert missing in reason and "'text', 'label', 'id'" in reason


def test_same_text_and_label_column_is_an_input_error() -> None:
    with pytest.raises(InputError, match="both"):
        load_csv(b"text\na\n", "r.csv", "text", "text")


@pytest.mark.parametrize(
    ("data", "label_column", "expected", "bad_rows"),
    [
        # the short row 3 lacks the label column: a problem; rows 2 and 4 load
        (b"text,label\nfirst,pos\nonly text\nthird,neg\n", "label", ["first", "third"], [3]),
        # without a label column the same short row has its text and loads
        (b"text,label\nfirst,pos\nonly text\nthird,neg\n", None, ["first", "only text", "third"], []),
        # text in the second column: rows 3 and 5 are too short for it
        (b"id,text\n1,a\n2\n3,c\n4\n", None, ["a", "c"], [3, 5]),
    ],
)
def test_short_rows_become_problems_and_the_rest_load(
    data: bytes, label_column: str | None, expected: list[str], bad_rows: list[int]
) -> None:
    dataset = load_csv(data, "r.csv", "text", label_column)
    assert texts(dataset) == expected
    assert [p.name for p in dataset.problems] == [f"r.csv row {n}" for n in bad_rows]
    for problem in dataset.problems:
        assert isinstance(problem, LoadProblem)
        assert "has 1 field but the header has 2" in problem.reason and "not loaded" in problem.reason


def test_short_row_after_a_multiline_field_names_row_and_line() -> None:
    # row 2 spans lines 2-3, so row 3 starts on line 4
    dataset = load_csv(b'text,label\n"a\nb",pos\nshort\n', "r.csv", "text", "label")
    assert texts(dataset) == ["a\nb"]
    assert [p.name for p in dataset.problems] == ["r.csv row 3"]
    assert "line 4" in dataset.problems[0].reason


def test_extra_fields_load_with_one_notice() -> None:
    dataset = load_csv(b"text,label\na,pos,x\nb,neg\nc,pos,y,z\n", "r.csv", "text", "label")
    assert texts(dataset) == ["a", "b", "c"]
    assert [ex.label for ex in dataset.examples] == ["pos", "neg", "pos"]
    assert len(dataset.notices) == 1
    assert "2 rows had more fields" in dataset.notices[0] and "rows 2 and 4" in dataset.notices[0]


def test_empty_text_cells_are_skipped_with_one_notice() -> None:
    # rows 2 (empty), 3 (spaces) and 5 (a blank line) have no text; 4 and 6 do
    data = b"text,label\n,pos\n   ,neg\nreal,pos\n\nalso,neg\n"
    dataset = load_csv(data, "r.csv", "text", "label")
    assert texts(dataset) == ["real", "also"]
    assert [ex.origin for ex in dataset.examples] == ["r.csv row 4", "r.csv row 6"]
    assert len(dataset.notices) == 1
    assert "skipped 3 rows" in dataset.notices[0] and "rows 2, 3 and 5" in dataset.notices[0]
    assert dataset.problems == []


def test_labels_are_stripped_and_empty_labels_leave_examples_unlabelled() -> None:
    dataset = load_csv(b"text,label\nhello, pos\nbye,\nok,neg \n", "r.csv", "text", "label")
    assert [ex.label for ex in dataset.examples] == ["pos", None, "neg"]
    assert dataset.labels == ["neg", "pos"]
    assert len(dataset.notices) == 1 and "row 3" in dataset.notices[0] and "unlabelled" in dataset.notices[0]


def test_duplicate_header_uses_the_first_column() -> None:
    data = b"text,label,text\nfirst copy,pos,second copy\n"
    assert csv_columns(data, "d.csv") == ["text", "label"]
    dataset = load_csv(data, "d.csv", "text", "label")
    assert texts(dataset) == ["first copy"]
    assert len(dataset.notices) == 1
    assert "'text' appears 2 times" in dataset.notices[0] and "column 1" in dataset.notices[0]


def test_unclosed_quote_in_last_row_is_a_problem() -> None:
    # row 3 opens a quote on line 3 that swallows lines 4-5; rows 2 loads, row 3 is reported
    dataset = load_csv(b'text,label\nfine,pos\n"broken,neg\nmore,pos\nend,neg\n', "q.csv", "text", "label")
    assert texts(dataset) == ["fine"]
    assert [p.name for p in dataset.problems] == ["q.csv row 3"]
    assert "never closed" in dataset.problems[0].reason and "lines 3 to 5" in dataset.problems[0].reason


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"text,label\n", "no data rows"),  # header only
        (b"text,label\r\n\r\n", "no row with text"),  # header and a blank line
        (b"text,label\n,pos\n,neg\n", "no row with text"),  # every text cell empty
        (b"\ntext,label\na,pos\n", "no header"),  # the first line is blank
        (png_bytes(), "binary"),  # an image renamed .csv
    ],
)
def test_csv_without_usable_rows_is_an_input_error(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        load_csv(data, "r.csv", "text", "label")
    assert info.value.name == "r.csv"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),  # zero bytes
        (b"\n\n", "no header"),  # only blank lines
        (b" , \nx,y\n", "no header"),  # a first row of blank names
        (zip_bytes(), "binary"),  # an .xlsx is a zip archive
    ],
)
def test_csv_columns_refuses_files_without_a_header(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        csv_columns(data, "r.csv")


def test_csv_columns_of_a_header_only_file() -> None:
    assert csv_columns(b"review;stars;lang\n", "r.csv") == ["review", "stars", "lang"]


# --------------------------------------------------------------------------------------------------
# Summaries and charts

EXAMPLES = [
    TextExample("the cat sat", "pos"),  # 3 words, 11 characters
    TextExample("dog", "neg"),  # 1 word, 3 characters
    TextExample("a  b\tc d", None),  # 4 words (runs of spaces and a tab separate), 8 characters
    TextExample(CJK[:4], "pos"),  # 1 word (no spaces), 4 characters
]


def test_summarize_counts_and_lengths() -> None:
    summary = summarize_text(EXAMPLES)
    assert summary.total == 4
    assert list(summary.label_counts.items()) == [("neg", 1), ("pos", 2), ("(unlabelled)", 1)]
    # words 3, 1, 4, 1 -> sorted 1, 1, 3, 4: median (1 + 3) / 2 = 2, mean 9 / 4 = 2.25
    assert summary.words == LengthStats(minimum=1, median=2.0, mean=2.25, maximum=4)
    # characters 11, 3, 8, 4 -> sorted 3, 4, 8, 11: median (4 + 8) / 2 = 6, mean 26 / 4 = 6.5
    assert summary.characters == LengthStats(minimum=3, median=6.0, mean=6.5, maximum=11)


def test_summarize_nothing() -> None:
    assert summarize_text([]) == TextSummary(total=0, label_counts={}, words=None, characters=None)


def test_label_count_figure_has_one_bar_per_label() -> None:
    figure = label_count_figure(summarize_text(EXAMPLES))
    (bar,) = figure.data
    assert bar.type == "bar"
    assert list(bar.x) == ["neg", "pos", "(unlabelled)"] and list(bar.y) == [1, 2, 1]
    assert figure.layout.xaxis.type == "category"
    assert "4 examples" in figure.layout.title.text and "2 labels" in figure.layout.title.text
    assert figure.layout.xaxis.title.text and figure.layout.yaxis.title.text


def test_numeric_labels_stay_categories() -> None:
    examples = [TextExample("x", "5"), TextExample("y", "10"), TextExample("z", "5")]
    (bar,) = label_count_figure(summarize_text(examples)).data
    assert list(bar.x) == ["10", "5"] and list(bar.y) == [1, 2]  # sorted as strings


def test_length_figure_histograms_words_per_example() -> None:
    figure = length_figure(EXAMPLES)
    (histogram,) = figure.data
    assert histogram.type == "histogram"
    assert list(histogram.x) == [3, 1, 4, 1]
    assert "Words" in figure.layout.xaxis.title.text and figure.layout.yaxis.title.text
    assert figure.layout.title.text


def test_unreadable_rest_of_csv_is_a_problem_and_earlier_rows_load() -> None:
    # Lower the process-wide field limit for a moment, so a 40-character field stands in for one over
    # 64 MiB; restored before anything else runs.
    old_limit = csv.field_size_limit(20)
    try:
        dataset = load_csv(b"text\nshort\n" + b"x" * 40 + b"\nlater\n", "huge.csv", "text")
    finally:
        csv.field_size_limit(old_limit)
    assert texts(dataset) == ["short"]
    assert [p.name for p in dataset.problems] == ["huge.csv row 3"]
    assert "not loaded" in dataset.problems[0].reason


# --------------------------------------------------------------------------------------------------
# Binary content without a magic number (issue 8): random bytes used to load as lines of Latin-1 "text"


def noise(count: int) -> bytes:
    """``count`` bytes that look random: SHA-256 digests of a counter, so every byte value is about as
    frequent as any other (28 of the 256 values are control characters text does not use)."""
    digests = b"".join(hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(count // 32 + 1))
    return digests[:count]


@pytest.mark.parametrize(
    "data",
    [
        noise(4_400),  # the defect's file: about 34 "lines" of Latin-1 before
        noise(300),  # a short one
        noise(200_000),  # longer than the window examined
        b"ELF header\n" + noise(5_000),  # a text-looking start does not rescue the rest of the window
        "héllo wörld\n".encode() * 20 + bytes(range(1, 32)) * 40,  # valid UTF-8, then control bytes
    ],
)
def test_random_bytes_are_refused_as_binary_by_name(data: bytes) -> None:
    for loader in (decode_text, load_txt, csv_columns):
        with pytest.raises(InputError, match="binary") as info:
            loader(data, "notes.txt")
        assert info.value.name == "notes.txt" and str(info.value).startswith("notes.txt: ")
        assert "control characters" in info.value.reason and "UTF-8" in info.value.reason


FRENCH = "Le café était délicieux, et le gâteau aussi.\nÀ bientôt, dit-elle à l'hôtesse.\n" * 20
JAPANESE_TEXT = "この商品はとても良いです。東京に行きました、そして富士山を見ました。\n" * 20


@pytest.mark.parametrize(
    ("data", "lines", "notices"),
    [
        # Latin-1 French: accented letters above 0x80 and no control bytes
        (FRENCH.encode("latin-1"), 40, 1),
        # Windows-1252 curly quotes, dashes and ellipsis sit in 0x80-0x9F (C1 in Latin-1): still text
        ("“Hello,” she said—“it’s fine…”\n".encode("cp1252") * 30, 30, 1),
        # UTF-8 with emoji, right-to-left and CJK
        ("\n".join([EMOJI, ARABIC, HEBREW, CJK, JAPANESE] * 10).encode(), 50, 0),
        # Shift-JIS lead bytes fill 0x81-0x9F; not UTF-8, so it reads as Latin-1 with the notice, as before
        (JAPANESE_TEXT.encode("shift_jis"), 20, 1),
        # Windows-1251 Cyrillic, every letter above 0x80
        ("Привет, как дела? Это хороший продукт.\n".encode("cp1251") * 20, 20, 1),
        # a coloured log: ANSI escape codes (ESC) are not counted against text
        (b"\x1b[32mINFO\x1b[0m server started on port 8501\n" * 50, 50, 0),
        # a stray bell and backspace in long text, and form feeds between pages
        (b"ding\x07 goes the bell\n" + b"page one text here\x0cpage two\n" * 30 + b"typo\x08 fixed\n", 32, 0),
    ],
)
def test_real_text_in_many_encodings_still_loads(data: bytes, lines: int, notices: int) -> None:
    dataset = load_txt(data, "notes.txt")
    assert len(dataset.examples) == lines
    assert len(dataset.notices) == notices


# --------------------------------------------------------------------------------------------------
# Very long examples (issue 8): cut to MAX_EXAMPLE_CHARS with a notice, unless asked not to

LONG = "word " * 400_000  # 2,000,000 characters on one line


def test_long_lines_are_cut_with_one_notice_naming_them() -> None:
    lines = ["short one", LONG, "short two", "x" * 10_001, "y" * 10_000]
    dataset = load_txt("\n".join(lines).encode(), "book.txt")
    assert texts(dataset) == ["short one", LONG[:10_000], "short two", "x" * 10_000, "y" * 10_000]
    (notice,) = dataset.notices
    assert notice.startswith("book.txt: 2 lines had more than 10,000 characters (lines 2 and 4;")
    assert "2,000,000" in notice  # the longest
    assert "cut to its first 10,000 characters" in notice


@pytest.mark.parametrize(
    ("load", "where"),
    [
        # a CSV cell: rows count from the header (row 1), so the long text is row 3
        (lambda cap: load_csv(csv_bytes([["text"], ["a"], [LONG]]), "r.csv", "text", max_chars=cap), "row 3"),
        # pasted text follows the .txt rules
        (lambda cap: paste_dataset(f"a\n{LONG}", max_chars=cap), "line 2"),
        # a .txt file
        (lambda cap: load_txt(f"a\n{LONG}".encode(), "t.txt", max_chars=cap), "line 2"),
    ],
)
@pytest.mark.parametrize("cap", [5, 10_000])
def test_every_loader_caps_examples(load, where: str, cap: int) -> None:
    dataset = load(cap)
    assert texts(dataset) == ["a", LONG[:cap]]
    (notice,) = dataset.notices
    assert f"({where};" in notice and f"{cap:,} characters" in notice


@pytest.mark.parametrize(
    "cap",
    [
        0,  # nothing would be left
        -3,  # negative
        2.5,  # not whole
        True,  # a bool is not a count
        "100",  # a string
    ],
)
def test_a_bad_cap_is_a_config_error(cap: object) -> None:
    with pytest.raises(ConfigError, match="max_chars"):
        load_txt(b"hello\n", "t.txt", max_chars=cap)


# --------------------------------------------------------------------------------------------------
# CSV files without a header row (issue 8): detected, said, and readable with generic column names


@pytest.mark.parametrize(
    ("data", "doubt"),
    [
        # a real header over text and labels
        (b"text,label\nGreat phone,pos\nAwful,neg\nFine,pos\n", None),
        # a header over numbers: the names are words
        (b"review;stars\nnice;5\nbad;1\n", None),
        # pandas' index column has an empty name
        (b",text,label\n0,Great,pos\n1,Awful,neg\n", None),
        # the first row is data: its label reappears below it
        (b"Great phone,pos\nAwful,neg\nFine,pos\n", "'pos' (column 2) appears again"),
        # the first row is data: an id and a star rating are numbers
        (b"1,Great product,5\n2,Bad one,1\n", "'1' (column 1) is a number; '5' (column 3) is a number"),
        # the first row is data: a sentence of 90 characters is no column name
        (("A" * 90 + "\nshort\n").encode(), "is 90 characters long"),
    ],
)
def test_csv_layout_says_when_the_first_row_looks_like_data(data: bytes, doubt: str | None) -> None:
    layout = csv_layout(data, "r.csv")
    if doubt is None:
        assert layout.header_doubt is None and layout.has_header
    else:
        assert doubt in layout.header_doubt and not layout.has_header


def test_the_built_in_reviews_have_a_header() -> None:
    data = (Path(__file__).resolve().parents[2] / "assets" / "sample_reviews.csv").read_bytes()
    assert csv_layout(data, "sample_reviews.csv").header_doubt is None


HEADERLESS = b"Great phone,pos\nAwful battery,neg\nFine,pos\n"


def test_a_headerless_csv_read_with_a_header_says_the_first_row_looks_like_data() -> None:
    dataset = load_csv(HEADERLESS, "r.csv", "Great phone", "pos")
    assert texts(dataset) == ["Awful battery", "Fine"]  # the first row was taken for names
    (notice,) = dataset.notices
    assert notice.startswith("r.csv: the first row was read as column names, but it looks like data")
    assert "header=False" in notice


def test_a_headerless_csv_loads_every_row_with_generic_column_names() -> None:
    assert csv_columns(HEADERLESS, "r.csv", header=False) == ["column 1", "column 2"]
    assert csv_columns(HEADERLESS, "r.csv") == ["Great phone", "pos"]
    dataset = load_csv(HEADERLESS, "r.csv", "column 1", "column 2", header=False)
    assert texts(dataset) == ["Great phone", "Awful battery", "Fine"]
    assert [ex.label for ex in dataset.examples] == ["pos", "neg", "pos"]
    assert [ex.origin for ex in dataset.examples] == ["r.csv row 1", "r.csv row 2", "r.csv row 3"]
    assert dataset.notices == [] and dataset.problems == []


def test_a_short_row_without_a_header_is_measured_against_the_first_row() -> None:
    dataset = load_csv(b"first,pos\nonly text\nthird,neg\n", "r.csv", "column 1", "column 2", header=False)
    assert texts(dataset) == ["first", "third"]
    assert [p.name for p in dataset.problems] == ["r.csv row 2"]
    assert "has 1 field but the first row has 2" in dataset.problems[0].reason


def test_a_missing_generic_column_lists_the_generic_names() -> None:
    with pytest.raises(InputError) as info:
        load_csv(HEADERLESS, "r.csv", "text", header=False)
    assert "'column 1', 'column 2'" in info.value.reason
