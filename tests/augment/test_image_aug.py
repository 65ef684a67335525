"""Tests for core.augment.image: geometry, photometry, sampling, determinism and configuration checks.

Expected images are built with numpy alone (slicing, np.rot90, np.flip, np.roll, np.pad) or from
coordinates derived by hand from the module docstring; affine_matrix is only ever compared with
affine_steps, never used to compute an expected picture.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from core.augment.image import (
    CONFIG_FORMAT,
    FILL_MODES,
    INTERPOLATIONS,
    PRESETS,
    AffineParams,
    ImageAugConfig,
    affine_matrix,
    affine_steps,
    apply_affine,
    apply_params,
    apply_photometric,
    augment,
    sample_params,
    variant_rng,
)
from core.config import MAX_SEED
from core.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def random_image(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Noise with every value distinct enough that a misplaced pixel shows."""
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


# Every layout the module accepts: grayscale, one channel, RGB, RGBA.
SHAPES = [
    pytest.param((7, 11), id="HxW"),
    pytest.param((7, 11, 1), id="HxWx1"),
    pytest.param((7, 11, 3), id="HxWx3"),
    pytest.param((7, 11, 4), id="HxWx4"),
]

# A configuration with every range switched on, used wherever "all steps" matter.
ALL_ON = ImageAugConfig(
    rotation_range=30,
    width_shift_range=0.2,
    height_shift_range=7,
    shear_range=20,
    zoom_range=(0.7, 1.3),
    horizontal_flip=True,
    vertical_flip=True,
    fill_mode="reflect",
    cval=10,
    brightness_range=(0.5, 1.5),
    channel_shift_range=30,
    interpolation="bilinear",
)


# --------------------------------------------------------------------------------------------------
# Geometry


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize(
    ("shape", "theta", "turns"),
    [
        ((9, 9, 3), 90, 1),  # square, a quarter turn counter-clockwise = np.rot90
        ((9, 9, 3), -90, -1),  # square, clockwise
        ((8, 8), 90, 1),  # even size: the centre sits between pixels, still exact
        ((6, 10, 3), 180, 2),  # non-square, half turn keeps the frame
        ((5, 8), 180, 2),  # non-square grayscale, odd height
        ((7, 4, 4), -180, 2),  # RGBA, the other way round
    ],
)
def test_quarter_turns_equal_rot90(shape, theta, turns, interpolation):
    image = random_image(shape)
    out = apply_affine(image, AffineParams(theta=theta), interpolation=interpolation)
    np.testing.assert_array_equal(out, np.rot90(image, turns))


def shifted(image: np.ndarray, tx: int, ty: int, fill: int) -> np.ndarray:
    """Content moved tx right and ty down with slicing; uncovered pixels set to ``fill``."""
    out = np.full_like(image, fill)
    h, w = image.shape[:2]
    src_y, dst_y = slice(max(0, -ty), h - max(0, ty)), slice(max(0, ty), h - max(0, -ty))
    src_x, dst_x = slice(max(0, -tx), w - max(0, tx)), slice(max(0, tx), w - max(0, -tx))
    out[dst_y, dst_x] = image[src_y, src_x]
    return out


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    ("tx", "ty"),
    [
        (3, 0),  # right only
        (0, 2),  # down only
        (-4, 0),  # left
        (0, -3),  # up
        (2, -1),  # right and up
        (-5, 4),  # left and down
    ],
)
def test_integer_shift_moves_content_right_and_down(shape, tx, ty):
    image = random_image(shape, seed=1)
    out = apply_affine(image, AffineParams(tx=tx, ty=ty), fill_mode="constant", cval=77)
    assert out.shape == image.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out, shifted(image, tx, ty, 77))


@pytest.mark.parametrize("shape", [(6, 9), (6, 9, 1), (6, 9, 3), (6, 9, 4)])
@pytest.mark.parametrize(
    ("flip_h", "flip_v", "axes"),
    [
        (True, False, (1,)),  # left-right mirrors columns
        (False, True, (0,)),  # top-bottom mirrors rows
        (True, True, (0, 1)),  # both: a half turn
    ],
)
def test_flips_equal_np_flip(shape, flip_h, flip_v, axes):
    image = random_image(shape, seed=2)
    out = apply_affine(image, AffineParams(flip_h=flip_h, flip_v=flip_v), interpolation="nearest")
    np.testing.assert_array_equal(out, np.flip(image, axis=axes))


