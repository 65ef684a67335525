"""Erasing (random erasing / cutout): boxes drawn by torchvision's ``RandomErasing`` rule, filled.

Each box is drawn as torchvision draws its one box: up to 10 attempts of an area ``~ U[scale] x H x W``
and a height / width ratio ``r`` log-uniform in ``ratio``, giving ``h = round(sqrt(area r))`` and
``w = round(sqrt(area / r))``; the first attempt with ``h < H`` and ``w < W`` is placed at a whole
position uniform over the places it fits; when all 10 fail, that box is skipped (torchvision then
erases nothing). Boxes may overlap. The fill is a constant on the colour channels, or uniform random
values (0..255, from ``erase_seed``); an alpha channel is left as it is.
"""

from __future__ import annotations

import math

import numpy as np

from core.augment.image.config import ImageAugConfig, ratio_bounds
from core.seeding import numpy_rng

ATTEMPTS = 10
DRAWS_PER_BOX = 2 * ATTEMPTS + 2  # (area, ratio) per attempt, then the position


def sample_box(
    u: list[float], height: int, width: int, scale: tuple[float, float], ratio: tuple[float, float]
) -> tuple[int, int, int, int] | None:
    """One box ``(x, y, w, h)`` from ``DRAWS_PER_BOX`` uniforms, or None when no attempt fits."""
    area = height * width
    log_lo, log_hi = ratio_bounds(ratio)
    for attempt in range(ATTEMPTS):
        erase_area = area * (scale[0] + (scale[1] - scale[0]) * u[2 * attempt])
        aspect = math.exp(log_lo + (log_hi - log_lo) * u[2 * attempt + 1])
        h = round(math.sqrt(erase_area * aspect))
        w = round(math.sqrt(erase_area / aspect))
        if not (h < height and w < width):
            continue
        if h < 1 or w < 1:
            return None  # torchvision erases an empty box: nothing
        y = int(u[-2] * (height - h + 1))
        x = int(u[-1] * (width - w + 1))
        return x, y, w, h
    return None


def sample_boxes(
    config: ImageAugConfig, u: list[float], count: int, height: int, width: int
) -> tuple[tuple[int, int, int, int], ...]:
    """``count`` boxes (those that fit) from ``count * DRAWS_PER_BOX`` uniforms."""
    boxes = []
    for k in range(count):
        draws = u[k * DRAWS_PER_BOX : (k + 1) * DRAWS_PER_BOX]
        box = sample_box(draws, height, width, config.erase_scale, config.erase_ratio)
        if box is not None:
            boxes.append(box)
    return tuple(boxes)


def erase(
    image: np.ndarray,
    boxes: tuple[tuple[int, int, int, int], ...],
    fill: str = "constant",
    value: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    """Fill each box ``(x, y, w, h)`` with ``value`` or (``fill="noise"``) uniform random values."""
    out = image.copy()
    colours = 3 if image.ndim == 3 and image.shape[2] >= 3 else 1
    rng = numpy_rng(0, "image erase fill", seed) if fill == "noise" else None
    for x, y, w, h in boxes:
        target = out[y : y + h, x : x + w]
        if image.ndim == 3:
            target = target[..., :colours]
        if rng is None:
            target[...] = round(value)
        else:
            target[...] = rng.integers(0, 256, target.shape, dtype=np.uint8)
    return out
