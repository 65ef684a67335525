"""Zip archives of class folders, and many uploads at once: load every image, name every file refused.

Entries are inflated in memory only, and never past two limits: one per entry (:data:`MAX_ENTRY_BYTES`)
and one for the whole archive (:data:`MAX_ARCHIVE_BYTES`). Both are checked against the entry's declared
size before anything is inflated, and inflating never goes further than that size (the rest of an entry
whose header lies fails its CRC check), so a zip bomb costs at most the limit in memory, not its inflated
size. Every problem names the archive and the entry.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import replace
from typing import BinaryIO

from core.config import check_int
from core.data.image_io.decode import DECODE_ERRORS, FORMAT_LIST, decode_image
from core.data.image_io.loaded import LoadProblem, LoadResult
from core.data.wording import binary_size, byte_size, plural
from core.errors import InputError

MAX_ENTRY_BYTES = 256 << 20
"""Most bytes one zip entry may inflate to (256 MiB): above a 40-megapixel image stored uncompressed
(RGBA, 8 bits: 160 MB), well below what would strain the machine next to its decoded pixels."""
MAX_ARCHIVE_BYTES = 1 << 30
"""Most bytes all entries of one archive may inflate to together (1 GiB)."""
MAX_ENTRIES = 50_000
"""Most archive entries looked at; the rest are skipped with a problem."""

_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_JUNK_NAMES = frozenset({"thumbs.db", "desktop.ini"})  # OS droppings, ignored like .DS_Store


# Compressions inflated. zipfile inflates deflate in bounded steps, but bzip2 and LZMA in whole blocks:
# 4 KiB of bzip2 can inflate to gigabytes before zipfile can notice that a header lied about the size.
_INFLATED = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
_COMPRESSION_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA", 9: "Deflate64"}


class _Refused(Exception):
    """One entry cannot be used; ``str(exc)`` is the reason, a sentence saying what to do."""


class _ArchiveFull(Exception):
    """The entry would take the archive past its limit of inflated bytes."""


def _member_parts(path: str) -> tuple[str, ...] | None:
    """Split a zip member path into folder/file components, or return None when it is unsafe.

    Unsafe means it could point outside the archive's folder when extracted by some tool: an absolute
    path, a drive letter, a backslash (a separator on Windows), a NUL byte or a ``..`` component.
    """
    if not path or path.startswith("/") or "\\" in path or "\x00" in path:
        return None
    if len(path) >= 2 and path[1] == ":" and path[0].isascii() and path[0].isalpha():
        return None
    parts = tuple(part for part in path.split("/") if part not in ("", "."))
    if ".." in parts:
        return None
    return parts


def _is_junk(parts: tuple[str, ...]) -> bool:
    """True for macOS/Windows droppings and hidden files, which are skipped silently."""
    return (
        not parts
        or any(part == "__MACOSX" or part.startswith(".") for part in parts)
        or parts[-1].lower() in _JUNK_NAMES
    )


def _assign_labels(paths: list[tuple[str, ...]]) -> list[str | None]:
    """Class label of each image from its folder path (one folder per class).

    Algorithm:
        1. While every image sits under one and the same top folder, and that folder holds sub-folders
           with images, strip that folder (``data/train/cat/x.png`` -> ``cat/x.png``).
        2. If the remaining top folders are all split names (``train``, ``val``, ``valid``,
           ``validation``, ``test``, any case) and hold class folders, as in an exported dataset, the
           label is the second folder (``train/cat/x.png`` -> ``cat``); images directly in a split
           folder are unlabelled.
        3. Otherwise the label is the first remaining folder; files at the remaining root are unlabelled.
    """
    depth = 0
    while paths and all(len(p) > depth + 1 and p[depth] == paths[0][depth] for p in paths):
        if not any(len(p) > depth + 2 for p in paths):
            break  # the only common folder is the class itself (cat/a.png, cat/b.png)
        depth += 1
    if _is_split_layout(paths, depth):
        depth += 1
    return [p[depth] if len(p) > depth + 1 else None for p in paths]


_SPLIT_NAMES = frozenset({"train", "val", "valid", "validation", "test"})


def _is_split_layout(paths: list[tuple[str, ...]], depth: int) -> bool:
    """True when every image at ``depth`` sits in a split folder and some sit in class folders below."""
    return (
        bool(paths)
        and all(len(p) > depth + 1 and p[depth].lower() in _SPLIT_NAMES for p in paths)
        and any(len(p) > depth + 2 for p in paths)
    )


def _inflate(zf: zipfile.ZipFile, info: zipfile.ZipInfo, entry_limit: int, remaining: int) -> bytes:
    """Inflate one entry, holding at most its declared size (itself within the limits) plus 4 KiB.

    1. Only stored and deflate entries are inflated: zipfile inflates deflate in steps bounded by the
       amount asked for, so a header that understates the size costs no more than that size; the data
       past it fails the entry's CRC check.
    2. The declared size comes from the central directory: over ``entry_limit`` or ``remaining``,
       nothing is inflated.
    3. One read of the declared size + 1 returns one bytes object (no pieces joined into a copy); more
       than the declared size would mean a lying header, refused as corrupt.

    Raises:
        _Refused: Another compression, over the entry limit, corrupt or encrypted.
        _ArchiveFull: Within the entry limit but over what the archive has left.
    """
    if info.compress_type not in _INFLATED:
        method = _COMPRESSION_NAMES.get(info.compress_type, f"method {info.compress_type}")
        raise _Refused(
            f"is compressed with {method}, which this app does not inflate (only the usual deflate, so "
            "that a zip bomb cannot hide in it); zip the folder again with your system's zip tool"
        )
    if info.file_size > entry_limit:
        raise _Refused(
            f"inflates to {byte_size(info.file_size)}, over the limit of {byte_size(entry_limit)} for one "
            "entry; it was not loaded (a zip bomb, or a file far larger than an image needs); leave it "
            "out, or downscale it and zip the folder again"
        )
    if info.file_size > remaining:
        raise _ArchiveFull
    try:
        with zf.open(info) as member:
            content = member.read(info.file_size + 1)
        if len(content) > info.file_size:
            raise zipfile.BadZipFile("more data than its header declares")
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, *DECODE_ERRORS) as exc:
        raise _Refused(
            "cannot be read from the archive (corrupt, or encrypted); it was not loaded; zip it again "
            "without a password"
        ) from exc
    return content


def load_zip(
    data: bytes | BinaryIO,
    name: str,
    *,
    max_total_bytes: int = MAX_ARCHIVE_BYTES,
    max_entry_bytes: int = MAX_ENTRY_BYTES,
    max_members: int = MAX_ENTRIES,
) -> LoadResult:
    """Load the images of a zip archive laid out one folder per class, in memory only.

    The layout follows Keras ``flow_from_directory`` / torchvision ``ImageFolder``: ``cat/1.png`` has label
    ``"cat"``. A single wrapping folder is stripped (``data/train/cat/1.png`` -> ``"cat"``), deeper folders
    inside a class belong to that class, and files at the root are unlabelled. Directories, ``__MACOSX/``
    and hidden files (any component starting with ``.``) are skipped silently.

    Args:
        data: The archive's bytes, or a seekable binary file object holding it.
        name: The archive's file name as the user knows it.
        max_total_bytes: Most bytes to inflate over all entries. An entry that would pass it stops the
            reading, with a problem naming the archive and the limit; what loaded before is kept.
        max_entry_bytes: Most bytes one entry may inflate to. A larger entry is refused without being
            inflated, with a problem naming the archive, the entry, its size and the limit; the other
            entries still load.
        max_members: Most archive entries to look at; the rest are skipped with a problem.

    Returns:
        The images that loaded, and one problem per entry refused (unsafe path, too large, not an image,
        corrupt; ``LoadProblem.archive`` is ``name``) plus one naming the archive if a limit was reached.

    Raises:
        InputError: The data is not a readable zip archive, or it contains no image that loaded.
        ConfigError: A limit is not a whole number of at least 1.
    """
    max_total_bytes = check_int("max_total_bytes", max_total_bytes, 1)
    max_entry_bytes = check_int("max_entry_bytes", max_entry_bytes, 1)
    max_members = check_int("max_members", max_members, 1)
    fileobj = io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
    try:
        zf = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, *DECODE_ERRORS) as exc:
        raise InputError(
            name, "is not a readable zip archive; check the file or zip the folder again"
        ) from exc

    result = LoadResult()
    paths: list[tuple[str, ...]] = []
    total = 0
    with zf:
        infos = zf.infolist()
        if len(infos) > max_members:
            result.problems.append(
                LoadProblem(
                    name,
                    f"has {len(infos):,} entries, over the limit of {max_members:,}; only the first "
                    f"{max_members:,} were read; split the archive into smaller ones",
                ),
            )
            infos = infos[:max_members]
        for info in infos:
            if info.is_dir():
                continue
            entry = info.filename
            parts = _member_parts(entry) if info.orig_filename == entry else None
            if parts is None:
                result.problems.append(
                    LoadProblem(
                        entry,
                        "has an unsafe path (absolute, drive letter, backslash or '..'); it was not "
                        "loaded; zip the folder again with relative paths",
                        archive=name,
                    ),
                )
                continue
            if _is_junk(parts):
                continue
            try:
                content = _inflate(zf, info, max_entry_bytes, max_total_bytes - total)
            except _Refused as exc:
                result.problems.append(LoadProblem(entry, str(exc), archive=name))
                continue
            except _ArchiveFull:
                result.problems.append(
                    LoadProblem(
                        name,
                        f"inflates to more than the {max_total_bytes:,}-byte limit "
                        f"({binary_size(max_total_bytes)}) for one archive: {entry} would pass it after "
                        f"{plural(len(result.images), 'image')}, so reading stopped there; split the "
                        "archive into smaller ones",
                    ),
                )
                break
            total += len(content)
            try:
                image = decode_image(content, entry)
            except InputError as exc:
                result.problems.append(LoadProblem(entry, exc.reason, archive=name))
                continue
            result.images.append(image)
            paths.append(parts)

    if not result.images:
        reason = (
            "contains no images; expected one folder per class (e.g. cat/1.png, dog/2.png) "
            f"holding {FORMAT_LIST} files"
        )
        if result.problems:
            first = result.problems[0]
            reason += f" ({plural(len(result.problems), 'problem')}, first: {first.name}: {first.reason})"
        raise InputError(name, reason)
    labels = _assign_labels(paths)
    result.images = [replace(img, label=lab) for img, lab in zip(result.images, labels, strict=True)]
    return result


def is_zip(data: bytes) -> bool:
    """True when the bytes start like a zip archive (content, not the file extension, decides)."""
    return data[:4] in _ZIP_MAGICS


def load_files(files: Iterable[tuple[str, bytes]]) -> LoadResult:
    """Load uploaded files, each an image or a zip of class folders, collecting every problem.

    Args:
        files: ``(name, data)`` pairs: the user's file name and its bytes.

    Returns:
        All images that loaded, in order, and one problem per file (or zip entry) that did not; a bad
        file never stops the others.
    """
    result = LoadResult()
    for name, data in files:
        try:
            if is_zip(data):
                result.extend(load_zip(data, name))
            else:
                result.images.append(decode_image(data, name))
        except InputError as exc:
            result.problems.append(LoadProblem(name, exc.reason))
    return result
