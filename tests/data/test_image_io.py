"""Tests for core.data.image_io: every format and mode, EXIF orientation, hostile files and zip archives.

Fixtures are built here in memory with Pillow, numpy and zipfile; expected pixels are computed with
numpy from the values written, never by calling the code under test.
"""

from __future__ import annotations

import io
import os
import struct
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile
from skimage.color import lab2rgb

from core.data.image_io import (
    MAX_PIXELS,
    LoadedImage,
    LoadProblem,
    LoadResult,
    decode_image,
    load_files,
    load_zip,
)
from core.errors import ConfigError, InputError

# --------------------------------------------------------------------------------------------------
# Helpers

# A 32x16 RGB picture of four flat 16x8 colour blocks: exact in every lossless format and in GIF's
# palette; the block edges fall on JPEG's 8x8 grid, so JPEG only blurs them a little.
FOUR_COLOURS = np.zeros((16, 32, 3), np.uint8)
FOUR_COLOURS[:8, :16] = (255, 0, 0)
FOUR_COLOURS[8:, :16] = (0, 255, 0)
FOUR_COLOURS[:8, 16:] = (0, 0, 255)
FOUR_COLOURS[8:, 16:] = (250, 250, 250)


def encode(image: Image.Image | np.ndarray, fmt: str, **kwargs) -> bytes:
    """Save an image (or array) to bytes in the given Pillow format."""
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def png(array: np.ndarray) -> bytes:
    return encode(array, "PNG")


