"""Two small labelled image sets that are not digits, built in code: what the generators are judged on.

The GAN and the VAE were tuned on scikit-learn's digits; these two sets check that they also work on a
new user's small data, different in kind from digits and from each other:

- :func:`drawn_shapes`: outlines of circles, squares and triangles drawn with OpenCV, 16x16 grayscale,
  200 per class; every shape has its own size, position, rotation and stroke width.
- :func:`texture_patches`: scikit-image's bundled brick, grass and gravel photographs (512x512 gray)
  cut into non-overlapping 32x32 patches, 256 per class, so a held-out patch shares no pixel with a
  training patch.

Both are deterministic (the shapes draw from the stream ``(seed, "small_sets", "shapes", class)`` of
:mod:`core.seeding`) and need no download. They return :class:`~core.data.images.ImageDataset`, so
they go through :func:`~core.generators.gan.training_split` like any loaded dataset. They live here,
not among the built-in samples of :mod:`core.data`, because they exist to benchmark and test the
generators (``bench/bench_gan.py``, ``tests/generators``).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from core.data.image_io import LoadedImage
from core.data.images import ImageDataset
from core.seeding import numpy_rng

SHAPES = ("circle", "square", "triangle")
TEXTURES = ("brick", "grass", "gravel")
_DRAW_SCALE = 8  # shapes are drawn this many times larger, then shrunk with area averaging (antialiased)


def _polygon(n_sides: int, centre: tuple[float, float], radius: float, angle: float) -> np.ndarray:
    """The corners of a regular polygon (pixels, float), the first one at ``angle`` radians."""
    turns = angle + 2 * math.pi * np.arange(n_sides) / n_sides
    return np.stack([centre[0] + radius * np.cos(turns), centre[1] + radius * np.sin(turns)], axis=1)


def draw_shape(shape: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """One white outline on black, ``size`` x ``size`` uint8.

    Drawn at 8x the size, then shrunk with ``cv2.INTER_AREA``. The radius (circumradius) is drawn
    uniformly in [0.25, 0.42] of the side, the centre within 0.1 of the side of the middle, the
    rotation uniformly (squares and triangles) and the stroke width in [0.06, 0.12] of the side.

    Args:
        shape: One of :data:`SHAPES`.
        size: Side in pixels.
        rng: Where every random choice comes from.
    """
    big = size * _DRAW_SCALE
    radius = rng.uniform(0.25, 0.42) * big
    cx, cy = (0.5 + rng.uniform(-0.1, 0.1, 2)) * big
    angle = rng.uniform(0, 2 * math.pi)
    stroke = max(1, round(rng.uniform(0.06, 0.12) * big))
    canvas = np.zeros((big, big), np.uint8)
    shift = 4  # OpenCV's fixed-point bits: sub-pixel positions
    if shape == "circle":
        centre = (round(cx * 2**shift), round(cy * 2**shift))
        cv2.circle(canvas, centre, round(radius * 2**shift), 255, stroke, cv2.LINE_AA, shift)
    else:
        corners = _polygon(4 if shape == "square" else 3, (cx, cy), radius, angle)
        points = np.round(corners * 2**shift).astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(canvas, [points], True, 255, stroke, cv2.LINE_AA, shift)
    return cv2.resize(canvas, (size, size), interpolation=cv2.INTER_AREA)


def drawn_shapes(per_class: int = 200, size: int = 16, seed: int = 0) -> ImageDataset:
    """Circles, squares and triangles (:func:`draw_shape`), ``per_class`` of each, class by class.

    Args:
        per_class: Images per class.
        size: Side in pixels.
        seed: The stream ``(seed, "small_sets", "shapes", class)`` draws each class's shapes.

    Returns:
        An :class:`ImageDataset` named ``"Drawn shapes"``, labels ``circle``, ``square``, ``triangle``.
    """
    images = []
    for shape in SHAPES:
        rng = numpy_rng(seed, "small_sets", "shapes", shape)
        for i in range(per_class):
            pixels = draw_shape(shape, size, rng)
            pixels.flags.writeable = False
            images.append(LoadedImage(name=f"shapes/{shape}/{i:04d}.png", array=pixels, label=shape))
    return ImageDataset("Drawn shapes", images)


def _texture(name: str) -> np.ndarray:
    import skimage.data

    return np.asarray(getattr(skimage.data, name)(), dtype=np.uint8)


def texture_patches(size: int = 32, per_class: int | None = None) -> ImageDataset:
    """scikit-image's brick, grass and gravel photographs cut into non-overlapping ``size`` patches.

    Each 512x512 grayscale photograph gives ``(512 // size) ** 2`` patches (256 at 32 px), read row by
    row; ``per_class`` keeps the first ones. No randomness: the same patches every time.

    Args:
        size: Patch side in pixels.
        per_class: Patches per class (None: all of them).

    Returns:
        An :class:`ImageDataset` named ``"Texture patches"``, labels ``brick``, ``grass``, ``gravel``.
    """
    images = []
    for name in TEXTURES:
        photo = _texture(name)
        rows, cols = photo.shape[0] // size, photo.shape[1] // size
        count = rows * cols if per_class is None else min(per_class, rows * cols)
        for i in range(count):
            r, c = divmod(i, cols)
            pixels = np.ascontiguousarray(photo[r * size : (r + 1) * size, c * size : (c + 1) * size])
            pixels.flags.writeable = False
            images.append(LoadedImage(name=f"textures/{name}/{i:04d}.png", array=pixels, label=name))
    return ImageDataset("Texture patches", images)
