"""core.generators.sampling (the labelled preview grid the GAN and the VAE share) and
core.generators.small_sets (the shapes and textures the generators are judged on), checked against
numpy slicing and hand-made images."""

from __future__ import annotations

import numpy as np
import pytest

from core.generators.sampling import LABEL_CHARS, labelled_grid, preview_grid
from core.generators.small_sets import SHAPES, TEXTURES, draw_shape, drawn_shapes, texture_patches
from core.seeding import numpy_rng


def test_labelled_grid_is_the_grid_with_a_margin_of_names():
    images = np.random.default_rng(0).integers(0, 256, (3 * 8, 8, 8), dtype=np.uint8)
    names = ["circle", "square", "triangle"]
    labelled = labelled_grid(images, names, 8)
    grid = preview_grid(images, 8)
    margin = labelled.shape[1] - grid.shape[1]
    assert labelled.shape[0] == grid.shape[0] and margin > 0
    assert np.array_equal(labelled[:, margin:], grid)  # the images are untouched
    cell = 32 + 1  # 8 px enlarged x4, and its gap
    for row in range(3):
        band = labelled[1 + row * cell : (row + 1) * cell, :margin]
        assert (band < 128).any()  # the row's name is written in its own band
    assert labelled_grid(images, [], 8).shape == grid.shape  # no names (unconditional): the grid alone


@pytest.mark.parametrize(
    "long, short",
    [
        ("a" * 40, "a" * (LABEL_CHARS - 1) + "…"),  # cut, with an ellipsis
        ("x" * LABEL_CHARS, "x" * LABEL_CHARS),  # exactly the limit: kept whole
    ],
)
def test_long_names_are_cut(long, short):
    images = np.zeros((8, 8, 8), np.uint8)
    assert np.array_equal(labelled_grid(images, [long], 8), labelled_grid(images, [short], 8))


def test_drawn_shapes_are_deterministic_balanced_and_drawn_from_their_own_streams():
    shapes = drawn_shapes(per_class=5, seed=3)
    assert [img.label for img in shapes.images] == [s for s in SHAPES for _ in range(5)]
    assert all(img.array.shape == (16, 16) and img.array.dtype == np.uint8 for img in shapes.images)
    again = drawn_shapes(per_class=5, seed=3)
    assert all(np.array_equal(a.array, b.array) for a, b in zip(shapes.images, again.images, strict=True))
    rng = numpy_rng(3, "small_sets", "shapes", "square")  # the stream of one class, redrawn by hand
    first_square = draw_shape("square", 16, rng)
    assert np.array_equal(shapes.images[5].array, first_square)
    other = drawn_shapes(per_class=5, seed=4)
    assert not np.array_equal(shapes.images[0].array, other.images[0].array)
    assert all(
        img.array.max() > 100 and img.array[0, 0] == 0 for img in shapes.images
    )  # a stroke, black edge


def test_texture_patches_are_non_overlapping_tiles_of_the_photographs():
    import skimage.data

    patches = texture_patches(size=32, per_class=20)
    assert [img.label for img in patches.images] == [t for t in TEXTURES for _ in range(20)]
    brick = skimage.data.brick()
    # patch 17 of a 512 px photograph cut in 32 px tiles: row 1, column 1
    assert np.array_equal(patches.images[17].array, brick[32:64, 32:64])
    assert len(texture_patches(size=64).images) == 3 * 8 * 8  # all of them: (512 / 64)^2 per photograph