def make_zip(members: list[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip archive with the members written verbatim (names are not sanitised by zipfile on write)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as zf:
        for name, data in members:
            if name.endswith("/"):
                zf.writestr(zipfile.ZipInfo(name), b"")
            else:
                zf.writestr(name, data)
    return buffer.getvalue()


def png_with_header_size(width: int, height: int) -> bytes:
    """A 1x1 PNG whose IHDR is patched to claim width x height (CRC fixed), so the file stays tiny."""
    data = bytearray(png(np.zeros((1, 1), np.uint8)))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def assert_well_formed(image: LoadedImage) -> None:
    assert image.array.dtype == np.uint8
    assert image.array.flags.c_contiguous
    assert not image.array.flags.writeable


def tiny(value: int = 0, size: int = 4) -> bytes:
    """A small grayscale PNG of one value."""
    return png(np.full((size, size), value, np.uint8))


# --------------------------------------------------------------------------------------------------
# Formats

FORMAT_CASES = [
    # PNG is lossless: pixels come back exactly.
    pytest.param("PNG", {}, 0, id="png"),
    # JPEG is lossy: flat blocks come back within a few levels.
    pytest.param("JPEG", {"quality": 95, "subsampling": 0}, 12, id="jpeg"),
    # WEBP in lossless mode is exact.
    pytest.param("WEBP", {"lossless": True}, 0, id="webp-lossless"),
    # BMP stores raw pixels.
    pytest.param("BMP", {}, 0, id="bmp"),
    # GIF stores a palette; four colours fit it exactly.
    pytest.param("GIF", {}, 0, id="gif"),
    # TIFF stores raw pixels.
    pytest.param("TIFF", {}, 0, id="tiff"),
]


@pytest.mark.parametrize(("fmt", "save_kwargs", "tolerance"), FORMAT_CASES)
def test_every_format_decodes_to_rgb(fmt: str, save_kwargs: dict, tolerance: int) -> None:
    data = encode(FOUR_COLOURS, fmt, **save_kwargs)
    image = decode_image(data, f"picture.{fmt.lower()}", label="x")
    assert_well_formed(image)
    assert image.name == f"picture.{fmt.lower()}"
    assert image.label == "x"
    assert (image.height, image.width, image.channels) == (16, 32, 3)
    diff = np.abs(image.array.astype(int) - FOUR_COLOURS.astype(int))
    assert diff.max() <= tolerance


def test_format_is_decided_by_content_not_extension() -> None:
    # A JPEG named .png still decodes (as RGB), and so does a PNG named .jpg.
    for name, data in (
        ("really-a-jpeg.png", encode(FOUR_COLOURS, "JPEG")),
        ("really-a-png.jpg", png(FOUR_COLOURS)),
    ):
        assert decode_image(data, name).array.shape == (16, 32, 3)


def test_animated_gif_uses_first_frame_and_says_so() -> None:
    frames = [np.roll(FOUR_COLOURS, shift, axis=1) for shift in (0, 3, 6)]
    pil_frames = [Image.fromarray(f) for f in frames]
    data = encode(pil_frames[0], "GIF", save_all=True, append_images=pil_frames[1:], duration=100, loop=0)
    image = decode_image(data, "anim.gif")
    np.testing.assert_array_equal(image.array, frames[0])
    assert "first of 3 GIF frames used" in image.notes


# --------------------------------------------------------------------------------------------------
# Modes

_GRAY = np.array([[0, 1, 2, 127], [128, 200, 254, 255]], np.uint8)
_U16 = np.array([[0, 1, 128, 129], [257, 385, 30000, 65535]], np.uint16)
_PALETTE = np.array([[10, 20, 30], [200, 100, 50], [0, 255, 0], [255, 255, 255]], np.uint8)
_INDICES = np.array([[0, 1, 2, 3], [3, 2, 1, 0]], np.uint8)
_ALPHA = np.array([[0, 64, 128, 255], [255, 128, 64, 0]], np.uint8)
_FLOATS = np.array([[-1.0, 0.0], [2.0, 3.0]], np.float32)
_CMY = np.array([[[0, 0, 0], [255, 0, 0], [10, 100, 200], [255, 255, 255]]], np.uint8)
_YCC = np.array([[[100, 90, 200], [30, 128, 128], [235, 128, 128]]], np.uint8)


def _palette_image(mode: str = "P") -> Image.Image:
    image = Image.fromarray(_INDICES, "L").convert("P") if mode == "P" else Image.new("PA", (4, 2))
    if mode == "PA":
        image.putdata(list(zip(_INDICES.ravel().tolist(), _ALPHA.ravel().tolist(), strict=True)))
    image.putpalette(_PALETTE.ravel().tolist())
    return image


def _jfif_rgb(ycc: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 full-range (JFIF) YCbCr -> RGB."""
    y, cb, cr = (ycc[..., i].astype(float) for i in range(3))
    rgb = np.stack(
        [y + 1.402 * (cr - 128), y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128), y + 1.772 * (cb - 128)],
        axis=-1,
    )
    return np.clip(np.round(rgb), 0, 255)


def _lab_bytes() -> tuple[bytes, np.ndarray]:
    """A neutral (a* = b* = 0) LAB TIFF and its sRGB grays computed with scikit-image."""
    lightness = np.array([[0, 64, 128, 200, 255]], np.uint8)  # Pillow's L is L* * 255 / 100
    lab = np.stack([lightness, np.zeros_like(lightness), np.zeros_like(lightness)], axis=-1)
    data = encode(Image.fromarray(lab, "LAB"), "TIFF")
    reference = lab2rgb(np.stack([lightness / 255 * 100, np.zeros((1, 5)), np.zeros((1, 5))], axis=-1))
    return data, np.round(reference * 255)


_LAB_DATA, _LAB_RGB = _lab_bytes()

MODE_CASES = [
    # 1-bit black and white becomes 0/255 grayscale.
    pytest.param(
        lambda: encode(Image.fromarray(_GRAY > 127), "PNG"), "1", np.where(_GRAY > 127, 255, 0), 0, id="1"
    ),
    # 8-bit grayscale is kept as is.
    pytest.param(lambda: png(_GRAY), "L", _GRAY, 0, id="L"),
    # 16-bit grayscale PNG: 0..65535 scaled to 0..255 as round(v / 257).
    pytest.param(lambda: png(_U16), "I;16", np.round(_U16 / 257), 0, id="I;16-png"),
    # Big-endian 16-bit TIFF: same scaling, whatever the byte order.
    pytest.param(
        lambda: encode(Image.frombytes("I;16B", (4, 2), _U16.astype(">u2").tobytes()), "TIFF"),
        "I;16B",
        np.round(_U16 / 257),
        0,
        id="I;16B-tiff",
    ),
    # 32-bit integers all within 0..255 keep their values.
    pytest.param(
        lambda: encode(Image.fromarray(_GRAY.astype(np.int32)), "TIFF"), "I", _GRAY, 0, id="I-small-values"
    ),
    # 32-bit integers holding 16-bit data are scaled like 16-bit.
    pytest.param(
        lambda: encode(Image.fromarray(_U16.astype(np.int32)), "TIFF"),
        "I",
        np.round(_U16 / 257),
        0,
        id="I-16bit-values",
    ),
    # Floats are stretched from min..max (-1..3) to 0..255.
    pytest.param(
        lambda: encode(Image.fromarray(_FLOATS), "TIFF"),
        "F",
        np.round((_FLOATS.astype(float) + 1) / 4 * 255),
        0,
        id="F",
    ),
    # Palette without transparency becomes RGB by looking up the palette.
    pytest.param(lambda: encode(_palette_image(), "PNG"), "P", _PALETTE[_INDICES], 0, id="P-opaque"),
    # Palette with a transparent index becomes RGBA, alpha 0 exactly where that index is used.
    pytest.param(
        lambda: encode(_palette_image(), "PNG", transparency=2),
        "P",
        np.dstack([_PALETTE[_INDICES], np.where(_INDICES == 2, 0, 255)]),
        0,
        id="P-transparent",
    ),
    # Palette + alpha (PA, stored in TIFF) becomes RGBA.
    pytest.param(
        lambda: encode(_palette_image("PA"), "TIFF"),
        "PA",
        np.dstack([_PALETTE[_INDICES], _ALPHA]),
        0,
        id="PA",
    ),
    # Gray + alpha becomes RGBA with R = G = B = gray.
    pytest.param(
        lambda: png(np.dstack([_GRAY, _ALPHA])), "LA", np.dstack([_GRAY, _GRAY, _GRAY, _ALPHA]), 0, id="LA"
    ),
    # RGBA is kept, alpha included.
    pytest.param(
        lambda: png(np.dstack([FOUR_COLOURS[:2, :4], _ALPHA])),
        "RGBA",
        np.dstack([FOUR_COLOURS[:2, :4], _ALPHA]),
        0,
        id="RGBA",
    ),
    # CMYK with no black: RGB = 255 - CMY.
    pytest.param(
        lambda: encode(Image.fromarray(np.dstack([_CMY, np.zeros((1, 4), np.uint8)]), "CMYK"), "TIFF"),
        "CMYK",
        255 - _CMY.astype(int),
        0,
        id="CMYK",
    ),
    # YCbCr becomes RGB by the JFIF equations (Pillow rounds in fixed point: allow 2 levels).
    pytest.param(
        lambda: encode(Image.fromarray(_YCC, "YCbCr"), "TIFF"), "YCbCr", _jfif_rgb(_YCC), 2, id="YCbCr"
    ),
    # Neutral CIELAB becomes the sRGB grays scikit-image computes (allow 3 levels).
    pytest.param(lambda: _LAB_DATA, "LAB", _LAB_RGB, 3, id="LAB"),
]


@pytest.mark.parametrize(("make", "source_mode", "expected", "tolerance"), MODE_CASES)
def test_modes_convert_to_uint8(
    make: Callable[[], bytes], source_mode: str, expected: np.ndarray, tolerance: int
) -> None:
    image = decode_image(make(), "mode-test")
    assert_well_formed(image)
    assert image.source_mode == source_mode
    assert image.array.shape == np.shape(expected)
    diff = np.abs(image.array.astype(int) - np.asarray(expected).astype(int))
    assert diff.max() <= tolerance


@pytest.mark.parametrize(
    ("make", "note"),
    [
        # 16-bit data says it was scaled.
        pytest.param(lambda: png(_U16), "16-bit scaled to 8-bit", id="16-bit"),
        # Float data says it was stretched.
        pytest.param(
            lambda: encode(Image.fromarray(_FLOATS), "TIFF"),
            "32-bit float stretched from its min..max to 0..255",
            id="float",
        ),
    ],
)
def test_lossy_conversions_leave_a_note(make: Callable[[], bytes], note: str) -> None:
    assert note in decode_image(make(), "x").notes


# --------------------------------------------------------------------------------------------------
# EXIF orientation

# Stored picture: 32 rows x 48 columns, black, with a white 16x16 marker in the top-left corner.
_STORED = np.zeros((32, 48), np.uint8)
_STORED[:16, :16] = 255


def _jpeg_with_orientation(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(_STORED, "JPEG", quality=95, exif=exif.tobytes())


@pytest.mark.parametrize(
    ("orientation", "expected", "marker_rc"),
    [
        # 1: stored upright; the marker stays top-left.
        pytest.param(1, _STORED, (8, 8), id="1-upright"),
        # 3: stored upside down; shown rotated 180 degrees, marker bottom-right.
        pytest.param(3, _STORED[::-1, ::-1], (24, 40), id="3-rotate-180"),
        # 6: camera turned; shown rotated 90 degrees clockwise: 48 rows x 32 columns, marker top-right.
        pytest.param(6, np.rot90(_STORED, k=-1), (8, 24), id="6-rotate-cw"),
        # 8: shown rotated 90 degrees counter-clockwise: marker bottom-left.
        pytest.param(8, np.rot90(_STORED, k=1), (40, 8), id="8-rotate-ccw"),
    ],
)
def test_exif_orientation_is_applied(
    orientation: int, expected: np.ndarray, marker_rc: tuple[int, int]
) -> None:
    image = decode_image(_jpeg_with_orientation(orientation), "phone.jpg")
    assert image.array.shape == expected.shape
    assert np.abs(image.array.astype(int) - expected.astype(int)).max() <= 16
    assert image.array[marker_rc] > 200  # the marker's centre is where the rotation puts it
    assert ("EXIF orientation applied" in image.notes) == (orientation != 1)


# --------------------------------------------------------------------------------------------------
# Bad single files


def _cut(data: bytes, fraction: float) -> bytes:
    return data[: int(len(data) * fraction)]


_NOISE = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)

BAD_FILE_CASES = [
    # Zero bytes: nothing to decode.
    pytest.param(lambda: b"", "empty", id="zero-bytes"),
    # A text file renamed .png is not an image.
    pytest.param(lambda: b"hello, I am a text file\n" * 10, "not an image", id="text-renamed-png"),
    # A PNG cut in the middle of its pixel data.
    pytest.param(lambda: _cut(png(_NOISE), 0.5), "truncated", id="truncated-png"),
    # A JPEG cut in the middle of its scan.
    pytest.param(lambda: _cut(encode(_NOISE, "JPEG"), 0.5), "truncated", id="truncated-jpeg"),
    # A GIF cut in the middle.
    pytest.param(lambda: _cut(encode(FOUR_COLOURS, "GIF"), 0.6), "truncated", id="truncated-gif"),
    # A PNG header claiming 8000x6000 = 48 MP, over our 40 MP limit.
    pytest.param(lambda: png_with_header_size(8000, 6000), "48.0 megapixels", id="over-40-megapixels"),
    # A header claiming 20000x20000 = 400 MP: Pillow itself refuses it while opening.
    pytest.param(lambda: png_with_header_size(20000, 20000), "megapixel limit", id="pillow-bomb-error"),
    # An EPS file is not among the accepted formats (and its decoder would run Ghostscript).
    pytest.param(lambda: b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "not an image", id="eps"),
]


@pytest.mark.parametrize(("make", "fragment"), BAD_FILE_CASES)
def test_bad_files_raise_input_error(make: Callable[[], bytes], fragment: str) -> None:
    with pytest.raises(InputError) as caught:
        decode_image(make(), "upload.png")
    assert caught.value.name == "upload.png"
    assert fragment in caught.value.reason
    assert caught.value.reason.endswith(("first", "again", "out"))  # it says what to do


def test_oversized_image_is_refused_without_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_decoding(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    data = png_with_header_size(8000, 6000)
    assert MAX_PIXELS < 8000 * 6000
    with pytest.raises(InputError, match="40-megapixel limit"):
        decode_image(data, "huge.png")


def test_image_at_exactly_the_limit_header_is_not_refused_for_size() -> None:
    # 8000x5000 = 40 MP exactly is allowed by size; the patched file then fails as truncated, not as too big.
    with pytest.raises(InputError) as caught:
        decode_image(png_with_header_size(8000, 5000), "edge.png")
    assert "megapixel" not in caught.value.reason


def test_loaded_image_is_read_only_and_reports_its_shape() -> None:
    image = decode_image(png(np.dstack([_GRAY, _ALPHA])), "la.png")
    assert (image.height, image.width, image.channels) == (2, 4, 4)
    with pytest.raises(ValueError):
        image.array[0, 0, 0] = 1
    writable = np.zeros((3, 5), np.uint8)
    wrapped = LoadedImage("w", writable, None, "L", ())
    writable[0, 0] = 9  # the caller's array changes; the LoadedImage kept its own copy
    assert wrapped.array[0, 0] == 0 and wrapped.channels == 1


# --------------------------------------------------------------------------------------------------
# Zip archives


def _labels(result: LoadResult) -> dict[str, str | None]:
    return {image.name: image.label for image in result.images}


LAYOUT_CASES = [
    # Keras/torchvision layout under two wrapping folders: both are stripped, classes cat and dog.
    pytest.param(
        ["data/train/cat/x.png", "data/train/dog/y.png"],
        {"data/train/cat/x.png": "cat", "data/train/dog/y.png": "dog"},
        id="strip-two-wrappers",
    ),
    # A single class folder is the class, not a wrapper to strip.
    pytest.param(["cat/a.png", "cat/b.png"], {"cat/a.png": "cat", "cat/b.png": "cat"}, id="single-class"),
    # One class inside one wrapper: the wrapper goes, the class stays.
    pytest.param(
        ["pets/cat/a.png", "pets/cat/b.png"],
        {"pets/cat/a.png": "cat", "pets/cat/b.png": "cat"},
        id="wrapped-single-class",
    ),
    # Files at the root are unlabelled next to class folders.
    pytest.param(
        ["cat/a.png", "dog/b.png", "root.png"],
        {"cat/a.png": "cat", "dog/b.png": "dog", "root.png": None},
        id="root-files-unlabelled",
    ),
    # Nested folders inside a class belong to that class.
    pytest.param(
        ["pets/cat/a.png", "pets/cat/indoor/b.png", "pets/dog/c.png"],
        {"pets/cat/a.png": "cat", "pets/cat/indoor/b.png": "cat", "pets/dog/c.png": "dog"},
        id="nested-in-class",
    ),
    # No folders at all: everything unlabelled.
    pytest.param(["a.png", "b.png"], {"a.png": None, "b.png": None}, id="flat"),
    # A wrapper holding both a loose file and a class folder: stripped; the loose file is unlabelled.
    pytest.param(
        ["data/a.png", "data/cat/b.png"],
        {"data/a.png": None, "data/cat/b.png": "cat"},
        id="wrapper-with-loose-file",
    ),
]


@pytest.mark.parametrize(("members", "expected"), LAYOUT_CASES)
def test_zip_class_folders(members: list[str], expected: dict[str, str | None]) -> None:
    result = load_zip(make_zip([(m, tiny(i)) for i, m in enumerate(members)]), "set.zip")
    assert result.problems == []
    assert _labels(result) == expected
    # Pixels come from the right member.
    for i, image in enumerate(result.images):
        assert image.name == members[i] and int(image.array[0, 0]) == i


def test_zip_junk_is_ignored_silently() -> None:
    members = [
        ("cat/", b""),  # a directory entry
        ("__MACOSX/cat/._a.png", b"\x00\x05\x16\x07 resource fork junk"),  # macOS resource fork
        ("cat/.DS_Store", b"\x00\x00\x00\x01Bud1junk"),  # Finder metadata
        (".hidden/x.png", tiny(1)),  # a hidden folder, even with a real image inside
        ("dog/Thumbs.db", b"windows thumbnail cache"),  # Windows thumbnail cache
        ("cat/a.png", tiny(2)),
        ("dog/b.png", tiny(3)),
    ]
    result = load_zip(make_zip(members), "mac.zip")
    assert result.problems == []
    assert _labels(result) == {"cat/a.png": "cat", "dog/b.png": "dog"}


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize(
    "unsafe",
    [
        "../evil.png",  # parent-directory escape
        "/abs.png",  # absolute path
        "..\\evil.png",  # Windows separator escape
        "C:/evil.png",  # drive letter
        "cat/../../evil.png",  # escape hidden in the middle
        "cat\\..\\..\\evil.png",  # backslash escape hidden in the middle
    ],
)
def test_zip_unsafe_paths_are_refused_and_nothing_is_written(
    unsafe: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    before_tmp, before_cwd = _tree(tmp_path), set(os.listdir(workdir))
    data = make_zip([(unsafe, tiny(9)), ("cat/a.png", tiny(1)), ("dog/b.png", tiny(2))])

    result = load_zip(data, "evil.zip")

    assert _labels(result) == {"cat/a.png": "cat", "dog/b.png": "dog"}
    assert [p.name for p in result.problems] == [unsafe]
    assert "unsafe path" in result.problems[0].reason
    assert _tree(tmp_path) == before_tmp and set(os.listdir(workdir)) == before_cwd


ZIP_BOMB_CASES = [
    # Many members of zeros (each 1 MB inflated, ~1 KB stored) add up past a 2.5 MB limit.
    pytest.param(lambda: [(f"pad/{i}.bin", bytes(1_000_000)) for i in range(5)], 2_500_000, id="cumulative"),
    # One member inflating to 50 MB against a 1 MB limit.
    pytest.param(lambda: [("bomb.bin", bytes(50_000_000))], 1_000_000, id="single-member"),
]


@pytest.mark.parametrize(("make_padding", "limit"), ZIP_BOMB_CASES)
def test_zip_bomb_stops_at_the_inflated_byte_limit(
    make_padding: Callable[[], list[tuple[str, bytes]]], limit: int
) -> None:
    data = make_zip([("cat/a.png", tiny(1)), *make_padding(), ("dog/late.png", tiny(2))])
    assert len(data) < limit  # the archive itself is small; only inflating reveals the size
    result = load_zip(data, "bomb.zip", max_total_bytes=limit)
    assert [image.name for image in result.images] == ["cat/a.png"]  # kept what loaded before
    bomb = [p for p in result.problems if p.name == "bomb.zip"]
    assert len(bomb) == 1 and f"{limit:,}-byte limit" in bomb[0].reason


def test_zip_member_limit() -> None:
    members = [(f"cat/{i}.png", tiny(i)) for i in range(5)]
    result = load_zip(make_zip(members), "many.zip", max_members=3)
    assert [image.name for image in result.images] == ["cat/0.png", "cat/1.png", "cat/2.png"]
    assert [p.name for p in result.problems] == ["many.zip"]


def test_zip_non_image_and_corrupt_members_do_not_stop_the_others() -> None:
    good = [("cat/a.png", tiny(1)), ("dog/b.png", tiny(2))]
    data = bytearray(
        make_zip([("cat/readme.txt", b"notes"), good[0], ("dog/broken.png", _NOISE.tobytes()), good[1]])
    )
    # Corrupt the stored (deflated) bytes of dog/broken.png so inflating or its CRC check fails.
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("dog/broken.png")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 10
    data[start : start + 200] = bytes(200)

    result = load_zip(bytes(data), "mixed.zip")

    assert _labels(result) == {"cat/a.png": "cat", "dog/b.png": "dog"}
    assert {p.name for p in result.problems} == {"cat/readme.txt", "dog/broken.png"}


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        # Only a text file.
        pytest.param(make_zip([("readme.txt", b"hello")]), "contains no images", id="text-only"),
        # An archive with no entries at all.
        pytest.param(make_zip([]), "contains no images", id="empty-zip"),
        # Only macOS junk and folders.
        pytest.param(
            make_zip([("cat/", b""), ("__MACOSX/._x.png", b"junk")]), "contains no images", id="junk-only"
        ),
        # Zip magic followed by garbage.
        pytest.param(b"PK\x03\x04" + bytes(range(256)) * 4, "not a readable zip", id="garbage"),
        # A real zip cut in half (its central directory is gone).
        pytest.param(_cut(make_zip([("cat/a.png", png(_NOISE))]), 0.5), "not a readable zip", id="truncated"),
    ],
)
def test_unusable_zips_raise_input_error(data: bytes, fragment: str) -> None:
    with pytest.raises(InputError) as caught:
        load_zip(data, "archive.zip")
    assert caught.value.name == "archive.zip"
    assert fragment in caught.value.reason


def test_zip_from_a_file_object() -> None:
    result = load_zip(io.BytesIO(make_zip([("cat/a.png", tiny(1))])), "stream.zip")
    assert _labels(result) == {"cat/a.png": "cat"}


def test_zip_of_thousands_of_small_images_loads_every_one() -> None:
    pixels = png(np.arange(64, dtype=np.uint8).reshape(8, 8))
    data = make_zip([(f"c{i % 10}/{i}.png", pixels) for i in range(2000)])
    result = load_zip(data, "big.zip")
    assert len(result.images) == 2000 and result.problems == []
    assert {image.label for image in result.images} == {f"c{i}" for i in range(10)}


# --------------------------------------------------------------------------------------------------
# load_files


def test_load_files_keeps_good_files_and_names_each_bad_one() -> None:
    files = [
        ("a.png", png(FOUR_COLOURS)),  # good image
        ("notes.png", b"just text"),  # text renamed .png
        ("empty.jpg", b""),  # zero bytes
        ("cut.jpg", _cut(encode(_NOISE, "JPEG"), 0.5)),  # truncated JPEG
        ("set.bin", make_zip([("cat/x.png", tiny(1)), ("dog/y.png", tiny(2))])),  # a zip, whatever its name
        ("bad.zip", b"PK\x03\x04 not really a zip"),  # corrupt zip
        ("photo.zip", encode(FOUR_COLOURS, "JPEG")),  # a JPEG named .zip
    ]
    result = load_files(files)
    assert _labels(result) == {"a.png": None, "cat/x.png": "cat", "dog/y.png": "dog", "photo.zip": None}
    assert [p.name for p in result.problems] == ["notes.png", "empty.jpg", "cut.jpg", "bad.zip"]
    assert all(isinstance(p, LoadProblem) and p.reason for p in result.problems)


def test_load_result_extend() -> None:
    first = LoadResult([decode_image(tiny(1), "a.png")], [LoadProblem("x", "bad")])
    second = LoadResult([decode_image(tiny(2), "b.png")], [LoadProblem("y", "worse")])
    first.extend(second)
    assert [i.name for i in first.images] == ["a.png", "b.png"]
    assert [p.name for p in first.problems] == ["x", "y"]


# --------------------------------------------------------------------------------------------------
# Zip bombs: refused from the entry's size, with memory bounded by the limit, not by the inflated size


def zip_with_zeros(entries: list[tuple[str, int | bytes]]) -> bytes:
    """A zip whose int entries are that many zero bytes, streamed in 1 MiB pieces (never held whole)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, content in entries:
            if isinstance(content, bytes):
                zf.writestr(name, content)
                continue
            with zf.open(name, "w") as member:
                for start in range(0, content, 1 << 20):
                    member.write(bytes(min(1 << 20, content - start)))
    return buffer.getvalue()


def peak_bytes(run: Callable[[], object]) -> tuple[object, int]:
    """What ``run()`` returns, and the most bytes Python held at once while it ran (tracemalloc)."""
    tracemalloc.start()
    try:
        result = run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


ENTRY_LIMIT_CASES = [
    # 20 MB of zeros against a 1 MB limit for one entry: refused, the entries around it still load.
    pytest.param(20_000_000, 1_000_000, "20,000,000 bytes (19 MiB)", "1,000,000 bytes (977 KiB)", id="small"),
    # Just over the limit still counts.
    pytest.param(1_000_001, 1_000_000, "1,000,001 bytes (977 KiB)", "1,000,000 bytes (977 KiB)", id="edge"),
]


@pytest.mark.parametrize(("size", "limit", "size_text", "limit_text"), ENTRY_LIMIT_CASES)
def test_an_entry_over_the_entry_limit_is_refused_by_size_and_the_others_load(
    size: int, limit: int, size_text: str, limit_text: str
) -> None:
    data = zip_with_zeros([("cats/a.png", tiny(1)), ("dogs/huge.png", size), ("dogs/b.png", tiny(2))])

    result, peak = peak_bytes(lambda: load_zip(data, "photos.zip", max_entry_bytes=limit))

    assert _labels(result) == {"cats/a.png": "cats", "dogs/b.png": "dogs"}
    (problem,) = result.problems
    assert (problem.archive, problem.name) == ("photos.zip", "dogs/huge.png")
    assert size_text in problem.reason and limit_text in problem.reason and "not loaded" in problem.reason
    assert "not an image" not in problem.reason
    assert str(problem).startswith("photos.zip: dogs/huge.png: inflates to ")
    assert peak < limit  # nothing of the entry was inflated: far less than the limit was ever held


def test_an_entry_at_the_entry_limit_loads() -> None:
    picture = tiny(7)
    result = load_zip(make_zip([("cats/a.png", picture)]), "photos.zip", max_entry_bytes=len(picture))
    assert _labels(result) == {"cats/a.png": "cats"} and result.problems == []


def test_a_300_mib_entry_is_refused_by_default_without_inflating_it() -> None:
    # The defect: a small zip with one huge entry under the archive limit was inflated whole (held twice
    # while its pieces were joined), then called "not an image". 300 MiB of zeros zip to about 1.3 MB.
    data = zip_with_zeros([("cats/a.png", tiny(1)), ("dogs/x.png", 300 << 20)])
    assert len(data) < 2_000_000

    result, peak = peak_bytes(lambda: load_zip(data, "photos.zip"))

    assert _labels(result) == {"cats/a.png": "cats"}
    (problem,) = result.problems
    assert problem.where == "photos.zip: dogs/x.png"
    assert "314,572,800 bytes (300 MiB)" in problem.reason  # 300 * 2**20, the entry's size
    assert "268,435,456 bytes (256 MiB)" in problem.reason  # 2**28, the default limit per entry
    assert peak < 20 << 20  # the archive (1.3 MB) and small change, never the 300 MiB


def test_an_entry_whose_header_understates_its_size_never_inflates_past_it() -> None:
    # A zip bomb's headers lie: claim 1,000 bytes for 20 MB of zeros. zipfile stops at the claimed size,
    # the CRC check fails, and the entry is refused as unreadable; memory stays small.
    data = bytearray(zip_with_zeros([("cats/a.png", tiny(1)), ("dogs/liar.png", 20_000_000)]))
    central = data.index(b"dogs/liar.png", data.index(b"PK\x01\x02")) - 46  # its central directory record
    assert data[central : central + 4] == b"PK\x01\x02"
    data[central + 24 : central + 28] = struct.pack("<I", 1_000)  # uncompressed size in the record

    result, peak = peak_bytes(lambda: load_zip(bytes(data), "photos.zip"))

    assert _labels(result) == {"cats/a.png": "cats"}
    assert [p.where for p in result.problems] == ["photos.zip: dogs/liar.png"]
    assert "cannot be read" in result.problems[0].reason
    assert peak < 2_000_000


# --------------------------------------------------------------------------------------------------
# Every message about a zip entry names the archive and the entry


def test_entry_problems_name_the_archive_and_the_entry() -> None:
    data = make_zip(
        [
            ("cats/a.png", tiny(1)),
            ("cats/readme.txt", b"notes"),  # not an image
            ("../escape.png", tiny(2)),  # unsafe path
        ]
    )
    result = load_files([("photos.zip", data), ("notes.png", b"just text")])
    assert [str(p).split(": ")[:2] for p in result.problems] == [
        ["photos.zip", "cats/readme.txt"],
        ["photos.zip", "../escape.png"],
        [
            "notes.png",
            "is not an image this app can read (PNG, JPEG, WEBP, BMP, GIF or TIFF); convert it or "
            "leave it out",
        ],
    ]
    assert [(p.archive, p.name) for p in result.problems] == [
        ("photos.zip", "cats/readme.txt"),
        ("photos.zip", "../escape.png"),
        (None, "notes.png"),
    ]


def test_an_archive_with_no_image_names_its_first_problem() -> None:
    with pytest.raises(InputError) as caught:
        load_zip(make_zip([("cats/readme.txt", b"notes")]), "photos.zip")
    assert caught.value.name == "photos.zip"
    assert "first: cats/readme.txt: is not an image" in caught.value.reason


@pytest.mark.parametrize(
    ("limits", "fragment"),
    [
        ({"max_entry_bytes": 0}, "max_entry_bytes"),  # a limit of nothing
        ({"max_total_bytes": -1}, "max_total_bytes"),  # negative
        ({"max_members": 2.5}, "max_members"),  # not whole
        ({"max_members": True}, "max_members"),  # a bool is not a count
    ],
)
def test_bad_limits_are_config_errors(limits: dict, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        load_zip(make_zip([("cats/a.png", tiny(1))]), "photos.zip", **limits)


@pytest.mark.parametrize(
    ("compression", "method"),
    [
        (zipfile.ZIP_BZIP2, "bzip2"),  # 4 KiB of bzip2 can inflate to gigabytes in one step
        (zipfile.ZIP_LZMA, "LZMA"),  # likewise inflated in whole blocks by zipfile
    ],
)
def test_entries_in_compressions_inflated_in_whole_blocks_are_refused_by_name(
    compression: int, method: str
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("cats/a.png", tiny(1), compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("cats/b.png", tiny(2), compress_type=zipfile.ZIP_STORED)
        zf.writestr("dogs/c.png", tiny(3), compress_type=compression)
    result = load_zip(buffer.getvalue(), "photos.zip")
    assert _labels(result) == {"cats/a.png": "cats", "cats/b.png": "cats"}
    assert [p.where for p in result.problems] == ["photos.zip: dogs/c.png"]
    assert method in result.problems[0].reason and "zip the folder again" in result.problems[0].reason