@pytest.mark.parametrize(
    ("shape", "interpolation"),
    [
        ((9, 9), "nearest"),  # odd square: centre pixel (4, 4)
        ((7, 11, 3), "nearest"),  # odd non-square RGB: centre (5, 3)
        ((7, 11, 3), "bilinear"),  # the sample points land on source pixels, so bilinear is exact too
    ],
)
def test_zoom_two_about_centre(shape, interpolation):
    # Forward map: out = c + 2 * (src - c). Output pixel c + 2d therefore shows source pixel c + d,
    # e.g. the centre stays and the pixel right of the centre lands two to the right of it.
    image = random_image(shape, seed=3)
    out = apply_affine(image, AffineParams(zx=2, zy=2), interpolation=interpolation)
    h, w = shape[:2]
    cy, cx = (h - 1) // 2, (w - 1) // 2
    assert np.array_equal(out[cy, cx], image[cy, cx])
    assert np.array_equal(out[cy, cx + 2], image[cy, cx + 1])
    for dy in range(-(cy // 2), cy // 2 + 1):
        for dx in range(-(cx // 2), cx // 2 + 1):
            assert np.array_equal(out[cy + 2 * dy, cx + 2 * dx], image[cy + dy, cx + dx]), (dx, dy)


@pytest.mark.parametrize(
    ("zoom", "reach"),
    [
        (0.5, 2),  # output offset d shows source offset 2d: only |d| <= 2 lies inside a 9x9
        (0.25, 1),  # source offset 4d: only |d| <= 1 inside
    ],
)
def test_zoom_below_one_leaves_border_to_fill(zoom, reach):
    image = random_image((9, 9), seed=4)
    out = apply_affine(
        image, AffineParams(zx=zoom, zy=zoom), fill_mode="constant", cval=3, interpolation="nearest"
    )
    step = round(1 / zoom)
    c = 4
    expected = np.full_like(image, 3)
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            expected[c + dy, c + dx] = image[c + step * dy, c + step * dx]
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize(
    ("shape", "shear"),
    [
        ((9, 9), 45),  # tan 45 = 1: row at offset dy slides dy pixels right
        ((7, 12, 3), 45),  # non-square RGB
        ((9, 9), -45),  # negative shear slides the other way
    ],
)
def test_shear_moves_x_by_tan_times_y(shape, shear):
    image = random_image(shape, seed=5)
    out = apply_affine(
        image, AffineParams(shear=shear), fill_mode="constant", cval=1, interpolation="nearest"
    )
    h, w = shape[:2]
    cy = (h - 1) // 2
    slope = 1 if shear > 0 else -1
    # A single marked point: offset (0, dy) from the centre goes to (slope * dy, dy).
    cx = (w - 1) / 2
    if cx == int(cx):
        cx = int(cx)
        assert np.array_equal(out[cy + 2, cx + 2 * slope], image[cy + 2, cx])
    for y in range(h):
        expected_row = shifted(image[y : y + 1], slope * (y - cy), 0, 1)
        np.testing.assert_array_equal(out[y : y + 1], expected_row, err_msg=f"row {y}")


def test_rotation_turns_about_true_centre_of_non_square_image():
    # 6x10 image, centre (4.5, 2.5). theta = 90 sends offset (dx, dy) to (dy, -dx):
    # pixel (x=7, y=2) has offset (2.5, -0.5) -> (-0.5, -2.5) -> lands at (x=4, y=0);
    # pixel (x=2, y=5) has offset (-2.5, 2.5) -> (2.5, 2.5) -> lands at (x=7, y=5).
    image = np.full((6, 10), 20, np.uint8)
    image[2, 7] = 200
    image[5, 2] = 150
    out = apply_affine(image, AffineParams(theta=90), fill_mode="constant", cval=0, interpolation="nearest")
    assert out[0, 4] == 200
    assert out[5, 7] == 150
    # The whole picture: the 10x6 rotated image is centred on the 6x10 canvas, so canvas columns 2..7
    # show rows 2..7 of np.rot90 and columns 0, 1, 8, 9 come from outside.
    expected = np.zeros_like(image)
    expected[:, 2:8] = np.rot90(image)[2:8, :]
    np.testing.assert_array_equal(out, expected)


def padded_shift(image: np.ndarray, tx: int, ty: int, mode: str) -> np.ndarray:
    """Shift with np.pad filling the uncovered border in ``mode``."""
    p = max(abs(tx), abs(ty))
    pad = [(p, p), (p, p)] + [(0, 0)] * (image.ndim - 2)
    big = np.pad(image, pad, mode=mode)
    h, w = image.shape[:2]
    return big[p - ty : p - ty + h, p - tx : p - tx + w]


@pytest.mark.parametrize("shape", [(6, 9), (6, 9, 3), (6, 9, 4)])
@pytest.mark.parametrize(("tx", "ty"), [(3, 2), (-2, -4)])  # down-right, then up-left
@pytest.mark.parametrize(
    "fill_mode",
    [
        "constant",  # cval on every channel = np.full
        "nearest",  # repeat the edge pixel = np.pad(mode="edge")
        "reflect",  # mirror including the edge = np.pad(mode="symmetric")
        "wrap",  # periodic = np.roll
    ],
)
def test_fill_modes_at_border(shape, tx, ty, fill_mode):
    image = random_image(shape, seed=6)
    out = apply_affine(image, AffineParams(tx=tx, ty=ty), fill_mode=fill_mode, cval=123)
    if fill_mode == "constant":
        expected = shifted(image, tx, ty, 123)
        mask = np.ones(shape[:2], bool)
        mask[max(0, ty) : shape[0] + min(0, ty), max(0, tx) : shape[1] + min(0, tx)] = False
        assert (out[mask] == 123).all()  # every channel of the border, alpha included
    elif fill_mode == "nearest":
        expected = padded_shift(image, tx, ty, "edge")
    elif fill_mode == "reflect":
        expected = padded_shift(image, tx, ty, "symmetric")
    else:
        expected = np.roll(image, (ty, tx), axis=(0, 1))
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize(
    ("interpolation", "allowed"),
    [
        ("bilinear", {100}),  # half a pixel between 0 and 200: the average
        ("nearest", {0, 200}),  # one of the two neighbours, never a blend
    ],
)
def test_interpolation_setting_is_honoured(interpolation, allowed):
    stripes = np.zeros((6, 10), np.uint8)
    stripes[:, 1::2] = 200
    config = ImageAugConfig(interpolation=interpolation, fill_mode="wrap")
    out = apply_params(stripes, AffineParams(tx=0.5), config)
    assert set(np.unique(out[:, 1:-1]).tolist()) <= allowed


# --------------------------------------------------------------------------------------------------
# Photometric


def photometric_by_hand(image: np.ndarray, brightness: float, shifts: tuple[float, ...]) -> np.ndarray:
    """out = clip(rint((v + shift_c) * brightness), 0, 255) per colour channel; alpha kept."""
    values = image.astype(np.float64)
    if image.ndim == 2 or image.shape[2] == 1:
        out = np.clip(np.rint((values + shifts[0]) * brightness), 0, 255)
    else:
        out = values.copy()
        for ch in range(3):
            out[..., ch] = np.clip(np.rint((values[..., ch] + shifts[ch]) * brightness), 0, 255)
    return out.astype(np.uint8)


@pytest.mark.parametrize("shape", [(16, 16), (16, 16, 1), (16, 16, 3), (16, 16, 4)])
@pytest.mark.parametrize(
    ("brightness", "shifts"),
    [
        (1.0, (0.0, 0.0, 0.0)),  # identity
        (1.5, (0.0, 0.0, 0.0)),  # brighter: saturates at 255
        (0.3, (0.0, 0.0, 0.0)),  # darker
        (1.0, (40.0, -40.0, 0.5)),  # shifts only, with a half-way rounding
        (1.2, (-25.3, 10.0, 200.0)),  # shift first, then scale
        (0.0, (50.0, 50.0, 50.0)),  # black whatever the shift
    ],
)
def test_photometric_matches_hand_computation(shape, brightness, shifts):
    # Every value 0..255 appears once, in every channel.
    levels = np.arange(256, dtype=np.uint8).reshape(16, 16)
    image = np.stack([levels, levels[::-1], levels.T, 255 - levels], axis=-1)
    image = image[..., : shape[2]] if len(shape) == 3 else levels
    out = apply_photometric(image, AffineParams(brightness=brightness, channel_shift=shifts))
    assert out.shape == image.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out, photometric_by_hand(image, brightness, shifts))


@pytest.mark.parametrize(
    "shape",
    [
        (5, 5),  # grayscale takes channel_shift[0] ...
        (5, 5, 1),  # ... with or without a channel axis
    ],
)
def test_grayscale_uses_first_channel_shift(shape):
    image = np.full(shape, 100, np.uint8)
    out = apply_photometric(image, AffineParams(channel_shift=(20.0, -90.0, 90.0)))
    assert (out == 120).all()


@pytest.mark.parametrize(
    "params",
    [
        AffineParams(brightness=2.0, channel_shift=(50.0, -50.0, 30.0)),  # brighter, shifted
        AffineParams(brightness=0.0),  # black
        AffineParams(channel_shift=(-255.0, 255.0, 0.0)),  # shifts at their limits
    ],
)
def test_alpha_channel_untouched(params):
    image = random_image((8, 8, 4), seed=7)
    out = apply_photometric(image, params)
    np.testing.assert_array_equal(out[..., 3], image[..., 3])


# --------------------------------------------------------------------------------------------------
# Determinism, purity, sample-then-apply


# The presets of Keras' settings (the first five, unchanged since before the added steps, which
# tests/augment/test_image_ops.py and test_image_pipeline.py cover).
KERAS_PRESETS = {name: c for name, c in PRESETS.items() if not c.on["any"]}
CONFIGS = [
    pytest.param(ALL_ON, id="all-on"),
    *[pytest.param(c, id=name) for name, c in KERAS_PRESETS.items()],
]


@pytest.mark.parametrize("config", CONFIGS)
def test_same_key_gives_same_bytes_and_other_seeds_differ(config):
    image = random_image((20, 30, 3), seed=8)
    a, pa = augment(image, config, 5, 2, 3)
    b, pb = augment(image, config, 5, 2, 3)
    assert a.tobytes() == b.tobytes() and pa == pb
    if config != ImageAugConfig():
        others = [augment(image, config, seed, 2, 3)[1] for seed in (6, 7, 8)]
        assert all(p != pa for p in others)


@pytest.mark.parametrize("shape", SHAPES)
def test_identity_config_returns_the_image(shape):
    image = random_image(shape, seed=8)
    out, params = augment(image, ImageAugConfig(), 0, 0, 0)
    np.testing.assert_array_equal(out, image)
    assert out is not image
    assert params == AffineParams()  # every draw of a zero range is exactly the neutral value


_SUBPROCESS = """
import hashlib, sys
import numpy as np
from core.augment.image import ImageAugConfig, augment
config = ImageAugConfig.from_json(sys.argv[1])
image = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)
h = hashlib.sha256()
for variant in range(5):
    out, params = augment(image, config, 11, 4, variant)
    h.update(out.tobytes()); h.update(repr(params).encode())
print(h.hexdigest())
"""


def test_bytes_identical_across_processes_with_different_hash_seeds():
    image = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    local = hashlib.sha256()
    for variant in range(5):
        out, params = augment(image, ALL_ON, 11, 4, variant)
        local.update(out.tobytes())
        local.update(repr(params).encode())
    digests = []
    for hash_seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        proc = subprocess.run(
            [sys.executable, "-c", _SUBPROCESS, ALL_ON.to_json()],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        digests.append(proc.stdout.strip())
    assert digests == [local.hexdigest()] * 2


# The stream of (seed, index, variant) is numpy's PCG64(SeedSequence(e)), e the 128-bit keyed BLAKE2b
# of the three numbers (core.seeding's documented scheme), and the parameters are its first 12
# uniforms used in the documented order. Both are computed here by hand, without the module.


def variant_stream(seed: int, index: int, variant: int) -> np.random.Generator:
    h = hashlib.blake2b(digest_size=16, person=b"auglab-seed")
    for word in (seed, index, variant):
        h.update(int(word).to_bytes(9, "little"))
    entropy = int.from_bytes(h.digest(), "little")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


@pytest.mark.parametrize(
    "key",
    [
        (0, 0, 0),  # the smallest key
        (1234, 5, 3),  # an everyday seed
        (MAX_SEED, 2**40, 7),  # the largest seed, a large index
    ],
)
def test_variant_stream_and_parameters_are_those_of_every_version(key):
    u = variant_stream(*key).random(12)
    # ALL_ON on a 30x50 image: shifts of 0.2 x 50 = 10 px and 7 px, zoom 0.7..1.3, brightness 0.5..1.5.
    expected = {
        "theta": 30 * (2 * u[0] - 1),
        "tx": 10 * (2 * u[1] - 1),
        "ty": 7 * (2 * u[2] - 1),
        "shear": 20 * (2 * u[3] - 1),
        "zx": 0.7 + 0.6 * u[4],
        "zy": 0.7 + 0.6 * u[5],
        "flip_h": bool(u[6] < 0.5),
        "flip_v": bool(u[7] < 0.5),
        "brightness": 0.5 + u[8],
        "channel_shift": tuple(30 * (2 * u[9:12] - 1)),
    }
    image = random_image((30, 50, 3), seed=13)
    out, params = augment(image, ALL_ON, *key)
    for name, value in expected.items():
        assert getattr(params, name) == pytest.approx(value, abs=1e-12), name
    np.testing.assert_array_equal(out, apply_params(image, AffineParams(**expected), ALL_ON))


def test_results_independent_of_batch_order():
    images = [random_image((12, 15, 3), seed=s) for s in range(3)]
    keys = [(i, v) for i in range(3) for v in range(4)]
    in_order = {(i, v): augment(images[i], ALL_ON, 9, i, v)[0] for i, v in keys}
    shuffled = keys[:]
    random.Random(1).shuffle(shuffled)
    for i, v in shuffled:
        # Interleave unrelated work on the same config between the calls.
        augment(images[(i + 1) % 3], ALL_ON, 123, 99, v)
        np.testing.assert_array_equal(augment(images[i], ALL_ON, 9, i, v)[0], in_order[(i, v)])


@pytest.mark.parametrize("shape", [(10, 13), (10, 13, 1), (10, 13, 3), (10, 13, 4)])
@pytest.mark.parametrize("config", CONFIGS)
def test_inputs_not_mutated_and_read_only_accepted(shape, config):
    image = random_image(shape, seed=9)
    before = image.copy()
    frozen = image.copy()
    frozen.flags.writeable = False
    for variant in range(3):
        out, params = augment(image, config, 1, 0, variant)
        assert out.shape == image.shape and out.dtype == np.uint8
        np.testing.assert_array_equal(image, before)
        out_frozen, _ = augment(frozen, config, 1, 0, variant)
        np.testing.assert_array_equal(out_frozen, out)
        # The kernels one by one, on the read-only array.
        apply_affine(frozen, params, config.fill_mode, config.cval, config.interpolation)
        apply_photometric(frozen, params)
        np.testing.assert_array_equal(frozen, before)


@pytest.mark.parametrize(
    "view",
    [
        pytest.param(lambda a: a[:, ::2], id="strided-columns"),  # not C-contiguous
        pytest.param(lambda a: a[..., :3], id="rgb-of-rgba"),  # channel slice of RGBA
        pytest.param(lambda a: a[::-1], id="upside-down-view"),  # negative stride
    ],
)
def test_non_contiguous_views_match_their_copies(view):
    image = view(random_image((12, 16, 4), seed=10))
    out, _ = augment(image, ALL_ON, 3, 0, 0)
    expected, _ = augment(np.ascontiguousarray(image), ALL_ON, 3, 0, 0)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("key", [(0, 0, 0), (1, 7, 2), (2**40, 3, 9)])  # small, mid, a large seed
def test_sample_then_apply_equals_augment(config, key):
    image = random_image((14, 17, 3), seed=11)
    params = sample_params(config, variant_rng(*key), 14, 17)
    out, augment_params = augment(image, config, *key)
    assert params == augment_params
    np.testing.assert_array_equal(apply_params(image, params, config), out)


@pytest.mark.parametrize(
    ("width_shift", "height_shift", "max_tx", "max_ty"),
    [
        (0.2, 7, 10.0, 7.0),  # fraction of width 50 -> 10 px; 7 means 7 px
        (7, 0.5, 7.0, 15.0),  # 7 px; half of height 30 -> 15 px
        (1, 0.999, 1.0, 29.97),  # exactly 1 is already pixels; just below 1 is a fraction
    ],
)
def test_params_stay_in_bounds_over_many_seeds(width_shift, height_shift, max_tx, max_ty):
    config = replace(ALL_ON, width_shift_range=width_shift, height_shift_range=height_shift)
    draws = [sample_params(config, variant_rng(seed, 0, 0), 30, 50) for seed in range(500)]
    theta = np.array([p.theta for p in draws])
    tx = np.array([p.tx for p in draws])
    ty = np.array([p.ty for p in draws])
    shear = np.array([p.shear for p in draws])
    zoom = np.array([(p.zx, p.zy) for p in draws])
    brightness = np.array([p.brightness for p in draws])
    shifts = np.array([p.channel_shift for p in draws])
    assert np.abs(theta).max() <= 30 and np.abs(theta).max() > 27  # bounded, and the range is used
    assert np.abs(tx).max() <= max_tx + 1e-9 and np.abs(tx).max() > 0.9 * max_tx
    assert np.abs(ty).max() <= max_ty + 1e-9 and np.abs(ty).max() > 0.9 * max_ty
    assert np.abs(shear).max() <= 20
    assert zoom.min() >= 0.7 and zoom.max() <= 1.3
    assert not np.array_equal(zoom[:, 0], zoom[:, 1])  # x and y zoom drawn independently
    assert brightness.min() >= 0.5 and brightness.max() <= 1.5
    assert np.abs(shifts).max() <= 30
    assert (theta < 0).any() and (theta > 0).any() and (tx < 0).any() and (tx > 0).any()
    # Binomial(500, 1/2) has sd ~11; 150..350 is more than 9 sd from 250, so this never flakes.
    assert 150 <= sum(p.flip_h for p in draws) <= 350
    assert 150 <= sum(p.flip_v for p in draws) <= 350
    # The two flips are independent draws: they disagree about half the time.
    assert 150 <= sum(p.flip_h != p.flip_v for p in draws) <= 350


@pytest.mark.parametrize(
    ("change", "moved"),
    [
        ({"rotation_range": 5}, {"theta"}),  # rotation only rescales theta
        ({"width_shift_range": 0.05}, {"tx"}),  # width shift only tx
        ({"height_shift_range": 2}, {"ty"}),  # height shift only ty
        ({"shear_range": 3}, {"shear"}),  # shear only shear
        ({"zoom_range": (0.95, 1.0)}, {"zx", "zy"}),  # zoom both scales
        ({"horizontal_flip": False}, {"flip_h"}),  # turning a flip off touches nothing else
        ({"brightness_range": (0.9, 1.0)}, {"brightness"}),  # brightness only
        ({"channel_shift_range": 1}, {"channel_shift"}),  # channel shifts only
        ({"fill_mode": "wrap", "cval": 0}, set()),  # applying settings sample nothing
        ({"rotation_range": 0}, {"theta"}),  # switching a step off still draws its uniform
        ({"zoom_range": (1, 1), "shear_range": 0}, {"zx", "zy", "shear"}),  # two steps off
        ({"horizontal_flip": False, "vertical_flip": False}, {"flip_h", "flip_v"}),  # both flips off
    ],
)
def test_changing_one_range_leaves_other_draws_unchanged(change, moved):
    changed = replace(ALL_ON, **change)
    for variant in range(40):
        before = sample_params(ALL_ON, variant_rng(2, 1, variant), 30, 50).to_dict()
        after = sample_params(changed, variant_rng(2, 1, variant), 30, 50).to_dict()
        for name in before:
            if name not in moved:
                assert before[name] == after[name], (variant, name)


@pytest.mark.parametrize(
    ("key_a", "key_b"),
    [
        ((0, 1, 2), (0, 2, 1)),  # index and variant swapped
        ((1, 0, 2), (0, 1, 2)),  # seed and index swapped
        ((3, 0, 0), (0, 0, 3)),  # seed and variant swapped
        ((5, 5, 0), (5, 5, 1)),  # neighbouring variants
    ],
)
def test_variant_key_order_matters(key_a, key_b):
    image = random_image((12, 15, 3), seed=12)
    a, pa = augment(image, ALL_ON, *key_a)
    b, pb = augment(image, ALL_ON, *key_b)
    assert pa != pb and not np.array_equal(a, b)


@pytest.mark.parametrize(
    ("name", "wide", "narrow", "param", "ratio"),
    [
        ("rotation_range", 40, 10, "theta", 4),  # a quarter of the range, a quarter of the angle
        ("shear_range", 30, 10, "shear", 3),  # a third of the shear
        ("width_shift_range", 0.4, 0.1, "tx", 4),  # fractions of the width
        ("height_shift_range", 9, 3, "ty", 3),  # pixels
    ],
)
def test_a_symmetric_range_rescales_the_same_draw(name, wide, narrow, param, ratio):
    for variant in range(20):
        a = getattr(sample_params(replace(ALL_ON, **{name: wide}), variant_rng(0, 0, variant), 10, 10), param)
        b = getattr(
            sample_params(replace(ALL_ON, **{name: narrow}), variant_rng(0, 0, variant), 10, 10), param
        )
        assert a == pytest.approx(ratio * b)


# --------------------------------------------------------------------------------------------------
# ImageAugConfig


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(ImageAugConfig(), id="defaults"),
        pytest.param(ALL_ON, id="all-on"),
        pytest.param(ImageAugConfig(zoom_range=0.2, brightness_range=None), id="shorthands"),
        pytest.param(ImageAugConfig(fill_mode="constant", cval=255, interpolation="nearest"), id="constant"),
        *[pytest.param(c, id=name) for name, c in PRESETS.items()],
    ],
)
def test_json_round_trip(config):
    text = config.to_json()
    data = json.loads(text)
    assert next(iter(data)) == "format" and data["format"] == CONFIG_FORMAT
    assert ImageAugConfig.from_json(text) == config
    assert ImageAugConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    ("given", "plain"),
    [
        ({"rotation_range": np.float32(12.5)}, {"rotation_range": 12.5}),  # a float32 slider value
        ({"width_shift_range": np.int64(8), "cval": np.uint8(255)}, {"width_shift_range": 8, "cval": 255}),
        ({"zoom_range": np.float32(0.25)}, {"zoom_range": 0.25}),  # the one-number shorthand
        ({"zoom_range": (np.float32(0.5), np.int32(2))}, {"zoom_range": (0.5, 2.0)}),  # a pair of scalars
    ],
)
def test_numpy_scalars_are_numbers(given, plain):
    # Values from numpy (sliders, dataframes) are numbers like any other and are stored as plain
    # floats, so the configuration still writes JSON. (Before core.config's checks, numpy scalars other
    # than float64 were refused with "must be a number".)
    config = ImageAugConfig(**given)
    assert config == ImageAugConfig(**plain)
    assert ImageAugConfig.from_json(config.to_json()) == config


@pytest.mark.parametrize(
    ("kwargs", "zoom", "brightness"),
    [
        ({"zoom_range": 0.2}, (0.8, 1.2), (1.0, 1.0)),  # one number z means (1 - z, 1 + z)
        ({"zoom_range": 0}, (1.0, 1.0), (1.0, 1.0)),  # zoom 0 is Keras' "off"
        ({"brightness_range": None}, (1.0, 1.0), (1.0, 1.0)),  # None means off
        ({"zoom_range": [0.5, 2], "brightness_range": [0, 2]}, (0.5, 2.0), (0.0, 2.0)),  # lists become tuples
    ],
)
def test_range_shorthands(kwargs, zoom, brightness):
    config = ImageAugConfig(**kwargs)
    assert config.zoom_range == pytest.approx(zoom) and isinstance(config.zoom_range, tuple)
    assert config.brightness_range == brightness and isinstance(config.brightness_range, tuple)


@pytest.mark.parametrize(
    ("kwargs", "field_name"),
    [
        ({"rotation_range": -1}, "rotation_range"),  # negative
        ({"rotation_range": 200}, "rotation_range"),  # above 180
        ({"rotation_range": float("nan")}, "rotation_range"),  # NaN
        ({"rotation_range": True}, "rotation_range"),  # a bool is not a number
        ({"width_shift_range": -0.1}, "width_shift_range"),  # negative shift
        ({"shear_range": 85}, "shear_range"),  # near-vertical shear
        ({"fill_mode": "mirror"}, "fill_mode"),  # unknown fill mode
        ({"interpolation": "cubic"}, "interpolation"),  # unknown interpolation
        ({"zoom_range": (1.2, 0.8)}, "zoom_range"),  # low above high
        ({"zoom_range": (0, 1)}, "zoom_range"),  # zoom factor 0
        ({"zoom_range": 1.0}, "zoom_range"),  # shorthand 1 means (0, 2)
        ({"zoom_range": (float("nan"), 1)}, "zoom_range"),  # NaN in a pair
        ({"zoom_range": "big"}, "zoom_range"),  # not a pair
        ({"brightness_range": (-0.5, 1)}, "brightness_range"),  # negative brightness
        ({"brightness_range": (1, float("inf"))}, "brightness_range"),  # infinite
        ({"horizontal_flip": "yes"}, "horizontal_flip"),  # not a bool
        ({"vertical_flip": 1}, "vertical_flip"),  # an int is not a bool
        ({"cval": 256}, "cval"),  # above 255
        ({"channel_shift_range": float("nan")}, "channel_shift_range"),  # NaN
    ],
)
def test_bad_configs_raise_config_error_naming_field(kwargs, field_name):
    with pytest.raises(ConfigError, match=field_name):
        ImageAugConfig(**kwargs)
    # The same values arriving as JSON (where JSON can express them) fail the same way.
    try:
        text = json.dumps(kwargs)
    except (TypeError, ValueError):
        return
    with pytest.raises(ConfigError, match=field_name):
        ImageAugConfig.from_json(text)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rotation_range": 200}, "rotation_range (degrees) must be a number in [0, 180], got 200."),
        (
            {"width_shift_range": -1},  # the unit says how the number is read
            "width_shift_range (a fraction below 1, pixels from 1 up) must be a number in [0, 10000], "
            "got -1.",
        ),
        ({"cval": 300}, "cval (a pixel value) must be a number in [0, 255], got 300."),
        ({"vertical_flip": "no"}, "vertical_flip must be true or false, got 'no'."),
        (
            {"fill_mode": "edge"},
            "fill_mode must be one of 'constant', 'nearest', 'reflect', 'wrap', got 'edge'.",
        ),
        ({"zoom_range": [1, 2, 3]}, "zoom_range must be a pair of numbers [low, high], got [1, 2, 3]."),
        (
            {"zoom_range": (2, 1)},
            "zoom_range (zoom factors) must satisfy 0.1 <= low <= high <= 5, got (2.0, 1.0).",
        ),
    ],
)
def test_messages_name_the_setting_its_unit_and_the_value(kwargs, message):
    with pytest.raises(ConfigError) as caught:
        ImageAugConfig(**kwargs)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('{"rotation_range": 10, "colour": 3}', "colour"),  # unknown key named
        ('{"format": "auglab.text_aug/1"}', "auglab.text_aug/1"),  # another format tag
        ('{"rotation_range": 10', "not valid JSON"),  # truncated JSON
        ("rotation_range = 10", "not valid JSON"),  # not JSON at all
        ("[1, 2, 3]", "JSON object"),  # a list, not an object
        ('"nearest"', "JSON object"),  # a bare string
        ('{"rotation_range": NaN}', "rotation_range"),  # Python's json accepts NaN; the check must not
        ('{"rotation_range": "10"}', "rotation_range"),  # a number as a string
        ('{"zoom_range": [1, 2, 3]}', "zoom_range"),  # three numbers
    ],
)
def test_bad_json_raises_config_error(text, match):
    with pytest.raises(ConfigError, match=match):
        ImageAugConfig.from_json(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"rotation_range": 1' + "0" * 400 + "}",  # a 401-digit integer
        '{"zoom_range": [1, 1' + "0" * 400 + "]}",  # inside a pair
    ],
)
def test_huge_integer_in_json_raises_config_error(text):
    with pytest.raises(ConfigError):
        ImageAugConfig.from_json(text)


