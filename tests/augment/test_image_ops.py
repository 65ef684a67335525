"""The image operations added after Keras' settings, against independent references.

Colour operations are compared with torchvision's v2 functional ops on uint8 (within one grey level, as
the module documents), blur with ``cv2.GaussianBlur`` and the kernel size computed here from sigma,
crops with numpy slicing, RandomResizedCrop's boxes with torchvision's rule, erasing boxes with the
torchvision rule restated here, noise statistically. Every kernel is run on gray, one-channel, RGB and
RGBA images, 1x1 and very wide ones, and must keep dtype and shape, leave alpha alone and never modify
its input.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
import torch
from torchvision.transforms.v2 import RandomResizedCrop
from torchvision.transforms.v2 import functional as F

from core.augment.image import (
    ImageAugConfig,
    ImageParams,
    apply_geometry,
    apply_params,
    augment,
    blur_noise,
    colour,
    crop,
    erasing,
)
from core.augment.image.pipeline import sample_params, variant_rng


def noise_image(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def smooth_image(height: int = 24, width: int = 32) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    return np.stack([xx * 8, yy * 10, (xx + yy) * 4], axis=-1).clip(0, 255).astype(np.uint8)


def torchvision(fn, image: np.ndarray, *args) -> np.ndarray:
    """``fn`` from torchvision.transforms.v2.functional on an HxWx3 uint8 array, back as HxWx3."""
    tensor = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)
    return fn(tensor, *args).permute(1, 2, 0).numpy()


def within_one(ours: np.ndarray, theirs: np.ndarray) -> None:
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype == np.uint8
    assert np.abs(ours.astype(int) - theirs.astype(int)).max() <= 1


def chained(image: np.ndarray, op) -> np.ndarray:
    ch = colour.Chain(image)
    ch.then(op)
    out = ch.image()
    return out.copy() if out is image else out


IMAGES = [
    pytest.param(noise_image((23, 31, 3)), id="noise"),  # every level, no structure
    pytest.param(smooth_image(), id="gradient"),  # smooth ramps, where rounding shows
]


# --------------------------------------------------------------------------------------------------
# Colour, against torchvision v2 functional on uint8


@pytest.mark.parametrize("image", IMAGES)
@pytest.mark.parametrize("factor", [0.0, 0.4, 1.6, 2.0])  # grey, weaker, stronger, twice
def test_contrast_matches_torchvision(image, factor):
    ours = chained(image, colour.contrast_op(factor, colour.grey_mean(image)))
    within_one(ours, torchvision(F.adjust_contrast, image, factor))


@pytest.mark.parametrize("image", IMAGES)
@pytest.mark.parametrize("factor", [0.0, 0.5, 1.5, 2.0])  # grey, less, more, twice as saturated
def test_saturation_matches_torchvision(image, factor):
    within_one(colour.saturation(image, factor), torchvision(F.adjust_saturation, image, factor))


@pytest.mark.parametrize("image", IMAGES)
@pytest.mark.parametrize("turn", [-0.5, -0.23, 0.01, 0.25, 0.5])  # both ends, small and a quarter turn
def test_hue_matches_torchvision(image, turn):
    within_one(colour.hue(image, turn), torchvision(F.adjust_hue, image, turn))


@pytest.mark.parametrize("image", IMAGES)
@pytest.mark.parametrize("gamma", [0.3, 0.8, 1.25, 3.0])  # brighter, a little, darker, much darker
def test_gamma_matches_torchvision(image, gamma):
    within_one(
        chained(image, colour.table_op(colour.gamma_lut(gamma))), torchvision(F.adjust_gamma, image, gamma)
    )


@pytest.mark.parametrize("image", IMAGES)
@pytest.mark.parametrize("bits", [1, 3, 7])  # two levels, eight, nearly all
def test_posterize_equals_torchvision(image, bits):
    ours = chained(image, colour.table_op(colour.posterize_lut(bits)))
    np.testing.assert_array_equal(ours, torchvision(F.posterize, image, bits))


@pytest.mark.parametrize("image", IMAGES)
@pytest.mark.parametrize("threshold", [0.0, 100.5, 128.0, 255.0])  # everything, between levels, half, top
def test_solarize_equals_torchvision(image, threshold):
    ours = chained(image, colour.table_op(colour.solarize_lut(threshold)))
    np.testing.assert_array_equal(ours, torchvision(F.solarize, image, threshold))


@pytest.mark.parametrize(
    "image",
    [
        *IMAGES,
        pytest.param(np.full((9, 9, 3), 77, np.uint8), id="flat"),  # one level: left as it is
        pytest.param(
            np.stack([np.full((6, 6), 3), np.arange(36).reshape(6, 6), np.full((6, 6), 200)], -1).astype(
                np.uint8
            ),
            id="two-flat-channels",
        ),
    ],
)
def test_equalize_and_autocontrast_match_torchvision(image):
    np.testing.assert_array_equal(
        chained(image, colour.table_op(colour.equalize_luts(image))), torchvision(F.equalize, image)
    )
    within_one(
        chained(image, colour.table_op(colour.autocontrast_luts(image))), torchvision(F.autocontrast, image)
    )


@pytest.mark.parametrize("image", IMAGES)
def test_grayscale_matches_torchvision(image):
    within_one(colour.grayscale(image), torchvision(lambda t: F.rgb_to_grayscale(t, 3), image))


@pytest.mark.parametrize("image", IMAGES)
@pytest.mark.parametrize("factor", [0.0, 0.5, 2.0])  # smoothed, half, sharpened
def test_sharpness_matches_torchvision(image, factor):
    within_one(colour.sharpness_blend(image, factor), torchvision(F.adjust_sharpness, image, factor))


@pytest.mark.parametrize("factor", [0.0, 0.7, 1.9])  # black, darker, brighter (the policies' Brightness)
def test_policy_brightness_matches_torchvision(factor):
    image = smooth_image()
    within_one(chained(image, colour.brightness_op(factor)), torchvision(F.adjust_brightness, image, factor))


# --------------------------------------------------------------------------------------------------
# Blur and noise


@pytest.mark.parametrize(
    ("sigma", "kernel"),
    [
        (0.1, 3),  # round(1.6) = 2, made odd
        (0.5, 5),  # round(4.0) = 4 -> 5
        (1.0, 7),  # round(7.0) = 7
        (2.2, 15),  # round(14.2) = 14 -> 15
    ],
)
def test_blur_is_the_documented_kernel_as_torchvision_and_opencv_apply_it(sigma, kernel):
    # The documented rule worked out by hand above: k = round(6 sigma + 1) | 1.
    assert blur_noise.blur_kernel_size(sigma) == kernel
    for image in (smooth_image(40, 50), noise_image((40, 50, 3), seed=9)):
        ours = blur_noise.gaussian_blur(image, sigma)
        # torchvision's gaussian_blur: the same float kernel and reflect padding, rounded to nearest.
        within_one(ours, torchvision(F.gaussian_blur, image, [kernel, kernel], [sigma, sigma]))
        # cv2.GaussianBlur: the same kernel quantised to fixed point, so up to 2 levels apart on noise.
        expected = cv2.GaussianBlur(image, (kernel, kernel), sigma)
        assert np.abs(ours.astype(int) - expected.astype(int)).max() <= 2


@pytest.mark.parametrize("sigma", [0.05, 0.15, 0.25])  # kernels whose neighbours weigh almost nothing
def test_a_blur_too_small_to_move_a_level_returns_the_image(sigma):
    image = noise_image((20, 30, 3), seed=10)
    k = blur_noise.blur_kernel_size(sigma)
    np.testing.assert_array_equal(
        blur_noise.gaussian_blur(image, sigma), cv2.GaussianBlur(image, (k, k), sigma)
    )
    np.testing.assert_array_equal(blur_noise.gaussian_blur(image, sigma), image)


@pytest.mark.parametrize("per_channel", [True, False])
@pytest.mark.parametrize("std", [4.0, 15.0])
def test_noise_has_the_drawn_std_and_no_bias(std, per_channel):
    image = np.full((120, 160, 3), 128, np.uint8)
    diff = blur_noise.gaussian_noise(image, std, seed=12345, per_channel=per_channel).astype(float) - 128
    # 57,600 values: the sample std is within 2% and the mean within 0.2 of the truth many times over.
    assert abs(diff.std() - std) < 0.02 * std
    assert abs(diff.mean()) < 0.2
    shared = bool(np.all(diff[..., 0] == diff[..., 1]) and np.all(diff[..., 1] == diff[..., 2]))
    assert shared is (not per_channel)


@pytest.mark.parametrize(("seed_a", "seed_b"), [(1, 2), (0, 2**52), (7, 7 + (1 << 22))])
def test_noise_seeds_give_different_fields(seed_a, seed_b):
    # Distinct seeds give uncorrelated fields (here: correlation below 0.05 over 19,200 values).
    a = blur_noise.noise_field(19_200, seed_a).copy()
    b = blur_noise.noise_field(19_200, seed_b).copy()
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.05
    np.testing.assert_array_equal(blur_noise.noise_field(19_200, seed_a), a)  # and the same seed, the same


def test_jpeg_is_opencvs_round_trip():
    image = smooth_image(32, 48)
    _ok, data = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 30])
    expected = cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(blur_noise.jpeg(image, 30), expected)


# --------------------------------------------------------------------------------------------------
# Crops


@pytest.mark.parametrize(
    ("box", "flip_h", "flip_v"),
    [
        ((3, 2, 10, 7), False, False),  # inside: a plain slice
        ((0, 0, 31, 23), False, False),  # all but the last row and column
        ((5, 4, 6, 9), True, False),  # then mirrored left-right
        ((5, 4, 6, 9), True, True),  # and both ways
    ],
)
@pytest.mark.parametrize("shape", [(24, 32), (24, 32, 1), (24, 32, 3), (24, 32, 4)])
def test_crop_equals_numpy_slicing(box, flip_h, flip_v, shape):
    image = noise_image(shape, seed=3)
    x, y, w, h = box
    params = ImageParams(crop_box=tuple(map(float, box)), out_size=(h, w), flip_h=flip_h, flip_v=flip_v)
    expected = image[y : y + h, x : x + w]
    if flip_h:
        expected = expected[:, ::-1]
    if flip_v:
        expected = expected[::-1]
    for interpolation in ("bilinear", "nearest"):
        out = apply_geometry(image, params, "constant", 0, interpolation)
        np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_crop_through_the_warp_is_still_slicing(interpolation):
    # A whole-pixel crop with a zero rotation goes through warpAffine, not the slicing shortcut.
    image = noise_image((20, 30, 3), seed=4)
    params = ImageParams(crop_box=(4.0, 3.0, 12.0, 9.0), out_size=(9, 12), theta=1e-12)
    out = apply_geometry(image, params, "constant", 0, interpolation)
    np.testing.assert_array_equal(out, image[3:12, 4:16])


@pytest.mark.parametrize(
    ("height", "width", "crop_h", "crop_w"),
    [
        (10, 10, 4, 4),  # even margin
        (11, 10, 4, 5),  # odd margin: torchvision rounds the offset
        (6, 8, 10, 12),  # larger than the image on both axes: padded
        (6, 8, 4, 12),  # larger on one axis only
    ],
)
def test_centre_box_is_torchvision_center_crop(height, width, crop_h, crop_w):
    x, y, w, h = crop.centre_box(height, width, crop_h, crop_w)
    # torchvision's result on an image of distinct values identifies the box exactly.
    image = (np.arange(height * width).reshape(1, height, width) + 1).astype(np.int32)
    expected = F.center_crop(torch.from_numpy(image), [crop_h, crop_w])[0].numpy()
    padded = np.zeros((crop_h + 2 * height, crop_w + 2 * width), image.dtype)
    padded[crop_h : crop_h + height, crop_w : crop_w + width] = image[0]
    ours = padded[crop_h + y : crop_h + y + h, crop_w + x : crop_w + x + w]
    np.testing.assert_array_equal(ours, expected)


def rrc_attempt_could_give(w: int, h: int, area: int, scale, ratio) -> bool:
    """Whether some target area in ``scale * area`` and aspect in ``ratio`` round to this w x h, as in
    torchvision's ``w = round(sqrt(area * r))``, ``h = round(sqrt(area / r))``."""
    lo_area, hi_area = (w - 0.5) * (h - 0.5), (w + 0.5) * (h + 0.5)
    lo_ratio, hi_ratio = (w - 0.5) / (h + 0.5), (w + 0.5) / max(h - 0.5, 1e-9)
    return (
        lo_area <= scale[1] * area
        and hi_area >= scale[0] * area
        and lo_ratio <= ratio[1]
        and hi_ratio >= ratio[0]
    )


