"""Configurations of AugLab's affine engine give the bytes they always gave.

tests/augment/data/image_aug_v1_golden.npz holds the outputs and parameters of core/augment/image.py as
it was before the image package (commit 34af8fd), for the presets of that time, every step on, and a few
single steps, on gray, RGB, RGBA, 1x1 and very wide images; tests/augment/data/make_image_golden.py made
it (its docstring says how). Today's package must give the same arrays and the same parameters, for
the same configurations read from their ``auglab.image_aug/1`` JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.augment.image import PRESETS, ImageAugConfig, augment

DATA = Path(__file__).resolve().parent / "data"
GOLDEN = np.load(DATA / "image_aug_v1_golden.npz")
CONFIGS = json.loads(str(GOLDEN["__configs__"]))
PARAMS = json.loads(str(GOLDEN["__params__"]))


def _images() -> dict[str, np.ndarray]:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_image_golden", DATA / "make_image_golden.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.images()


IMAGES = _images()


@pytest.mark.parametrize("config_name", sorted(CONFIGS))  # every stored configuration, presets included
def test_version_1_configurations_give_the_same_bytes_and_parameters(config_name):
    config = ImageAugConfig.from_dict(CONFIGS[config_name])  # tagged auglab.image_aug/1
    if config_name.startswith("preset:"):  # the preset of that time is still there, unchanged
        assert PRESETS[config_name.removeprefix("preset:")] == config
    keys = [name for name in PARAMS if name.startswith(config_name + "|")]
    assert keys
    for name in keys:
        _, image_name, key = name.split("|")
        seed, index, variant = (int(v) for v in key.split("-"))
        out, params = augment(IMAGES[image_name], config, seed, index, variant)
        expected = GOLDEN[name]
        assert out.dtype == expected.dtype and out.shape == expected.shape, name
        assert out.tobytes() == expected.tobytes(), name
        assert json.dumps(params.to_dict(), sort_keys=True) == PARAMS[name], name