@pytest.mark.parametrize(
    "key",
    [
        (-1, 0, 0),  # negative seed
        (0, -1, 0),  # negative index
        (0, 0, -3),  # negative variant
        (True, 0, 0),  # bool seed
        (1.0, 0, 0),  # float seed, even a whole one
        (0, 0.5, 0),  # float index
        ("1", 0, 0),  # string seed
        (MAX_SEED + 1, 0, 0),  # above the documented maximum
    ],
)
def test_variant_rng_rejects_bad_numbers(key):
    with pytest.raises(ConfigError):
        variant_rng(*key)


@pytest.mark.parametrize(
    "key",
    [
        (0, 0, 0),  # smallest
        (MAX_SEED, 5, 5),  # largest seed
        (np.int64(3), np.int32(1), np.uint8(2)),  # numpy integers are whole numbers too
    ],
)
def test_variant_rng_accepts_whole_numbers(key):
    expected = variant_stream(*key)
    np.testing.assert_array_equal(variant_rng(*key).random(4), expected.random(4))


@pytest.mark.parametrize(
    "image",
    [
        pytest.param(np.zeros((5, 5), np.float32), id="float32"),
        pytest.param(np.zeros((5, 5), np.uint16), id="uint16"),
        pytest.param(np.zeros((2, 5, 5, 3), np.uint8), id="4-D batch"),
        pytest.param(np.zeros((5, 5, 2), np.uint8), id="two channels"),
        pytest.param(np.zeros(5, np.uint8), id="1-D"),
        pytest.param(np.zeros((0, 5), np.uint8), id="empty"),
        pytest.param([[0, 1], [2, 3]], id="list"),
    ],
)
def test_kernels_reject_bad_images(image):
    with pytest.raises(ConfigError):
        apply_affine(image, AffineParams(theta=10))
    with pytest.raises(ConfigError):
        apply_photometric(image, AffineParams(brightness=1.1))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"fill_mode": "mirror"}, "fill_mode"),  # not a fill mode
        ({"interpolation": "bicubic"}, "interpolation"),  # not offered
    ],
)
def test_apply_affine_rejects_bad_settings(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        apply_affine(np.zeros((4, 4), np.uint8), AffineParams(theta=10), **kwargs)


# --------------------------------------------------------------------------------------------------
# affine_steps


STEP_PARAMS = [
    pytest.param(AffineParams(), id="identity"),
    pytest.param(AffineParams(theta=90), id="rotate"),
    pytest.param(
        AffineParams(theta=-23.5, tx=3.25, ty=-1.5, shear=12, zx=1.3, zy=0.7, flip_h=True, flip_v=True),
        id="everything",
    ),
    pytest.param(AffineParams(theta=170, shear=-40, zx=0.5, zy=2.0, flip_v=True), id="mixed"),
]


@pytest.mark.parametrize("params", STEP_PARAMS)
@pytest.mark.parametrize(("height", "width"), [(10, 10), (7, 12)])  # square and non-square
def test_steps_multiply_to_affine_matrix(params, height, width):
    steps = affine_steps(params, height, width)
    assert [s.name for s in steps] == ["centre", "flip", "zoom", "shear", "rotate", "shift"]
    product = np.eye(3)
    for step in steps:
        product = step.matrix @ product  # last step multiplies on the left
    np.testing.assert_allclose(product, affine_matrix(params, height, width), atol=1e-12)


def moves(step, x: float, y: float) -> tuple[float, float]:
    out = step.matrix @ np.array([x, y, 1.0])
    assert out[2] == 1.0
    return float(out[0]), float(out[1])


@pytest.mark.parametrize(
    ("params", "name", "point", "expected", "words"),
    [
        (AffineParams(), "centre", (5.5, 3.0), (0.0, 0.0), "(5.5, 3)"),  # 7x12: centre to origin
        (AffineParams(flip_h=True), "flip", (2.0, 3.0), (-2.0, 3.0), "left-right"),  # mirror x
        (AffineParams(flip_v=True), "flip", (2.0, 3.0), (2.0, -3.0), "top-bottom"),  # mirror y
        (AffineParams(), "flip", (2.0, 3.0), (2.0, 3.0), "No flip"),  # none
        (AffineParams(zx=2, zy=0.5), "zoom", (2.0, 4.0), (4.0, 2.0), "2.000"),  # scale each axis
        (AffineParams(shear=45), "shear", (0.0, 3.0), (3.0, 3.0), "x += tan"),  # x += tan(45) * y
        (AffineParams(theta=90), "rotate", (1.0, 0.0), (0.0, -1.0), "counter-clockwise"),  # right -> up
        (AffineParams(theta=-90), "rotate", (1.0, 0.0), (0.0, 1.0), "clockwise"),  # right -> down
        (AffineParams(tx=2, ty=-1), "shift", (0.0, 0.0), (7.5, 2.0), "+2.00 px right"),  # back + shift
    ],
)
def test_each_step_moves_a_point_as_described(params, name, point, expected, words):
    step = {s.name: s for s in affine_steps(params, 7, 12)}[name]
    assert moves(step, *point) == pytest.approx(expected, abs=1e-12)
    assert words in step.meaning


@pytest.mark.parametrize(
    ("theta", "words", "not_words"),
    [
        (-10, "Rotate 10.00 degrees clockwise", "counter"),  # negative: clockwise, magnitude shown
        (10, "Rotate 10.00 degrees counter-clockwise", None),  # positive: counter-clockwise
    ],
)
def test_rotation_step_words(theta, words, not_words):
    meaning = {s.name: s for s in affine_steps(AffineParams(theta=theta), 5, 5)}["rotate"].meaning
    assert words in meaning
    assert not_words is None or not_words not in meaning


@pytest.mark.parametrize(("height", "width"), [(5, 5), (4, 9)])  # odd square, even non-square
def test_identity_params_give_the_identity_matrix(height, width):
    np.testing.assert_allclose(affine_matrix(AffineParams(), height, width), np.eye(3), atol=1e-12)


@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_every_listed_setting_is_accepted(fill_mode, interpolation):
    # The lists the Images page offers are exactly what the config and the kernel accept.
    config = ImageAugConfig(fill_mode=fill_mode, interpolation=interpolation)
    out = apply_params(random_image((6, 6, 3)), AffineParams(theta=90), config)
    np.testing.assert_array_equal(out, np.rot90(random_image((6, 6, 3))))  # a quarter turn is exact