def rrc_fallback(height: int, width: int, ratio) -> tuple[int, int, int, int]:
    """torchvision's centre crop when every attempt fails, restated."""
    in_ratio = width / height
    if in_ratio < min(ratio):
        w, h = width, round(width / min(ratio))
    elif in_ratio > max(ratio):
        w, h = round(height * max(ratio)), height
    else:
        w, h = width, height
    return (width - w) // 2, (height - h) // 2, w, h


@pytest.mark.parametrize(
    ("height", "width", "scale", "ratio"),
    [
        (224, 224, (0.08, 1.0), (3 / 4, 4 / 3)),  # torchvision's defaults on a square image
        (120, 300, (0.5, 1.0), (0.9, 1.1)),  # a wide image, nearly square boxes
        (40, 33, (0.2, 0.6), (0.5, 2.0)),  # odd sizes
    ],
)
def test_random_resized_boxes_obey_torchvisions_rule_over_many_seeds(height, width, scale, ratio):
    config = ImageAugConfig(crop="random_resized", crop_scale=scale, crop_ratio=ratio)
    for seed in range(300):
        p = sample_params(config, variant_rng(seed, 0, 0), height, width)
        x, y, w, h = (int(v) for v in (p.crop_box or (0, 0, width, height)))
        assert 0 <= x <= width - w and 0 <= y <= height - h  # inside the image
        attempt = rrc_attempt_could_give(w, h, height * width, scale, ratio)
        assert attempt or (x, y, w, h) == rrc_fallback(height, width, ratio)
        assert p.out_size in ((), (height, width))  # resized back to the image's size


