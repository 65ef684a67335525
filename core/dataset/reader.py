"""Read an exported archive back: its splits as datasets, its recipe, and a check of its checksums.

Every message names the archive and the entry (``dataset.zip: recipe.json: ...``) and says what is
wrong. An archive may sit in one wrapping folder (``ds/train/...``, ``ds/recipe.json``), as when a user
unpacks it and zips the folder again. CSV cells come back exactly as made: the spreadsheet guard of
:mod:`core.dataset.csv_cells` is undone by :func:`read_csv_member`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import zipfile
from typing import IO, Any

from core.dataset.csv_cells import unescape_cell
from core.dataset.recipe import SPLITS, Recipe
from core.errors import AugLabError, ConfigError, InputError

SPLIT_FOLDERS = {"train": "train", "val": "val", "valid": "val", "validation": "val", "test": "test"}
RECIPE_ENTRY = "recipe.json"
MANIFEST_ENTRY = "manifest.csv"
TEXT_ENTRIES = ("data.csv", "data.jsonl")
MAX_RECIPE_BYTES = 16 << 20  # a recipe is a few kilobytes; more is not a recipe (or a zip bomb)

ArchiveSource = bytes | str | os.PathLike[str] | IO[bytes]


def split_of(member: str) -> str | None:
    """The split of an archive member path (``train/cat/1.png`` -> ``"train"``), after a single wrapping
    folder; ``valid`` and ``validation`` count as ``"val"``. None when the path is in no split folder."""
    parts = [p for p in member.split("/") if p]
    for part in parts[:2]:
        if part.lower() in SPLIT_FOLDERS:
            return SPLIT_FOLDERS[part.lower()]
    return None


def open_archive(source: ArchiveSource, name: str) -> zipfile.ZipFile:
    """The archive as a ``ZipFile`` (bytes, a path or a binary file).

    Raises:
        InputError: Not a readable zip archive.
    """
    fileobj = io.BytesIO(source) if isinstance(source, (bytes, bytearray, memoryview)) else source
    try:
        return zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise InputError(name, f"is not a readable zip archive ({exc}); write the export again") from None


def find_entry(zf: zipfile.ZipFile, entry: str) -> str | None:
    """The member holding ``entry`` (e.g. ``recipe.json``) at the top or under one wrapping folder."""
    names = set(zf.namelist())
    if entry in names:
        return entry
    wrapped = sorted(n for n in names if n.count("/") == entry.count("/") + 1 and n.split("/", 1)[1] == entry)
    return wrapped[0] if len(wrapped) == 1 else None


def read_entry(zf: zipfile.ZipFile, name: str, entry: str, limit: int | None = None) -> bytes:
    """The bytes of ``entry`` (see :func:`find_entry`).

    Args:
        zf: The open archive.
        name: The archive's name, for messages.
        entry: The entry's path inside an export, e.g. ``"generators/<sha256>.pt"``.
        limit: Most bytes to read; a larger entry is refused.

    Raises:
        InputError: The entry is missing, too large or unreadable, named as ``archive: entry``.
    """
    member = find_entry(zf, entry)
    if member is None:
        raise InputError(f"{name}: {entry}", "is not in the archive; is it an AugLab export?")
    info = zf.getinfo(member)
    if limit is not None and info.file_size > limit:
        raise InputError(f"{name}: {member}", f"is {info.file_size:,} bytes, over the {limit:,}-byte limit")
    try:
        return zf.read(member)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as exc:
        raise InputError(f"{name}: {member}", f"cannot be read from the archive ({exc})") from None


def recipe_of(source: ArchiveSource, name: str) -> Recipe:
    """The recipe an archive was made with (its ``recipe.json``).

    Raises:
        InputError: Not a zip, or no readable ``recipe.json`` in it.
        ConfigError: ``recipe.json`` is not a valid recipe of this version (message: ``archive:
            recipe.json: reason``).
    """
    with open_archive(source, name) as zf:
        data = read_entry(zf, name, RECIPE_ENTRY, MAX_RECIPE_BYTES)
        member = find_entry(zf, RECIPE_ENTRY)
    try:
        return Recipe.from_json(data)
    except ConfigError as exc:
        raise ConfigError(f"{name}: {member}: {exc}") from None


def read_csv_member(zf: zipfile.ZipFile, name: str, entry: str) -> list[dict[str, str]]:
    """The rows of a CSV entry of an export (``data.csv``, ``manifest.csv``), cells exactly as made.

    Raises:
        InputError: The entry is missing, unreadable or not UTF-8 CSV.
    """
    data = read_entry(zf, name, entry)
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{name}: {entry}", f"is not UTF-8 CSV ({exc})") from None
    if not rows:
        raise InputError(f"{name}: {entry}", "is empty; it has not even a header line")
    header, body = rows[0], rows[1:]
    out = []
    for number, row in enumerate(body, 2):
        if len(row) != len(header):
            raise InputError(f"{name}: {entry} line {number}", f"has {len(row)} cells, not {len(header)}")
        out.append({key: unescape_cell(cell) for key, cell in zip(header, row, strict=True)})
    return out


def load_export(data: bytes, name: str) -> dict[str, Any]:
    """Load an exported image archive (or any ``train/ val/ test/`` class-folder zip) per split.

    Args:
        data: The archive's bytes.
        name: Its file name, for messages.

    Returns:
        ``{"train": ImageDataset, "val": ..., "test": ...}``; labels come from the class folders.
        ``manifest.csv``, ``recipe.json`` and ``generators/`` are not reported as problems; members that
        could not be used are, in ``out["train"].problems``, each named ``archive: entry``.

    Raises:
        InputError: Not a readable zip, no image in it, or an image outside the split folders.
    """
    from core.data.image_io import LoadProblem, load_zip
    from core.data.images import ImageDataset

    result = load_zip(data, name)
    out = {split: ImageDataset(name=f"{name} ({split})") for split in SPLITS}
    for image in result.images:
        split = split_of(image.name)
        if split is None:
            raise InputError(
                f"{name}: {image.name}", "is outside train/, val/ and test/; the archive is not an export"
            )
        out[split].images.append(image)
    for problem in result.problems:
        entry = problem.name.rsplit("/", 1)[-1]
        if entry in (MANIFEST_ENTRY, RECIPE_ENTRY) or "generators/" in problem.name:
            continue
        where = problem.name if problem.name == name else f"{name}: {problem.name}"
        out["train"].problems.append(LoadProblem(where, problem.reason))
    return out


def load_text_export(data: bytes, name: str) -> dict[str, Any]:
    """Load an exported text archive per split, from its ``data.jsonl`` (the rows exactly as made).

    Returns:
        ``{"train": TextDataset, "val": ..., "test": ...}``; each example's origin is
        ``"archive: data.jsonl line n"``.

    Raises:
        InputError: Not a readable zip, no ``data.jsonl``, or a line that is not a row of an export.
    """
    from core.data.text_io import TextDataset, TextExample

    out = {split: TextDataset(name=f"{name} ({split})") for split in SPLITS}
    with open_archive(data, name) as zf:
        lines = read_entry(zf, name, "data.jsonl").decode("utf-8", "surrogatepass").split("\n")
    for number, line in enumerate(lines, 1):
        if not line:
            continue
        where = f"{name}: data.jsonl line {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(where, f"is not valid JSON ({exc})") from None
        label = row.get("label") if isinstance(row, dict) else None
        if (
            not isinstance(row, dict)
            or not isinstance(row.get("text"), str)
            or row.get("split") not in SPLITS
            or not (label is None or isinstance(label, str))
        ):
            raise InputError(where, "is not a row of an AugLab export (text, label, split)")
        out[row["split"]].examples.append(TextExample(row["text"], label, where))
    return out


def verify_archive(source: ArchiveSource, name: str = "the archive") -> list[str]:
    """Check every manifest row's sha256 against what it names: the member (images) or the row's text in
    ``data.jsonl`` (text).

    Args:
        source: The archive's bytes, path or binary file.
        name: Its name, for messages.

    Returns:
        One sentence per mismatch or missing member, naming it; empty when the archive is intact.

    Raises:
        InputError: Not a readable zip, or no readable ``manifest.csv``.
    """
    problems = []
    with open_archive(source, name) as zf:
        rows = read_csv_member(zf, name, MANIFEST_ENTRY)
        texts: dict[str, str] | None = None
        if find_entry(zf, "data.jsonl") is not None:
            texts = {}
            for line in read_entry(zf, name, "data.jsonl").decode("utf-8", "surrogatepass").splitlines():
                try:
                    row = json.loads(line)
                    texts[row["id"]] = row["text"]
                except (json.JSONDecodeError, KeyError, TypeError):
                    problems.append(f"{name}: data.jsonl has a line that is not a row: {line[:60]!r}.")
        names = set(zf.namelist())
        for row in rows:
            path = row.get("path", "")
            if texts is not None:
                if path not in texts:
                    problems.append(f"{name}: row {path} is in manifest.csv but not in data.jsonl.")
                    continue
                content = texts[path].encode("utf-8", "surrogatepass")
            elif path not in names:
                problems.append(f"{name}: {path} is in manifest.csv but not in the archive.")
                continue
            else:
                try:
                    content = zf.read(path)
                except (zipfile.BadZipFile, AugLabError, OSError) as exc:
                    problems.append(f"{name}: {path} cannot be read ({exc}).")
                    continue
            if hashlib.sha256(content).hexdigest() != row.get("sha256"):
                problems.append(f"{name}: {path} does not match its manifest sha256.")
    return problems
