"""The one place that turns a data source — a built-in sample's name or a file path — into a dataset.

Pages, the CLI (``--data``) and export recipes (``inputs``) all name their data through here, so they
accept the same names and load the same data. Each built-in sample has a short name for scripts and
recipes and a display name for the pages; either is accepted.

========== ============================================================ ======
short name what                                                          kind
========== ============================================================ ======
digits     scikit-learn's 1,797 handwritten digits, 8x8, 10 classes     images
photos     seven photos bundled with scikit-image and scikit-learn      images
reviews    24 short product reviews, positive / negative                text
sentences  300 sentences of CPython's documentation (pydoc_data)        text
pydoc      every line of CPython's documentation topics (~450k chars)   text
========== ============================================================ ======
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.data.image_io import load_files
from core.data.images import BUILTIN, DIGITS, PHOTOS, ImageDataset
from core.data.text_io import MAX_EXAMPLE_CHARS, TextDataset, load_csv, load_txt
from core.data.texts import PYDOC, PYDOC_TOPICS, REVIEWS, TEXT_SAMPLES
from core.errors import InputError


@dataclass(frozen=True)
class Builtin:
    """A built-in sample: its short name (scripts, recipes), display name (pages) and kind."""

    short: str
    display: str
    kind: str  # "images" or "text"


BUILTINS: tuple[Builtin, ...] = (
    Builtin("digits", DIGITS, "images"),
    Builtin("photos", PHOTOS, "images"),
    Builtin("reviews", REVIEWS, "text"),
    Builtin("sentences", PYDOC, "text"),
    Builtin("pydoc", PYDOC_TOPICS, "text"),
)


def builtin(name: str, kind: str) -> Builtin | None:
    """The built-in sample of ``kind`` called ``name`` (short or display name), or None."""
    for item in BUILTINS:
        if item.kind == kind and name in (item.short, item.display):
            return item
    return None


def builtin_names(kind: str) -> list[str]:
    """Short names of the built-in samples of ``kind``, in menu order."""
    return [item.short for item in BUILTINS if item.kind == kind]


def display_names(kind: str) -> list[str]:
    """Display names of the built-in samples of ``kind``, in menu order."""
    return [item.display for item in BUILTINS if item.kind == kind]


def short_name(display: str) -> str | None:
    """The short name of a built-in sample given its display name (or short name), else None."""
    for item in BUILTINS:
        if display in (item.short, item.display):
            return item.short
    return None


def load_builtin_images(name: str) -> ImageDataset:
    """A fresh copy of a built-in image sample (short or display name).

    Raises:
        InputError: No image sample has that name.
    """
    item = builtin(name, "images")
    if item is None:
        names = ", ".join(builtin_names("images"))
        raise InputError(name, f"is not a built-in image sample; the samples are {names}")
    return BUILTIN[item.display]()


def load_builtin_text(name: str) -> TextDataset:
    """A fresh copy of a built-in text sample (short or display name).

    Raises:
        InputError: No text sample has that name.
    """
    item = builtin(name, "text")
    if item is None:
        names = ", ".join(builtin_names("text"))
        raise InputError(name, f"is not a built-in text sample; the samples are {names}")
    return TEXT_SAMPLES[item.display]()


def _read(path: str, what: str) -> bytes:
    """The bytes of the file at ``path``; InputError naming the path when it is not a readable file."""
    p = Path(path)
    if not p.is_file():
        raise InputError(path, f"is not a built-in sample and not a file ({what}); check the name or path")
    try:
        return p.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror}); check its permissions") from exc


def resolve_images(inputs: Sequence[str], notify: Callable[[str], None] = lambda _: None) -> ImageDataset:
    """The images of ``inputs``, in order: built-in sample names, image files or class-folder zips.

    Args:
        inputs: Short or display names of built-in samples, or paths of images / zips.
        notify: Called with one sentence per file or zip entry that was skipped, and why.

    Raises:
        InputError: An input is neither a sample nor a file, or yields no usable image.
    """
    images, problems = [], []
    for source in inputs:
        if builtin(source, "images") is not None:
            images.extend(load_builtin_images(source).images)
            continue
        result = load_files([(Path(source).name, _read(source, "an image or a .zip of class folders"))])
        for problem in result.problems:
            notify(f"skipped {problem}")
        if not result.images:
            raise InputError(source, "holds no image that could be used; see the reasons above")
        images.extend(result.images)
        problems.extend(result.problems)
    name = inputs[0] if len(inputs) == 1 else f"{len(inputs)} inputs"
    item = builtin(name, "images")
    return ImageDataset(name=item.display if item else Path(name).name, images=images, problems=problems)


def resolve_text(
    inputs: Sequence[str],
    text_column: str = "text",
    label_column: str | None = "label",
    notify: Callable[[str], None] = lambda _: None,
    *,
    header: bool = True,
    max_chars: int | None = MAX_EXAMPLE_CHARS,
) -> TextDataset:
    """The text examples of ``inputs``, in order, as one ``TextDataset``.

    Args:
        inputs: Short or display names of built-in samples, or paths: ``.csv`` / ``.tsv`` (read with
            ``text_column`` and ``label_column``), anything else as plain text, one example per line.
        text_column: CSV inputs: the column holding the text.
        label_column: CSV inputs: the column holding the label (None: unlabelled).
        notify: Called with each notice and each skipped row, naming the file.
        header: CSV inputs: whether the first row holds the column names (False: the columns are
            ``"column 1"``, ``"column 2"``, ...).
        max_chars: Longest example kept, in characters (None: no cap); see ``core.data.text_io.load_txt``.

    Raises:
        InputError: An input is neither a sample nor a file, or is unusable.
    """
    examples, notices, problems = [], [], []
    for source in inputs:
        if builtin(source, "text") is not None:
            dataset = load_builtin_text(source)
        else:
            data = _read(source, "a .txt or .csv file")
            name = Path(source).name
            if name.lower().endswith((".csv", ".tsv")):
                dataset = load_csv(data, name, text_column, label_column, header=header, max_chars=max_chars)
            else:
                dataset = load_txt(data, name, max_chars=max_chars)
        for line in [*dataset.notices, *(f"skipped {p}" for p in dataset.problems)]:
            notify(line)
        examples.extend(dataset.examples)
        notices.extend(dataset.notices)
        problems.extend(dataset.problems)
    name = inputs[0] if len(inputs) == 1 else f"{len(inputs)} inputs"
    item = builtin(name, "text")
    return TextDataset(
        name=item.display if item else Path(name).name, examples=examples, notices=notices, problems=problems
    )
