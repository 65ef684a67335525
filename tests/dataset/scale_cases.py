"""Small inputs and recipes shared by the sharded-export tests (test_export_shards, _parquet, _engines).

The input is a zip of class folders written here with Pillow, so every worker (a spawned process, a
Ray task) reads it from its path, as on a cluster.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from core.dataset.recipe import Recipe

ROOT = Path(__file__).resolve().parents[2]
AUG = {
    "rotation_range": 15,
    "width_shift_range": 0.1,
    "zoom_range": 0.1,
    "horizontal_flip": True,
    "brightness_range": [0.8, 1.2],
}
CLASSES = ("cat", "dog", "=formula")  # a label a spreadsheet would run: neutralised in manifest.csv only


def make_input_zip(path: Path, per_class: int = 12, size: int = 16, seed: int = 0) -> Path:
    """A zip of ``per_class`` random RGB PNGs per class in folders named by :data:`CLASSES`."""
    rng = np.random.default_rng(seed)
    with zipfile.ZipFile(path, "w") as zf:
        for label in CLASSES:
            for i in range(per_class):
                buffer = io.BytesIO()
                Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(buffer, "PNG")
                zf.writestr(f"{label}/{i:03d}.png", buffer.getvalue())
    return path


def recipe_for(source: Path, **changes) -> Recipe:
    """3 variants of each train original, a 60/20/20 split."""
    settings = {
        "inputs": (str(source),),
        "augmentation": AUG,
        "seed": 5,
        "variants_per_original": 3,
        "split": (0.6, 0.2, 0.2),
        **changes,
    }
    return Recipe(**settings)


def manifest_of(data: bytes) -> list[dict[str, str]]:
    """``manifest.csv`` (bytes) as rows."""
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
