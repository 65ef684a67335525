"""The Images page's pictures (core.present.image_preview): variant tiles, the random batch, the kind of
a dataset. Small images are drawn at full size, so the tiles must equal ``augment``'s output enlarged."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from core.augment.image import PRESETS, ImageAugConfig, ImageParams, augment
from core.present.grids import fit_tile, to_rgb
from core.present.image_preview import batch_items, image_kind, picture_strip, variant_tiles

CONFIGS = [
    pytest.param(PRESETS["Mild, photos"], id="keras"),
    pytest.param(PRESETS["Crop + colour jitter + cutout (photos)"], id="crop-jitter-cutout"),
    pytest.param(
        ImageAugConfig(crop="random", crop_height=0.5, crop_width=0.5, noise_p=1.0), id="crop-noise"
    ),
]


@pytest.mark.parametrize("config", CONFIGS)
def test_tiles_of_small_images_are_the_variants(config):
    image = np.random.default_rng(0).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    tiles, params = variant_tiles(image, config, 3, 1, [0, 5], tile=512)
    for variant, tile, p in zip([0, 5], tiles, params, strict=True):
        out, expected_params = augment(image, config, 3, 1, variant)
        assert p == expected_params
        np.testing.assert_array_equal(tile, fit_tile(to_rgb(out), 512))


@pytest.mark.parametrize(
    ("params", "scaled"),
    [
        # no output size of its own: the output is the source, so everything measured on it scales
        (ImageParams(tx=10.0, ty=-4.0, blur_sigma=2.0), {"tx": 5.0, "ty": -2.0, "blur_sigma": 1.0}),
        # an output size of its own: only the source's crop box scales
        (
            ImageParams(
                crop_box=(10.0, 20.0, 100.0, 60.0), out_size=(32, 32), tx=6.0, erase_boxes=((1, 2, 3, 4),)
            ),
            {"crop_box": (5.0, 10.0, 50.0, 30.0), "tx": 6.0, "erase_boxes": ((1, 2, 3, 4),)},
        ),
    ],
)
def test_parameters_follow_a_reduced_source(params, scaled):
    reduced = params.for_source_scale(0.5, 0.5)
    for name, value in scaled.items():
        assert getattr(reduced, name) == pytest.approx(value) if isinstance(value, float) else value


def test_a_large_photo_is_drawn_from_a_reduced_copy_at_the_output_size():
    image = np.random.default_rng(1).integers(0, 256, (1200, 1600, 3), dtype=np.uint8)
    config = ImageAugConfig(crop="random_resized", resize_height=64, resize_width=64)
    tiles, _ = variant_tiles(image, config, 0, 0, [0], tile=128)
    assert tiles[0].shape == (128, 128, 3)  # 64 px enlarged twice, the output size kept
    steps, _ = picture_strip(image, config, 0, 0, 0, tile=128)
    assert [s.name for s in steps][:2] == ["original", "crop & size"]


def test_a_batch_takes_the_classes_in_turn_and_is_reproducible():
    labels = ["b"] * 10 + ["a"] * 3 + [None] * 5 + ["c"] * 30
    items = batch_items(labels, seed=4, batch=2, count=16)
    assert len(items) == 16 and len({i.index for i in items}) == 16  # 16 different images
    # Rounds of a, b, c, unlabelled: "a" runs out after 3, the fifth round has room for "b" only.
    assert Counter(i.label for i in items) == {"a": 3, "b": 5, "c": 4, None: 4}
    assert all(labels[i.index] == i.label and i.variant == 2 for i in items)
    assert batch_items(labels, seed=4, batch=2, count=16) == items
    assert batch_items(labels, seed=4, batch=3, count=16) != items
    # The classes take turns: among the first four, one of each.
    assert {i.label for i in items[:4]} == {"a", "b", "c", None}


@pytest.mark.parametrize(
    ("sizes", "kind"),
    [
        ([(8, 8)] * 5, "small"),  # digits
        ([(28, 28), (512, 400), (32, 32)], "small"),  # mostly small: the median decides
        ([(224, 224), (480, 640)], "photos"),
        ([], "none"),
    ],
)
def test_image_kind(sizes, kind):
    assert image_kind(sizes, 32) == kind
