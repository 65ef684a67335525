"""Plain text, one example per line: uploaded ``.txt`` files and pasted text."""

from __future__ import annotations

from core.data.text_io.decoding import decode_text, remove_nuls, split_lines
from core.data.text_io.examples import (
    MAX_EXAMPLE_CHARS,
    TextDataset,
    TextExample,
    cap_lengths,
    check_max_chars,
)
from core.data.wording import plural, where
from core.errors import InputError


def _dataset_from_text(text: str, name: str, notices: list[str], max_chars: int | None) -> TextDataset:
    """One example per non-blank line, kept exactly as written; blank and long lines in one notice each."""
    examples: list[TextExample] = []
    numbers: list[int] = []
    blank: list[int] = []
    for number, line in enumerate(split_lines(text), 1):
        if line.strip():
            examples.append(TextExample(text=line, origin=f"{name} line {number:,}"))
            numbers.append(number)
        else:
            blank.append(number)
    if not examples:
        if blank:
            reason = f"has no text: all {plural(len(blank), 'line')} are empty or whitespace only"
        else:
            reason = "has no text"
        raise InputError(name, f"{reason}; put one example per line")
    if blank:
        notices.append(
            f"{name}: skipped {plural(len(blank), 'empty or whitespace-only line')} "
            f"({where('line', blank)}).",
        )
    examples, long_notices = cap_lengths(examples, numbers, name, "line", max_chars)
    return TextDataset(name=name, examples=examples, notices=notices + long_notices)


def load_txt(data: bytes, name: str, max_chars: int | None = MAX_EXAMPLE_CHARS) -> TextDataset:
    """Load a plain-text file with one example per line.

    Args:
        data: The file's bytes; see :func:`~core.data.text_io.decode_text` for encodings.
        name: The file name as the user knows it.
        max_chars: Longest example kept, in characters; longer lines are cut to it, with a notice.
            None keeps every line whole (e.g. a corpus for a language model).

    Returns:
        One unlabelled example per non-blank line, text exactly as written (line break removed), origin
        ``"<name> line <n>"``; empty and whitespace-only lines are skipped with one notice.

    Raises:
        InputError: The file is empty, binary, or has no non-blank line.
        ConfigError: ``max_chars`` is not a whole number of at least 1 or None.
    """
    max_chars = check_max_chars(max_chars)
    text, notices = decode_text(data, name)
    return _dataset_from_text(text, name, notices, max_chars)


def paste_dataset(
    text: str, name: str = "Pasted text", max_chars: int | None = MAX_EXAMPLE_CHARS
) -> TextDataset:
    """Turn pasted text into a dataset with the same rules as :func:`load_txt`.

    Args:
        text: The pasted text, one example per line.
        name: Display name used in origins and messages.
        max_chars: Longest example kept, in characters (None: no cap); see :func:`load_txt`.

    Returns:
        One unlabelled example per non-blank line.

    Raises:
        InputError: The text is empty or has no non-blank line.
    """
    max_chars = check_max_chars(max_chars)
    if not text:
        raise InputError(name, "is empty; paste some text, one example per line")
    text, notices = remove_nuls(text, name)
    return _dataset_from_text(text, name, notices, max_chars)
