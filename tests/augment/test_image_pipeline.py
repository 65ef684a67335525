"""The image pipeline beyond Keras' settings: the configuration's format, the random draws, the order of
the steps, the picture strip, the policies' tables and the command line.

Expected values are worked out here from the documented rules (torchvision's magnitude tables are
read from torchvision itself), never from the code under test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.transforms import v2

from core.augment.image import (
    CONFIG_FORMAT,
    PRESETS,
    ImageAugConfig,
    ImageParams,
    apply_params,
    apply_steps,
    augment,
    sample_params,
    variant_rng,
)
from core.augment.image.policy import OPERATIONS, magnitudes, policy_matrix
from core.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]

# Every step added after Keras' settings switched on, with Keras' own on as well.
EVERYTHING = ImageAugConfig(
    rotation_range=20,
    width_shift_range=0.1,
    shear_range=5,
    zoom_range=(0.9, 1.2),
    horizontal_flip=True,
    horizontal_flip_p=0.3,
    fill_mode="reflect",
    brightness_range=(0.8, 1.2),
    channel_shift_range=10,
    crop="random_resized",
    crop_scale=(0.3, 1.0),
    resize_height=40,
    resize_width=48,
    contrast_range=(0.7, 1.3),
    saturation_range=(0.6, 1.4),
    hue_range=(-0.1, 0.1),
    gamma_p=0.5,
    grayscale_p=0.2,
    autocontrast_p=0.3,
    equalize_p=0.3,
    posterize_p=0.3,
    solarize_p=0.3,
    sharpness_p=0.5,
    blur_p=0.5,
    noise_p=0.5,
    jpeg_p=0.5,
    erase_p=0.7,
    erase_count=(1, 4),
    erase_fill="noise",
    policy="randaugment",
    policy_ops=3,
)


def photo(shape=(60, 80, 3), seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


# --------------------------------------------------------------------------------------------------
# The configuration


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(EVERYTHING, id="everything"),
        *[pytest.param(c, id=name) for name, c in PRESETS.items()],
    ],
)
def test_version_2_round_trip(config):
    data = json.loads(config.to_json())
    assert data["format"] == CONFIG_FORMAT == "auglab.image_aug/2"
    assert ImageAugConfig.from_json(config.to_json()) == config


def test_a_version_1_file_reads_as_before_with_the_new_steps_off():
    old = {"format": "auglab.image_aug/1", "rotation_range": 10, "horizontal_flip": True}
    config = ImageAugConfig.from_dict(old)
    assert config == ImageAugConfig(rotation_range=10, horizontal_flip=True)
    assert config.horizontal_flip_p == 0.5 and not config.on["any"]  # flips keep p = 1/2, nothing added


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"crop": "square"}, "crop"),  # not a crop
        ({"crop_height": 0}, "crop_height"),  # an empty crop
        ({"crop_scale": (0.5, 0.2)}, "crop_scale"),  # low above high
        ({"crop_ratio": (0.0, 1.0)}, "crop_ratio"),  # ratio 0
        ({"resize_height": -1}, "resize_height"),  # negative size
        ({"resize_width": 10.5}, "resize_width"),  # not whole
        ({"hue_range": (-0.6, 0.0)}, "hue_range"),  # beyond half a turn
        ({"contrast_range": (-1.0, 1.0)}, "contrast_range"),  # negative factor
        ({"gamma_p": 1.5}, "gamma_p"),  # not a probability
        ({"posterize_bits": 0}, "posterize_bits"),  # no bits left
        ({"blur_sigma": (0.0, 1.0)}, "blur_sigma"),  # sigma 0
        ({"jpeg_quality": (0, 50)}, "jpeg_quality"),  # quality 0
        ({"jpeg_quality": (50.5, 60)}, "jpeg_quality"),  # not whole
        ({"erase_count": (0, 2)}, "erase_count"),  # no box
        ({"erase_count": (1, 17)}, "erase_count"),  # more than 16 boxes
        ({"erase_fill": "blur"}, "erase_fill"),  # not a fill
        ({"policy": "autoaugment"}, "policy"),  # not offered
        ({"policy_magnitude": 31}, "policy_magnitude"),  # beyond the 31 bins
        ({"colour_order": "sorted"}, "colour_order"),  # not an order
        ({"noise_per_channel": 1}, "noise_per_channel"),  # not a bool
    ],
)
def test_bad_added_settings_are_refused_by_name(kwargs, name):
    with pytest.raises(ConfigError, match=name):
        ImageAugConfig(**kwargs)


# --------------------------------------------------------------------------------------------------
# Random draws


@pytest.mark.parametrize("key", [(0, 0, 0), (5, 3, 9), (2**40, 7, 1)])  # small, mid, a large seed
def test_sample_then_apply_equals_augment_with_everything_on(key):
    image = photo()
    params = sample_params(EVERYTHING, variant_rng(*key), 60, 80)
    out, augment_params = augment(image, EVERYTHING, *key)
    assert params == augment_params
    np.testing.assert_array_equal(apply_params(image, params, EVERYTHING), out)
    assert out.shape == (40, 48, 3)


def test_keras_draws_are_unchanged_by_the_added_steps():
    # The first 12 uniforms of the stream are Keras' whatever else is on.
    keras = replace(EVERYTHING, crop="none", resize_height=0, resize_width=0)
    plain = ImageAugConfig(**{f: getattr(keras, f) for f in (
        "rotation_range", "width_shift_range", "shear_range", "zoom_range", "horizontal_flip",
        "horizontal_flip_p", "fill_mode", "brightness_range", "channel_shift_range")})  # fmt: skip
    for variant in range(20):
        a = sample_params(keras, variant_rng(1, 2, variant), 30, 40)
        b = sample_params(plain, variant_rng(1, 2, variant), 30, 40)
        for name in ("theta", "tx", "ty", "shear", "zx", "zy", "flip_h", "brightness", "channel_shift"):
            assert getattr(a, name) == getattr(b, name), name


@pytest.mark.parametrize(
    ("change", "moved"),
    [
        ({"contrast_range": (0.9, 1.0)}, {"contrast"}),  # one factor rescales, nothing else moves
        ({"hue_range": (0.0, 0.05)}, {"hue"}),  # likewise for hue
        ({"blur_sigma": (1.0, 1.5)}, {"blur_sigma"}),  # the blur's sigma only
        ({"erase_value": 99}, set()),  # an applying setting draws nothing
        ({"policy_magnitude": 20}, {"policy"}),  # the policy's magnitudes only
        ({"noise_per_channel": False}, set()),  # applying only
    ],
)
def test_changing_one_setting_leaves_every_other_draw(change, moved):
    changed = replace(EVERYTHING, **change)
    for variant in range(30):
        a = sample_params(EVERYTHING, variant_rng(3, 1, variant), 60, 80).to_dict()
        b = sample_params(changed, variant_rng(3, 1, variant), 60, 80).to_dict()
        for name in set(a) | set(b):
            if name not in moved:
                assert a.get(name) == b.get(name), (variant, name)


def test_chances_are_honoured_over_many_variants():
    config = ImageAugConfig(grayscale_p=0.25, blur_p=0.75, horizontal_flip=True, horizontal_flip_p=0.1)
    draws = [sample_params(config, variant_rng(9, 0, v), 20, 20) for v in range(800)]
    # Binomial(800, p): 5 standard deviations either side never flake.
    for share, p in (
        (sum(d.grayscale for d in draws), 0.25),
        (sum(d.blur_sigma > 0 for d in draws), 0.75),
        (sum(d.flip_h for d in draws), 0.1),
    ):
        sd = (800 * p * (1 - p)) ** 0.5
        assert abs(share - 800 * p) < 5 * sd


def test_random_colour_order_visits_every_order_and_fixed_keeps_one():
    config = ImageAugConfig(contrast_range=(0.5, 1.5), hue_range=(-0.1, 0.1))
    orders = {sample_params(config, variant_rng(0, 0, v), 8, 8).colour_order for v in range(400)}
    assert len(orders) == 24  # 4! permutations of brightness, contrast, saturation, hue
    fixed = replace(config, colour_order="fixed")
    assert {sample_params(fixed, variant_rng(0, 0, v), 8, 8).colour_order for v in range(20)} == {
        ("brightness", "contrast", "saturation", "hue")
    }


def test_params_list_only_the_steps_that_ran():
    params = ImageParams(theta=3.0, blur_sigma=1.23456)
    assert params.to_dict() == {
        "theta": 3.0, "tx": 0.0, "ty": 0.0, "shear": 0.0, "zx": 1.0, "zy": 1.0, "flip_h": False,
        "flip_v": False, "brightness": 1.0, "channel_shift": [0.0, 0.0, 0.0], "blur_sigma": 1.2346,
    }  # fmt: skip


# --------------------------------------------------------------------------------------------------
# Policies


@pytest.mark.parametrize("policy", ["randaugment", "trivialaugment"])
def test_policy_tables_are_torchvisions(policy):
    space = (v2.RandAugment if policy == "randaugment" else v2.TrivialAugmentWide)._AUGMENTATION_SPACE
    assert set(OPERATIONS) == set(space)
    for op, (make, _signed) in space.items():
        expected = make(31, 50, 80)
        ours = magnitudes(op, policy, 50, 80)
        if expected is None:
            assert ours is None, op
        else:
            np.testing.assert_allclose(ours, expected.to(torch.float64).numpy(), atol=1e-5, err_msg=op)


def test_randaugment_draws_n_operations_at_magnitude_m():
    config = ImageAugConfig(policy="randaugment", policy_ops=3, policy_magnitude=12)
    ops = set()
    for v in range(300):
        drawn = sample_params(config, variant_rng(4, 0, v), 40, 60).policy
        assert len(drawn) == 3
        for op, m in drawn:
            ops.add(op)
            table = magnitudes(op, "randaugment", 40, 60)
            expected = 0.0 if table is None else table[12]
            if op in ("TranslateX", "TranslateY"):
                expected = float(int(expected))
            assert abs(m) == pytest.approx(expected), op
    assert ops == set(OPERATIONS)


def test_policy_geometry_rotates_about_the_centre():
    matrix = policy_matrix((("Rotate", 90.0),), 5, 7)
    centre = np.array([3.0, 2.0, 1.0])
    np.testing.assert_allclose(matrix @ centre, centre)  # the centre stays
    # Quarter turn counter-clockwise on screen: a point right of the centre goes above it.
    np.testing.assert_allclose(matrix @ np.array([4.0, 2.0, 1.0]), [3.0, 1.0, 1.0], atol=1e-12)


# --------------------------------------------------------------------------------------------------
# The picture strip


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(EVERYTHING, id="everything"),
        pytest.param(PRESETS["Crop + colour jitter + cutout (photos)"], id="crop-jitter-cutout"),
        pytest.param(PRESETS["Mild, photos"], id="keras-only"),
    ],
)
@pytest.mark.parametrize("shape", [(30, 40, 3), (30, 40), (30, 40, 4)])
def test_the_strip_ends_with_the_variant(config, shape):
    image = photo(shape, seed=2)
    for variant in range(6):
        params = sample_params(config, variant_rng(1, 0, variant), *shape[:2])
        steps = apply_steps(image, params, config)
        assert steps[0][0] == "original" and steps[0][2] is image
        np.testing.assert_array_equal(steps[-1][2], apply_params(image, params, config))


def test_the_strip_names_the_steps_of_crop_jitter_and_cutout():
    config = replace(PRESETS["Crop + colour jitter + cutout (photos)"], erase_p=1.0, horizontal_flip_p=1.0)
    params = sample_params(config, variant_rng(0, 0, 0), 300, 400)
    names = [name for name, _, _ in apply_steps(photo((300, 400, 3)), params, config)]
    assert names == ["original", "crop & size", "affine", "colour", "erasing"]


# --------------------------------------------------------------------------------------------------
# The command line


def test_cli_augment_applies_a_version_2_configuration(tmp_path):
    image = photo((48, 64, 3), seed=7)
    Image.fromarray(image).save(tmp_path / "in.png")
    config = PRESETS["Crop + colour jitter + cutout (photos)"]
    (tmp_path / "config.json").write_text(config.to_json())
    out = tmp_path / "out"
    command = [sys.executable, "-m", "core", "augment", str(tmp_path / "in.png")]
    command += ["--config", str(tmp_path / "config.json"), "--seed", "3", "--variants", "2"]
    command += ["--out", str(out)]
    subprocess.run(command, cwd=REPO, check=True, capture_output=True, timeout=120)
    records = [json.loads(line) for line in (out / "params.jsonl").read_text().splitlines()]
    for variant, record in enumerate(records):
        expected, params = augment(image, config, 3, 0, variant)
        written = np.asarray(Image.open(out / record["file"]))
        np.testing.assert_array_equal(written, expected)
        assert record["params"] == json.loads(json.dumps(params.to_dict()))
        assert written.shape == (224, 224, 3)
