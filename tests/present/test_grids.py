"""Tests for core.present.grids: tile fitting, RGB conversion, grid layout and the parameters shown.

Expected pixels come from np.repeat / np.kron and hand-computed sizes, never from the code under test.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from core.augment.image import PRESETS, ImageAugConfig, sample_params, variant_rng
from core.present.grids import fit_tile, make_grid, preview_grid, preview_variants, to_rgb


def random_image(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


# --------------------------------------------------------------------------------------------------
# fit_tile


@pytest.mark.parametrize(
    ("shape", "size", "factor"),
    [
        ((8, 8), 256, 32),  # an 8x8 digit becomes 256x256 crisp blocks
        ((8, 8, 3), 256, 32),  # the same in RGB
        ((10, 6, 3), 256, 25),  # 256 // 10 = 25: 250x150, never above the box
        ((100, 60), 256, 2),  # 200x120
        ((3, 5, 4), 20, 4),  # RGBA, small box
    ],
)
def test_fit_tile_enlarges_by_whole_pixel_replication(shape, size, factor):
    image = random_image(shape, seed=1)
    out = fit_tile(image, size)
    expected = np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)
    np.testing.assert_array_equal(out, expected)
    if image.ndim == 2:
        np.testing.assert_array_equal(out, np.kron(image, np.ones((factor, factor), np.uint8)))


@pytest.mark.parametrize(
    ("shape", "expected_hw"),
    [
        ((1000, 500), (256, 128)),  # tall: height fills the box
        ((500, 1000, 3), (128, 256)),  # wide: width fills the box
        ((1024, 768, 3), (256, 192)),  # a 4:3 photo
        ((3000, 7), (256, 1)),  # a sliver keeps at least one pixel
    ],
)
def test_fit_tile_shrinks_keeping_aspect(shape, expected_hw):
    image = random_image(shape, seed=2)
    out = fit_tile(image, 256)
    assert out.shape[:2] == expected_hw
    assert out.dtype == np.uint8


@pytest.mark.parametrize(
    ("shape", "value"),
    [
        ((1000, 500, 3), (10, 150, 240)),  # a flat colour photo, tall
        ((300, 900), (77,)),  # flat grayscale, wide
        ((513, 257, 1), (3,)),  # one channel axis kept, odd sizes
    ],
)
def test_fit_tile_shrink_averages_flat_areas_exactly(shape, value):
    # Area averaging of a flat image keeps its value.
    image = np.full(shape, value[0] if len(shape) == 2 else value, np.uint8)
    out = fit_tile(image, 256)
    assert out.ndim == image.ndim and max(out.shape[:2]) == 256
    assert (out == np.array(value, np.uint8)).all()


@pytest.mark.parametrize(
    "shape",
    [
        (256, 100, 3),  # longest side equals the box: unchanged
        (200, 180),  # factor 256 // 200 = 1: unchanged
    ],
)
def test_fit_tile_leaves_fitting_images_alone(shape):
    image = random_image(shape, seed=3)
    np.testing.assert_array_equal(fit_tile(image, 256), image)


# --------------------------------------------------------------------------------------------------
# to_rgb


@pytest.mark.parametrize(
    "shape",
    [
        (5, 7),  # grayscale
        (5, 7, 1),  # one channel axis
    ],
)
def test_to_rgb_repeats_gray(shape):
    image = random_image(shape, seed=4)
    out = to_rgb(image)
    assert out.shape == (5, 7, 3) and out.dtype == np.uint8
    for ch in range(3):
        np.testing.assert_array_equal(out[..., ch], image.reshape(5, 7))


@pytest.mark.parametrize("shape", [(5, 7, 3), (1, 1, 3), (64, 2, 3)])  # small, a pixel, a sliver
def test_to_rgb_keeps_rgb(shape):
    image = random_image(shape, seed=5)
    np.testing.assert_array_equal(to_rgb(image), image)


@pytest.mark.parametrize(
    ("alpha", "expected"),
    [
        (255, "rgb"),  # opaque: exactly the RGB
        (0, "board"),  # transparent: the checkerboard (255 / 204 in 8-pixel squares)
        (128, "blend"),  # half: rint(rgb * a + board * (1 - a))
    ],
)
def test_to_rgb_composites_rgba_over_checkerboard(alpha, expected):
    image = random_image((20, 20, 4), seed=6)
    image[..., 3] = alpha
    out = to_rgb(image)
    assert out.shape == (20, 20, 3) and out.dtype == np.uint8
    board = np.full((20, 20), 204.0)
    for y in range(20):
        for x in range(20):
            if (y // 8 + x // 8) % 2 == 0:
                board[y, x] = 255.0
    if expected == "rgb":
        np.testing.assert_array_equal(out, image[..., :3])
    elif expected == "board":
        np.testing.assert_array_equal(out, np.repeat(board[..., None], 3, axis=2).astype(np.uint8))
    else:
        a = alpha / 255
        blend = image[..., :3] * a + board[..., None] * (1 - a)
        assert np.abs(out.astype(float) - blend).max() <= 0.5 + 1e-3


# --------------------------------------------------------------------------------------------------
# make_grid


@pytest.mark.parametrize(
    ("count", "cols", "pad", "tile_hw", "grid_hw"),
    [
        (5, 2, 4, (10, 20), (4 + 3 * 14, 4 + 2 * 24)),  # 3 rows of 2
        (4, 4, 4, (10, 20), (4 + 14, 4 + 4 * 24)),  # one full row
        (3, 10, 2, (6, 6), (2 + 8, 2 + 3 * 8)),  # more columns than tiles: clamped to 3
        (7, 3, 0, (5, 5), (3 * 5, 3 * 5)),  # no padding
        (2, 0, 1, (4, 4), (1 + 2 * 5, 1 + 5)),  # cols 0 means at least one column
    ],
)
def test_make_grid_size_arithmetic(count, cols, pad, tile_hw, grid_hw):
    tiles = [np.full((*tile_hw, 3), i * 10, np.uint8) for i in range(count)]
    grid = make_grid(tiles, cols, pad=pad, background=255)
    assert grid.shape == (*grid_hw, 3) and grid.dtype == np.uint8
    used_cols = max(1, min(cols, count))
    h, w = tile_hw
    for i in range(count):
        r, c = divmod(i, used_cols)
        y, x = pad + r * (h + pad), pad + c * (w + pad)
        assert (grid[y : y + h, x : x + w] == i * 10).all(), i
    if pad:
        assert (grid[:pad] == 255).all() and (grid[:, :pad] == 255).all()


def test_make_grid_centres_smaller_tiles_in_cells():
    big = np.zeros((10, 10, 3), np.uint8)
    small = np.full((4, 6, 3), 50, np.uint8)
    grid = make_grid([big, small], cols=2, pad=2, background=200)
    assert grid.shape == (2 + 12, 2 + 2 * 12, 3)
    # Cell two starts at x = 2 + 12 = 14, y = 2; the 4x6 tile sits (10-4)//2 = 3 down, (10-6)//2 = 2 right.
    assert (grid[5:9, 16:22] == 50).all()
    assert (grid[2:5, 14:24] == 200).all() and (grid[9:12, 14:24] == 200).all()


@pytest.mark.parametrize("background", [17, 255, 0])
def test_make_grid_of_nothing_is_one_background_pixel(background):
    grid = make_grid([], cols=3, background=background)
    np.testing.assert_array_equal(grid, np.full((1, 1, 3), background, np.uint8))


@pytest.mark.parametrize(
    ("tile", "expected"),
    [
        (np.full((4, 6), 90, np.uint8), (90, 90, 90)),  # grayscale HxW: grey in every channel
        (np.full((4, 6, 1), 40, np.uint8), (40, 40, 40)),  # one channel axis
        (np.full((4, 6, 3), (1, 2, 3), np.uint8), (1, 2, 3)),  # RGB as it is
        (np.full((4, 6, 4), (9, 8, 7, 255), np.uint8), (9, 8, 7)),  # opaque RGBA: its colour
    ],
)
def test_make_grid_takes_any_layout(tile, expected):
    # GAN samples are grayscale or RGB; all go through the one grid builder. (Before, a grayscale tile
    # failed to broadcast into the RGB grid.)
    grid = make_grid([tile, tile], cols=2, pad=1, background=255)
    assert grid.shape == (1 + 5, 1 + 2 * 7, 3)
    for x in (1, 8):
        assert (grid[1:5, x : x + 6] == np.array(expected, np.uint8)).all()


# --------------------------------------------------------------------------------------------------
# preview_variants / preview_grid


@pytest.mark.parametrize(
    ("shape", "config"),
    [
        ((8, 8), PRESETS["Digits and characters"]),  # small grayscale, enlarged tiles
        ((30, 40, 3), PRESETS["Strong geometry"]),  # fits the tile: no reduction
        ((1024, 768, 3), PRESETS["Mild, photos"]),  # reduced before warping
        ((600, 300, 1), PRESETS["Any orientation"]),  # tall one-channel image
        ((50, 50, 4), ImageAugConfig(width_shift_range=12, height_shift_range=0.3)),  # pixel shifts
    ],
)
@pytest.mark.parametrize("count", [1, 5])
def test_preview_params_are_full_size_samples(shape, config, count):
    image = random_image(shape, seed=7)
    grid, params = preview_grid(image, config, seed=3, index=2, count=count, tile=128)
    h, w = shape[:2]
    expected = [sample_params(config, variant_rng(3, 2, v), h, w) for v in range(count)]
    assert params == expected
    assert grid.ndim == 3 and grid.shape[2] == 3 and grid.dtype == np.uint8


@pytest.mark.parametrize(
    ("shape", "tile"),
    [
        ((1024, 768, 3), 256),  # a photo: tiles 256x192
        ((768, 1024), 200),  # wide grayscale
        ((8, 8), 256),  # tiny: enlarged to exactly 256
        ((300, 300, 4), 256),  # RGBA just above the tile
    ],
)
def test_preview_tiles_fit_within_tile_size(shape, tile):
    image = random_image(shape, seed=8)
    tiles, _ = preview_variants(image, PRESETS["Strong geometry"], 0, 0, 3, tile=tile)
    assert len(tiles) == 3
    for t in tiles:
        assert t.ndim == 3 and t.shape[2] == 3 and t.dtype == np.uint8
        assert max(t.shape[:2]) <= tile
        assert max(t.shape[:2]) > tile // 2  # and fill it reasonably


@pytest.mark.parametrize(
    ("shape", "tile"),
    [
        ((1024, 1024), 256),  # reduced 4x: a shift of tx pixels shows as tx / 4 in the tile
        ((800, 400), 200),  # reduced 4x, tall
    ],
)
def test_reduced_preview_scales_pixel_shifts(shape, tile):
    # A flat image shifted horizontally with a black constant fill: the black band at one side of
    # the tile is as wide as the shift scaled to the tile.
    image = np.full(shape, 200, np.uint8)
    config = ImageAugConfig(width_shift_range=0.3, fill_mode="constant", cval=0, interpolation="nearest")
    tiles, params = preview_variants(image, config, 4, 0, 6, tile=tile)
    scale = tile / max(shape)
    for t, p in zip(tiles, params, strict=True):
        black = int((t[t.shape[0] // 2, :, 0] == 0).sum())
        assert abs(black - abs(p.tx) * scale) <= 1.0, (p.tx, black)
        assert abs(p.tx) <= 0.3 * shape[1]


@pytest.mark.parametrize("shape", [(400, 300, 3), (20, 30), (50, 40, 4)])  # reduced, enlarged, RGBA
def test_preview_does_not_mutate_input(shape):
    image = random_image(shape, seed=9)
    image.flags.writeable = False
    before = image.copy()
    preview_grid(image, PRESETS["Strong geometry"], 1, 0, 4)
    np.testing.assert_array_equal(image, before)


@pytest.mark.parametrize(
    ("count", "with_original", "tiles_in_grid"),
    [
        (3, True, 4),  # original + 3 variants: one row of 4
        (4, True, 5),  # 5 tiles: two rows
        (4, False, 4),  # no original: one row
    ],
)
def test_preview_grid_layout(count, with_original, tiles_in_grid):
    # 16x16 enlarged by 64 // 16 = 4 to 64x64 tiles; cols 4, pad 4.
    image = random_image((16, 16, 3), seed=10)
    grid, params = preview_grid(
        image, ImageAugConfig(), 0, 0, count, tile=64, cols=4, with_original=with_original
    )
    rows = -(-tiles_in_grid // 4)
    cols = min(4, tiles_in_grid)
    assert grid.shape == (4 + rows * 68, 4 + cols * 68, 3)
    assert len(params) == count
    # With the identity config each variant tile equals the enlarged original below its label box.
    enlarged = np.repeat(np.repeat(image, 4, axis=0), 4, axis=1)
    first_variant = 1 if with_original else 0
    r, c = divmod(first_variant, 4)
    y, x = 4 + r * 68, 4 + c * 68
    np.testing.assert_array_equal(grid[y + 32 : y + 64, x : x + 64], enlarged[32:])


@pytest.mark.parametrize(
    ("shape", "tile"),
    [
        ((1024, 1024), 256),  # reduced 4x before the crop
        ((600, 900, 3), 150),  # reduced 6x, wide colour
    ],
)
def test_reduced_preview_crops_the_same_part_of_the_image(shape, tile):
    # A centre crop of half each side: the tile shows the middle of the image (numpy slicing of the
    # original, then reduced to the tile), not a middle quarter of the reduced copy's crop box.
    rows = np.linspace(0, 255, shape[0])[:, None]
    cols = np.linspace(0, 255, shape[1])[None, :]
    image = ((rows + cols) / 2).astype(np.uint8)
    image = np.repeat(image[..., None], shape[2], axis=2) if len(shape) == 3 else image
    config = ImageAugConfig(crop="centre", crop_height=0.5, crop_width=0.5)
    tiles, _ = preview_variants(image, config, 0, 0, 1, tile=tile)
    h, w = shape[0] // 2, shape[1] // 2
    middle = image[shape[0] // 4 : shape[0] // 4 + h, shape[1] // 4 : shape[1] // 4 + w]
    expected = cv2.resize(
        to_rgb(middle), (tiles[0].shape[1], tiles[0].shape[0]), interpolation=cv2.INTER_AREA
    )
    assert np.abs(tiles[0].astype(int) - expected.astype(int)).mean() < 3.0