@pytest.mark.parametrize(
    ("height", "width", "scale", "ratio"),
    [
        (10, 1000, (0.9, 1.0), (3 / 4, 4 / 3)),  # far too wide: no attempt fits, ratio-bounded centre
        (1000, 10, (0.9, 1.0), (3 / 4, 4 / 3)),  # far too tall
        (50, 60, (1.0, 1.0), (3.0, 4.0)),  # a ratio the image cannot hold at full area
    ],
)
def test_random_resized_fallback_is_torchvisions(height, width, scale, ratio):
    # Every attempt fails for these, so torchvision's get_params is deterministic: compare directly.
    i, j, h, w = RandomResizedCrop.get_params(torch.zeros(1, height, width), list(scale), list(ratio))
    u = np.random.default_rng(0).random(crop.DRAWS).tolist()
    assert (
        crop.random_resized_box(u, height, width, scale, ratio)
        == (j, i, w, h)
        == rrc_fallback(height, width, ratio)
    )


@pytest.mark.parametrize(("crop_h", "crop_w"), [(0.5, 0.25), (7.0, 30.0), (1.0, 0.1)])
def test_random_crop_positions_stay_inside_and_cover_every_place(crop_h, crop_w):
    config = ImageAugConfig(crop="random", crop_height=crop_h, crop_width=crop_w)
    height, width = 20, 40
    ch, cw = crop.crop_side(crop_h, height), crop.crop_side(crop_w, width)
    seen = set()
    for seed in range(400):
        p = sample_params(config, variant_rng(seed, 1, 2), height, width)
        x, y, w, h = p.crop_box or (0, 0, width, height)
        assert (w, h) == (cw, ch) and 0 <= x <= width - w and 0 <= y <= height - h
        assert p.out_size in ((ch, cw), ())
        seen.add((x, y))
    # Uniform over (width - w + 1) x (height - h + 1) places: with 400 draws nearly all are seen.
    assert len(seen) >= 0.6 * min(400, (width - cw + 1) * (height - ch + 1))


