"""Decode uploaded images and zip archives into read-only uint8 arrays, entirely in memory.

Nothing here writes to disk or changes Pillow's global settings. Every problem a user can cause (an empty
file, a text file renamed ``.png``, a truncated JPEG, a decompression bomb, a zip with ``../`` paths or a
zip bomb) becomes an :class:`~core.errors.InputError` for a single file, or a :class:`LoadProblem` entry
when many files load at once, so one bad file never stops the others.

Arrays are ``uint8`` and C-contiguous: ``(H, W)`` grayscale, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import BinaryIO

import numpy as np
from PIL import ExifTags, Image, ImageOps

from core.errors import InputError

MAX_PIXELS = 40_000_000
"""Largest accepted image, in pixels (width * height), checked from the header before decoding."""

# Formats Pillow may try. Restricting them keeps exotic decoders (e.g. EPS, which runs Ghostscript) away
# from untrusted uploads. Phone JPEGs with extra pictures (MPO) open through the JPEG entry.
_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF")
_FORMAT_LIST = "PNG, JPEG, WEBP, BMP, GIF or TIFF"

# What Pillow raises on corrupt or truncated data (UnidentifiedImageError is an OSError).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)

_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_READ_CHUNK = 1 << 20  # bytes inflated per read while enforcing the zip size limit
_JUNK_NAMES = frozenset({"thumbs.db", "desktop.ini"})  # OS droppings, ignored like .DS_Store

_TO_RGB_MODES = frozenset({"CMYK", "YCbCr", "LAB", "HSV", "RGBX"})
_TO_RGBA_MODES = frozenset({"LA", "La", "RGBa", "PA"})


@dataclass(frozen=True, eq=False)
class LoadedImage:
    """One decoded image, ready for augmentation.

    Attributes:
        name: The user's file name, or the member path inside a zip (never a path on this machine).
        array: uint8 pixels, C-contiguous and read-only; shape ``(H, W)``, ``(H, W, 3)`` RGB or
            ``(H, W, 4)`` RGBA.
        label: Class name (the folder the image sat in), or None when unlabelled.
        source_mode: The Pillow mode of the file before conversion, e.g. ``"I;16"``, ``"CMYK"``, ``"P"``.
        notes: Human-readable notes about what was done, e.g. ``"16-bit scaled to 8-bit"``.
    """

    name: str
    array: np.ndarray
    label: str | None = None
    source_mode: str = "L"
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        arr = self.array
        if not isinstance(arr, np.ndarray) or arr.dtype != np.uint8:
            raise TypeError(f"LoadedImage.array must be a uint8 numpy array, got {type(arr).__name__}")
        if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (3, 4))):
            raise ValueError(f"LoadedImage.array must be HxW, HxWx3 or HxWx4, got shape {arr.shape}")
        if arr.flags.writeable or not arr.flags.c_contiguous:
            # Copy so that nobody holding the original can change our pixels behind our back.
            arr = np.array(arr, order="C", copy=True)
            arr.flags.writeable = False
            object.__setattr__(self, "array", arr)

    @property
    def height(self) -> int:
        """Height in pixels."""
        return int(self.array.shape[0])

    @property
    def width(self) -> int:
        """Width in pixels."""
        return int(self.array.shape[1])

    @property
    def channels(self) -> int:
        """Number of channels: 1 (grayscale), 3 (RGB) or 4 (RGBA)."""
        return 1 if self.array.ndim == 2 else int(self.array.shape[2])


@dataclass(frozen=True)
class LoadProblem:
    """A file or zip member that could not be used.

    Attributes:
        name: The file name or zip member path as the user knows it.
        reason: What is wrong and what to do, as a sentence.
    """

    name: str
    reason: str


@dataclass
class LoadResult:
    """Images that loaded and problems with the ones that did not, in input order."""

    images: list[LoadedImage] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)

    def extend(self, other: LoadResult) -> None:
        """Append another result's images and problems to this one, in place."""
        self.images.extend(other.images)
        self.problems.extend(other.problems)


# --------------------------------------------------------------------------------------------------
# Single images


def _too_large_reason(width: int, height: int) -> str:
    return (
        f"is {width * height / 1e6:.1f} megapixels ({width}x{height}), over the "
        f"{MAX_PIXELS / 1e6:g}-megapixel limit; downscale it first"
    )


