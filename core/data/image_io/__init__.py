"""Decode uploaded images and zip archives into read-only uint8 arrays, entirely in memory.

Nothing here writes to disk or changes Pillow's global settings. Every problem a user can cause (an empty
file, a text file renamed ``.png``, a truncated JPEG, a decompression bomb, a zip with ``../`` paths or a
zip bomb) becomes an :class:`~core.errors.InputError` for a single file, or a :class:`LoadProblem` entry
when many files load at once, so one bad file never stops the others. A problem with a zip entry names
the archive and the entry (:attr:`LoadProblem.where`).

Arrays are ``uint8`` and C-contiguous: ``(H, W)`` grayscale, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA.

Modules:
    loaded: :class:`LoadedImage`, :class:`LoadProblem`, :class:`LoadResult`.
    decode: one image file -> :class:`LoadedImage`.
    archive: zip archives of class folders and many uploads at once, with the zip-bomb limits.
"""

from core.data.image_io.archive import (
    MAX_ARCHIVE_BYTES,
    MAX_ENTRIES,
    MAX_ENTRY_BYTES,
    is_zip,
    load_files,
    load_zip,
)
from core.data.image_io.decode import MAX_PIXELS, decode_image
from core.data.image_io.loaded import LoadedImage, LoadProblem, LoadResult

__all__ = [
    "MAX_ARCHIVE_BYTES",
    "MAX_ENTRIES",
    "MAX_ENTRY_BYTES",
    "MAX_PIXELS",
    "LoadProblem",
    "LoadResult",
    "LoadedImage",
    "decode_image",
    "is_zip",
    "load_files",
    "load_zip",
]