# --------------------------------------------------------------------------------------------------
# Erasing


def test_erasing_box_rule_is_torchvisions():
    # The rule restated: area ~ U[scale] * H * W, log-ratio uniform, h = round(sqrt(area r)), w = ...
    u = [0.5, 0.5] + [0.0] * 18 + [0.25, 0.75]
    height, width = 40, 60
    area = 0.5 * (0.02 + 0.33) * height * width
    r = math.exp(0.5 * (math.log(0.3) + math.log(3.3)))
    h, w = round(math.sqrt(area * r)), round(math.sqrt(area / r))
    expected = (int(0.75 * (width - w + 1)), int(0.25 * (height - h + 1)), w, h)
    assert erasing.sample_box(u, height, width, (0.02, 0.33), (0.3, 3.3)) == expected


@pytest.mark.parametrize("shape", [(30, 45), (30, 45, 1), (30, 45, 3), (30, 45, 4), (1, 1, 3), (2, 500, 3)])
def test_erased_boxes_lie_inside_and_cover_the_drawn_area(shape):
    config = ImageAugConfig(erase_p=1.0, erase_count=(1, 5), erase_value=7)
    image = np.full(shape, 200, np.uint8)
    for variant in range(30):
        out, p = augment(image, config, 3, 0, variant)
        mask = np.zeros(shape[:2], bool)
        for x, y, w, h in p.erase_boxes:
            assert x >= 0 and y >= 0 and x + w <= shape[1] and y + h <= shape[0] and w >= 1 and h >= 1
            mask[y : y + h, x : x + w] = True
        colours = out if out.ndim == 2 else out[..., : min(3, out.shape[2])]
        assert (colours[mask] == 7).all() and (colours[~mask] == 200).all()
        if out.ndim == 3 and out.shape[2] == 4:
            assert (out[..., 3] == 200).all()  # alpha left as it is


