"""Write image_aug_v1_golden.npz: outputs of AugLab 0.2's core/augment/image.py (before the image package).

Run once from the repository root, with the module as it was at that commit::

    git show 34af8fd:core/augment/image.py > /tmp/image_v1.py
    PYTHONPATH=. .venv/bin/python tests/augment/data/make_image_golden.py /tmp/image_v1.py

For every configuration of CONFIGS (each preset of the time, every step on, and a few single steps), every
image of IMAGES and every key of KEYS, it stores the augmented array and ``repr`` of its parameters.
tests/augment/test_image_compat.py checks that today's package gives the same bytes.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CONFIGS = {
    "all_on": {
        "rotation_range": 30, "width_shift_range": 0.2, "height_shift_range": 7, "shear_range": 20,
        "zoom_range": [0.7, 1.3], "horizontal_flip": True, "vertical_flip": True, "fill_mode": "reflect",
        "cval": 10, "brightness_range": [0.5, 1.5], "channel_shift_range": 30, "interpolation": "bilinear",
    },
    "zoom_only": {"zoom_range": [0.6, 1.4], "fill_mode": "constant", "cval": 77},
    "flips_nearest": {"horizontal_flip": True, "vertical_flip": True, "interpolation": "nearest"},
    "photometric": {"brightness_range": [0.3, 1.8], "channel_shift_range": 60},
    "wrap_shift": {"width_shift_range": 5, "height_shift_range": 0.3, "fill_mode": "wrap"},
}  # fmt: skip
KEYS = [(0, 0, 0), (7, 3, 1), (123, 45, 6), (2**40, 9, 2)]


def images() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20240601)
    yy, xx = np.mgrid[0:24, 0:32]
    gradient = np.stack([xx * 8, yy * 10, (xx + yy) * 4], axis=-1).clip(0, 255).astype(np.uint8)
    return {
        "rgb_noise": rng.integers(0, 256, (10, 16, 3), dtype=np.uint8),
        "rgb_gradient": gradient,
        "gray": rng.integers(0, 256, (9, 7), dtype=np.uint8),
        "gray1": rng.integers(0, 256, (5, 9, 1), dtype=np.uint8),
        "rgba": rng.integers(0, 256, (8, 9, 4), dtype=np.uint8),
        "one_pixel": rng.integers(0, 256, (1, 1, 3), dtype=np.uint8),
        "wide": rng.integers(0, 256, (2, 61, 3), dtype=np.uint8),
    }


def main(module_path: str) -> None:
    spec = importlib.util.spec_from_file_location("image_v1", module_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["image_v1"] = module
    spec.loader.exec_module(module)
    configs = {name: module.ImageAugConfig.from_dict(c) for name, c in CONFIGS.items()}
    configs.update({f"preset:{name}": c for name, c in module.PRESETS.items()})
    arrays: dict[str, np.ndarray] = {}
    params: dict[str, str] = {}
    for cname, config in configs.items():
        for iname, image in images().items():
            for key in KEYS:
                out, p = module.augment(image, config, *key)
                name = f"{cname}|{iname}|{key[0]}-{key[1]}-{key[2]}"
                arrays[name] = out
                params[name] = json.dumps(p.to_dict(), sort_keys=True)
    arrays["__configs__"] = np.array(json.dumps({k: v.to_dict() for k, v in configs.items()}))
    arrays["__params__"] = np.array(json.dumps(params, sort_keys=True))
    np.savez_compressed(HERE / "image_aug_v1_golden.npz", **arrays)


if __name__ == "__main__":
    main(sys.argv[1])