def _scale_16bit(values: np.ndarray) -> np.ndarray:
    """Map 0..65535 to 0..255 as round(v * 255 / 65535), i.e. round(v / 257), exactly in integers."""
    clipped = np.clip(values.astype(np.int64, copy=False), 0, 65535)
    return ((clipped + 128) // 257).astype(np.uint8)


def _min_max(values: np.ndarray) -> np.ndarray:
    """Stretch finite values linearly to 0..255 (NaN and a constant image become 0)."""
    values = values.astype(np.float64, copy=False)
    finite = np.isfinite(values)
    if not finite.any():
        return np.zeros(values.shape, np.uint8)
    low, high = float(values[finite].min()), float(values[finite].max())
    span = high - low if high > low else 1.0
    out = np.where(finite, (values - low) * (255.0 / span), 0.0)
    return np.rint(np.clip(out, 0.0, 255.0)).astype(np.uint8)


def _to_uint8(im: Image.Image, name: str) -> tuple[np.ndarray, list[str]]:
    """Convert a loaded Pillow image to a uint8 array plus notes on what the conversion did."""
    mode = im.mode
    if mode in ("L", "RGB", "RGBA"):
        return np.asarray(im), []
    if mode == "1":
        return np.asarray(im.convert("L")), ["1-bit black and white converted to grayscale"]
    if mode == "P":
        target = "RGBA" if im.has_transparency_data else "RGB"
        return np.asarray(im.convert(target)), [f"palette converted to {target}"]
    if mode.startswith("I;16"):
        return _scale_16bit(np.asarray(im)), ["16-bit scaled to 8-bit"]
    if mode == "I":
        values = np.asarray(im)
        low, high = int(values.min()), int(values.max())
        if low >= 0 and high <= 255:
            return values.astype(np.uint8), []
        if low >= 0 and high <= 65535:
            return _scale_16bit(values), ["16-bit scaled to 8-bit"]
        return _min_max(values), ["32-bit integers stretched from their min..max to 0..255"]
    if mode == "F":
        return _min_max(np.asarray(im)), ["32-bit float stretched from its min..max to 0..255"]
    if mode in _TO_RGB_MODES:
        target = "RGB"
    elif mode in _TO_RGBA_MODES:
        target = "RGBA"
        if mode == "La":  # Pillow cannot go from premultiplied La straight to RGBA
            im = im.convert("LA")
    else:  # a mode we did not foresee: let Pillow try, keeping any alpha
        target = "RGBA" if "A" in mode else "RGB"
    try:
        converted = im.convert(target)
    except ValueError as exc:
        raise InputError(
            name, f"uses the pixel mode {mode!r}, which cannot be converted to RGB; re-save it as PNG or JPEG"
        ) from exc
    return np.asarray(converted), [f"{mode} converted to {target}"]


def decode_image(data: bytes, name: str, label: str | None = None) -> LoadedImage:
    """Decode one image file held in memory.

    The format is recognised from the content, never from the extension. Only the first frame of an
    animated or multi-page file is used. EXIF orientation is applied, so the array is upright as a photo
    viewer shows it.

    Args:
        data: The file's bytes.
        name: The file name as the user knows it; used in error messages and kept as ``LoadedImage.name``.
        label: Class label to attach, or None.

    Returns:
        The decoded image; see :class:`LoadedImage` for the array layout and mode conversions.

    Raises:
        InputError: The file is empty, is not a PNG/JPEG/WEBP/BMP/GIF/TIFF image, is truncated or corrupt,
            or has more than :data:`MAX_PIXELS` pixels (checked from the header, before decoding).
    """
    if len(data) == 0:
        raise InputError(name, "is empty (0 bytes); upload the file again")
    try:
        im = Image.open(io.BytesIO(data), formats=_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses sizes far above our own limit before we see them (or warns, under -W error).
        raise InputError(
            name, f"is far over the {MAX_PIXELS / 1e6:g}-megapixel limit; downscale it first"
        ) from exc
    except _DECODE_ERRORS as exc:
        raise InputError(
            name, f"is not an image this app can read ({_FORMAT_LIST}); convert it or leave it out"
        ) from exc
    with im:
        width, height = im.size
        # 1. Refuse oversized images from the header alone, so a decompression bomb is never decoded.
        if width * height > MAX_PIXELS:
            raise InputError(name, _too_large_reason(width, height))
        source_mode = im.mode
        notes: list[str] = []
        try:
            # 2. Count frames before loading: counting seeks through the file and would reset frame 0.
            frames = int(getattr(im, "n_frames", 1))
            if frames > 1:
                notes.append(f"first of {frames} {im.format} frames used")
            # 3. Decode the pixels of frame 0; LOAD_TRUNCATED_IMAGES stays False, so truncation raises.
            im.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise InputError(name, _too_large_reason(width, height)) from exc
        except _DECODE_ERRORS as exc:
            raise InputError(
                name, "is truncated or corrupt and cannot be decoded; re-export or upload it again"
            ) from exc
        # 4. Apply EXIF orientation (1 = upright; 2..8 = flips and quarter turns).
        try:
            orientation = im.getexif().get(ExifTags.Base.Orientation, 1)
        except _DECODE_ERRORS:
            orientation = 1
            notes.append("EXIF data unreadable; orientation left as stored")
        upright = im
        if orientation in range(2, 9):
            upright = ImageOps.exif_transpose(im)
            notes.append("EXIF orientation applied")
        # 5. Convert to uint8 L / RGB / RGBA.
        array, conversion_notes = _to_uint8(upright, name)
    notes.extend(conversion_notes)
    array = np.ascontiguousarray(array)
    if array.flags.writeable:
        array.flags.writeable = False
    return LoadedImage(name=name, array=array, label=label, source_mode=source_mode, notes=tuple(notes))


# --------------------------------------------------------------------------------------------------
# Zip archives


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


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes | None:
    """Inflate one member, or return None once more than ``budget`` bytes come out."""
    chunks: list[bytes] = []
    total = 0
    with zf.open(info) as member:
        while chunk := member.read(min(_READ_CHUNK, budget - total + 1)):
            total += len(chunk)
            if total > budget:
                return None
            chunks.append(chunk)
    return b"".join(chunks)


def load_zip(
    data: bytes | BinaryIO,
    name: str,
    *,
    max_total_bytes: int = 1 << 30,
    max_members: int = 50_000,
) -> LoadResult:
    """Load the images of a zip archive laid out one folder per class, in memory only.

    The layout follows Keras ``flow_from_directory`` / torchvision ``ImageFolder``: ``cat/1.png`` has label
    ``"cat"``. A single wrapping folder is stripped (``data/train/cat/1.png`` -> ``"cat"``), deeper folders
    inside a class belong to that class, and files at the root are unlabelled. Directories, ``__MACOSX/``
    and hidden files (any component starting with ``.``) are skipped silently.

    Args:
        data: The archive's bytes, or a seekable binary file object holding it.
        name: The archive's file name as the user knows it.
        max_total_bytes: Most bytes to inflate over all members, in bytes. Counted on the data actually
            inflated, since a zip bomb's headers lie; when passed, reading stops and a problem is added.
        max_members: Most archive entries to look at; the rest are skipped with a problem.

    Returns:
        The images that loaded, and one problem per member refused (unsafe path, not an image, corrupt)
        plus one naming the archive if a limit was reached.

    Raises:
        InputError: The data is not a readable zip archive, or it contains no image that loaded.
    """
    fileobj = io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
    try:
        zf = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, *_DECODE_ERRORS) as exc:
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
                    f"{max_members:,} were read; split the archive",
                ),
            )
            infos = infos[:max_members]
        for info in infos:
            if info.is_dir():
                continue
            member = info.filename
            parts = _member_parts(member) if info.orig_filename == member else None
            if parts is None:
                result.problems.append(
                    LoadProblem(
                        member,
                        "has an unsafe path (absolute, drive letter, backslash or '..'); it was not "
                        "loaded; zip the folder again with relative paths",
                    ),
                )
                continue
            if _is_junk(parts):
                continue
            try:
                content = _read_member(zf, info, max_total_bytes - total)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, *_DECODE_ERRORS):
                result.problems.append(
                    LoadProblem(
                        member,
                        "cannot be read from the archive (corrupt, encrypted or an unsupported "
                        "compression); zip it again without a password",
                    ),
                )
                continue
            if content is None:
                result.problems.append(
                    LoadProblem(
                        name,
                        f"inflates to more than the {max_total_bytes:,}-byte limit; stopped at {member} "
                        f"after {len(result.images):,} image(s); split the archive into smaller ones",
                    ),
                )
                break
            total += len(content)
            try:
                image = decode_image(content, member)
            except InputError as exc:
                result.problems.append(LoadProblem(member, exc.reason))
                continue
            result.images.append(image)
            paths.append(parts)

    if not result.images:
        reason = (
            "contains no images; expected one folder per class (e.g. cat/1.png, dog/2.png) "
            f"holding {_FORMAT_LIST} files"
        )
        if result.problems:
            first = result.problems[0]
            reason += f" ({len(result.problems)} problem(s), first: {first.name} {first.reason})"
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
        All images that loaded, in order, and one problem per file (or zip member) that did not; a bad
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
