"""Load text datasets (plain text, one example per line, or CSV) for text augmentation, entirely in memory.

Nothing here writes to disk. Every problem a user can cause becomes an :class:`~core.errors.InputError`
when the whole file is unusable (empty, binary, no text, a missing column), or a
:class:`~core.data.image_io.LoadProblem` for one CSV row, so one bad row never stops the others. Anything
done to the data on the way (NULs removed, blank lines skipped, a fallback encoding, a long example cut)
is reported as a notice: a sentence that names the file.

Modules:
    decoding: binary detection, encodings, line splitting.
    examples: :class:`TextExample`, :class:`TextDataset` and the cap on an example's length.
    plain: ``.txt`` files and pasted text, one example per line.
    csv_table: CSV files, their delimiter, header row and columns.
    summary: counts per label and length statistics.
"""

from core.data.text_io.csv_table import CsvLayout, column_name, csv_columns, csv_layout, load_csv
from core.data.text_io.decoding import decode_text, split_lines
from core.data.text_io.examples import MAX_EXAMPLE_CHARS, TextDataset, TextExample
from core.data.text_io.plain import load_txt, paste_dataset
from core.data.text_io.summary import LengthStats, TextSummary, summarize_text, word_count

__all__ = [
    "MAX_EXAMPLE_CHARS",
    "CsvLayout",
    "LengthStats",
    "TextDataset",
    "TextExample",
    "TextSummary",
    "column_name",
    "csv_columns",
    "csv_layout",
    "decode_text",
    "load_csv",
    "load_txt",
    "paste_dataset",
    "split_lines",
    "summarize_text",
    "word_count",
]