# --------------------------------------------------------------------------------------------------
# Every op on every layout: dtype, shape, alpha, purity


ALL_OPS = {
    "contrast": ImageAugConfig(contrast_range=(0.3, 1.8)),
    "saturation": ImageAugConfig(saturation_range=(0.0, 2.0)),
    "hue": ImageAugConfig(hue_range=(-0.4, 0.4)),
    "gamma": ImageAugConfig(gamma_p=1.0, gamma_range=(0.5, 2.0)),
    "grayscale": ImageAugConfig(grayscale_p=1.0),
    "autocontrast": ImageAugConfig(autocontrast_p=1.0),
    "equalize": ImageAugConfig(equalize_p=1.0),
    "posterize": ImageAugConfig(posterize_p=1.0, posterize_bits=3),
    "solarize": ImageAugConfig(solarize_p=1.0, solarize_threshold=100),
    "sharpness": ImageAugConfig(sharpness_p=1.0, sharpness_range=(0.0, 3.0)),
    "blur": ImageAugConfig(blur_p=1.0, blur_sigma=(0.5, 3.0)),
    "noise": ImageAugConfig(noise_p=1.0, noise_std=(5.0, 30.0)),
    "jpeg": ImageAugConfig(jpeg_p=1.0, jpeg_quality=(10, 60)),
    "erase": ImageAugConfig(erase_p=1.0, erase_count=(1, 3), erase_fill="noise"),
    "randaugment": ImageAugConfig(policy="randaugment", policy_ops=4, policy_magnitude=20),
    "trivialaugment": ImageAugConfig(policy="trivialaugment"),
    "random crop": ImageAugConfig(crop="random", crop_height=0.6, crop_width=0.7),
    "centre crop": ImageAugConfig(crop="centre", crop_height=3, crop_width=500),
    "random resized": ImageAugConfig(crop="random_resized", resize_height=9, resize_width=13),
    "resize": ImageAugConfig(resize_height=17),
}
COLOUR_OPS = ("contrast", "saturation", "hue", "gamma", "grayscale", "autocontrast", "equalize", "posterize",
              "solarize")  # fmt: skip
LAYOUTS = [(9, 13), (9, 13, 1), (9, 13, 3), (9, 13, 4), (1, 1), (1, 1, 4), (3, 400, 3)]


@pytest.mark.parametrize("shape", LAYOUTS)
@pytest.mark.parametrize("name", list(ALL_OPS))
def test_every_op_on_every_layout(name, shape):
    config = ALL_OPS[name]
    image = noise_image(shape, seed=5)
    frozen = image.copy()
    frozen.flags.writeable = False
    for variant in range(4):
        out, params = augment(frozen, config, 11, 2, variant)
        assert out.dtype == np.uint8 and out.ndim == image.ndim
        if out.ndim == 3:
            assert out.shape[2] == image.shape[2]
        if params.out_size:
            assert out.shape[:2] == tuple(params.out_size)
        else:
            assert out.shape == image.shape
        if name in COLOUR_OPS and image.ndim == 3 and image.shape[2] == 4:
            np.testing.assert_array_equal(out[..., 3], image[..., 3])  # alpha untouched by colour
        np.testing.assert_array_equal(frozen, image)
        np.testing.assert_array_equal(apply_params(frozen, params, config), out)  # sample, then apply


@pytest.mark.parametrize("name", ["saturation", "hue", "grayscale"])
def test_channel_mixing_ops_leave_grey_images_as_they_are(name):
    # torchvision returns a 1-channel image unchanged for these.
    image = noise_image((10, 12), seed=6)
    out, _ = augment(image, ALL_OPS[name], 1, 0, 0)
    np.testing.assert_array_equal(out, image)
