"""Bytes to text: refuse binary files, pick the encoding, split lines.

Bytes are decoded as UTF-8 (with or without a byte-order mark), UTF-16 or UTF-32 when they start with a
byte-order mark, and otherwise as Latin-1 with a visible notice. Lines end at ``"\\r\\n"``, ``"\\r"`` or
``"\\n"`` only; characters that :meth:`str.splitlines` would also break on (``"\\x0b"``, ``"\\x1c"``,
``"\\u2028"``, ...) are content. Text is kept exactly as written.
"""

from __future__ import annotations

import codecs
import re

from core.data.wording import plural, where
from core.errors import InputError

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
BINARY_WINDOW = 64 * 1024
"""Bytes (or, for UTF-16/32, characters) at the start of a file examined for signs of binary content."""
_BINARY_NUL_PERCENT = 1  # more NULs than this percentage of the window means binary

# Control characters text does not contain: C0 controls and DEL, except tab, line feed, vertical tab,
# form feed, carriage return (layout) and escape (ANSI colour codes in logs). Random bytes have about
# 11% of them (28 of 256 values); real text, in any encoding with ASCII below 0x80, has none or a few.
# The C1 range (0x80-0x9F) is not counted: Windows-1252 puts its curly quotes and dashes there and
# Shift-JIS its lead bytes, and both are text.
_CONTROLS = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20), 0x7F])
_DELETE_CONTROLS = dict.fromkeys(_CONTROLS)  # str.translate table: code point -> None (deleted)
_BINARY_CONTROL_PERCENT = 5  # more control characters than this percentage of the window means binary
_BINARY_CONTROL_MIN = 4  # ... and at least this many, so that a line or two with a stray control passes

# Byte-order marks. UTF-32 comes first because its little-endian mark starts with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)


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
    window = data[:BINARY_WINDOW]
    nuls = window.count(0)
    if nuls * 100 > len(window) * _BINARY_NUL_PERCENT:
        return f"{nuls * 100 / len(window):.0f}% of its first {plural(len(window), 'byte')} are NUL bytes"
    return None


def _control_kind(window: bytes | str, unit: str) -> str | None:
    """Why the start of a file looks binary from its share of control characters, or None.

    Args:
        window: The first bytes (for 8-bit and UTF-8 files; UTF-8 never uses bytes below 0x80 inside a
            multi-byte character, so bytes and characters count the same) or characters (UTF-16/32).
        unit: ``"byte"`` or ``"character"``, for the message.
    """
    if not window:
        return None
    if isinstance(window, bytes):
        kept = window.translate(None, _CONTROLS)
    else:
        kept = window.translate(_DELETE_CONTROLS)
    controls = len(window) - len(kept)
    if controls >= _BINARY_CONTROL_MIN and controls * 100 > len(window) * _BINARY_CONTROL_PERCENT:
        return (
            f"{controls * 100 / len(window):.0f}% of its first {plural(len(window), unit)} are control "
            "characters that text does not contain"
        )
    return None


def _refuse_binary(name: str, kind: str) -> InputError:
    return InputError(
        name,
        f"looks like a binary file, not text ({kind}); upload a .txt or .csv file saved as UTF-8 text "
        "(export spreadsheets as CSV; re-save UTF-16 text without a byte-order mark as UTF-8)",
    )


def remove_nuls(text: str, name: str) -> tuple[str, list[str]]:
    """Drop NUL characters, with a notice naming how many and on which lines."""
    if "\x00" not in text:
        return text, []
    lines = [number for number, line in enumerate(split_lines(text), 1) if "\x00" in line]
    count = text.count("\x00")
    notice = (
        f"{name}: removed {plural(count, 'NUL character')} (byte 0) on {where('line', lines)}; NULs "
        "usually mean a damaged file or a wrong encoding, so check those lines read as you expect."
    )
    return text.replace("\x00", ""), [notice]


def decode_text(data: bytes, name: str) -> tuple[str, list[str]]:
    """Decode an uploaded text file held in memory.

    1. Binary files are refused: PNG, JPEG, GIF, PDF, zip/xlsx, gzip, old Office or 7-Zip by their magic
       number; otherwise more than 1% NUL bytes, or more than 5% (and at least 4) control characters
       other than tab, line breaks, form feed and escape, in the first 64 KiB.
    2. A UTF-32 or UTF-16 byte-order mark selects that encoding; bytes that do not decode are replaced
       with U+FFFD and a notice gives the offset of the first. The control-character check then runs on
       the first 64 Ki characters.
    3. Otherwise UTF-8, with its byte-order mark removed if present; if that fails the file is decoded as
       Latin-1 (strictly ISO-8859-1, which accepts every byte) and a notice gives the first bad byte.
    4. NUL characters left in the text are removed, with a notice giving their count and lines.

    Args:
        data: The file's bytes.
        name: The file name as the user knows it, used in messages.

    Returns:
        The text (without byte-order mark; line breaks as written) and human-readable notices.

    Raises:
        InputError: The file is empty (0 bytes) or looks binary; the message names the file.
    """
    if len(data) == 0:
        raise InputError(name, "is empty (0 bytes); upload the file again or pick another one")
    # UTF-16/32 text is full of 00 bytes, so with their byte-order mark only a magic number counts here.
    wide = data.startswith(tuple(bom for bom, _, _ in _BOMS))
    kind = _magic_kind(data)
    if kind is None and not wide:
        kind = _nul_kind(data) or _control_kind(data[:BINARY_WINDOW], "byte")
    if kind is not None:
        raise _refuse_binary(name, kind)

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
        kind = _control_kind(text[:BINARY_WINDOW], "character")
        if kind is not None:
            raise _refuse_binary(name, kind)
        text, nul_notices = remove_nuls(text, name)
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
    text, nul_notices = remove_nuls(text, name)
    return text, notices + nul_notices
