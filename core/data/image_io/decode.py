"""Decode one image file held in memory into a read-only uint8 array.

The format is recognised from the content, never from the extension; only PNG, JPEG, WEBP, BMP, GIF and
TIFF decoders are offered to untrusted bytes, and images over :data:`MAX_PIXELS` are refused from their
header, before any pixel is decoded. Pillow's global settings are never changed.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import ExifTags, Image, ImageOps

from core.data.image_io.loaded import LoadedImage
from core.errors import InputError

MAX_PIXELS = 40_000_000
"""Largest accepted image, in pixels (width * height), checked from the header before decoding."""

# Formats Pillow may try. Restricting them keeps exotic decoders (e.g. EPS, which runs Ghostscript) away
# from untrusted uploads. Phone JPEGs with extra pictures (MPO) open through the JPEG entry.
_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF")
FORMAT_LIST = "PNG, JPEG, WEBP, BMP, GIF or TIFF"

# What Pillow raises on corrupt or truncated data (UnidentifiedImageError is an OSError).
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)

_TO_RGB_MODES = frozenset({"CMYK", "YCbCr", "LAB", "HSV", "RGBX"})
_TO_RGBA_MODES = frozenset({"LA", "La", "RGBa", "PA"})


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
    except DECODE_ERRORS as exc:
        raise InputError(
            name, f"is not an image this app can read ({FORMAT_LIST}); convert it or leave it out"
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
        except DECODE_ERRORS as exc:
            raise InputError(
                name, "is truncated or corrupt and cannot be decoded; re-export or upload it again"
            ) from exc
        # 4. Apply EXIF orientation (1 = upright; 2..8 = flips and quarter turns).
        try:
            orientation = im.getexif().get(ExifTags.Base.Orientation, 1)
        except DECODE_ERRORS:
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
