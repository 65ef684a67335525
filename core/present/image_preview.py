"""The Images page's pictures: variants of one image, the picture strip of one variant, and a random
batch across the dataset.

Parameters are always sampled for the image at full size, exactly as :func:`core.augment.image.augment`
samples them, so the tables beside the pictures show what an export would use. A large image is
reduced once before warping and the parameters follow it (:meth:`ImageParams.for_source_scale`): the
work then depends on the tile's size, not the photo's, and looks the same on screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from core.augment.image import (
    ImageAugConfig,
    ImageParams,
    apply_params,
    apply_steps,
    sample_params,
    variant_rng,
)
from core.present.grids import fit_tile, make_grid, to_rgb
from core.seeding import numpy_rng

BATCH_SIZE = 16  # images in a random batch
DETAIL = 4  # a source is kept at up to this many times the output's side, for crops of a small part


def _reduced(
    image: np.ndarray, params: ImageParams, tile: int, cache: dict
) -> tuple[np.ndarray, ImageParams]:
    """The image reduced for display and the parameters that draw the same variant from it."""
    height, width = image.shape[:2]
    side = max(tile, DETAIL * max(params.out_size)) if params.out_size else tile
    scale = min(1.0, side / max(height, width))
    if scale >= 1.0:
        return image, params
    key = round(scale, 6)
    if key not in cache:
        cache[key] = fit_tile(image, round(scale * max(height, width)))
    small = cache[key]
    return small, params.for_source_scale(small.shape[0] / height, small.shape[1] / width)


def variant_tiles(
    image: np.ndarray, config: ImageAugConfig, seed: int, index: int, variants: Sequence[int], tile: int = 256
) -> tuple[list[np.ndarray], list[ImageParams]]:
    """Variants ``variants`` of item ``index``, as RGB tiles of at most ``tile`` pixels a side.

    Returns:
        The tiles and the full-size parameters of each variant.
    """
    height, width = image.shape[:2]
    cache: dict = {}
    tiles, params = [], []
    for variant in variants:
        p = sample_params(config, variant_rng(seed, index, variant), height, width)
        small, shown = _reduced(image, p, tile, cache)
        tiles.append(fit_tile(to_rgb(apply_params(small, shown, config)), tile))
        params.append(p)
    return tiles, params


def label_tile(tile: np.ndarray, text: str) -> np.ndarray:
    """``text`` in the tile's top-left corner, white on a dark box (drawn into the pixels)."""
    scale = max(0.35, tile.shape[1] / 400)
    text = text.encode("ascii", "replace").decode("ascii")  # OpenCV's Hershey fonts are ASCII only
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    out = tile.copy()
    cv2.rectangle(out, (0, 0), (tw + 6, th + base + 6), (40, 40, 40), thickness=-1)
    cv2.putText(out, text, (3, th + 3), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def variant_grid(
    image: np.ndarray,
    config: ImageAugConfig,
    seed: int,
    index: int,
    count: int,
    tile: int = 192,
    cols: int = 4,
) -> tuple[np.ndarray, list[ImageParams]]:
    """Variants 0..count-1 of one image in a grid, tiles labelled ``v0``, ``v1``, ...

    Returns:
        The grid (HxWx3 uint8) and the parameters of each variant, in order.
    """
    tiles, params = variant_tiles(image, config, seed, index, range(count), tile)
    return make_grid([label_tile(t, f"v{i}") for i, t in enumerate(tiles)], cols), params


@dataclass(frozen=True)
class StripStep:
    """One picture of the strip: the step's name, what it did, and the image after it."""

    name: str
    meaning: str
    tile: np.ndarray


def picture_strip(
    image: np.ndarray, config: ImageAugConfig, seed: int, index: int, variant: int, tile: int = 192
) -> tuple[list[StripStep], ImageParams]:
    """The image after each step of the pipeline for one variant (see ``apply_steps``).

    Returns:
        The steps, from the original to the result, and the variant's full-size parameters.
    """
    height, width = image.shape[:2]
    params = sample_params(config, variant_rng(seed, index, variant), height, width)
    small, shown = _reduced(image, params, tile, {})
    steps = apply_steps(small, shown, config)
    return [StripStep(name, meaning, fit_tile(to_rgb(out), tile)) for name, meaning, out in steps], params


@dataclass(frozen=True)
class BatchItem:
    """One image of a random batch."""

    index: int  # its position in the dataset
    variant: int
    label: str | None


def batch_items(
    labels: Sequence[str | None], seed: int, batch: int, count: int = BATCH_SIZE
) -> list[BatchItem]:
    """``count`` different images spread across the classes, and the variant each shows.

    Classes take turns (sorted, unlabelled last), each giving its images in an order drawn from
    ``(seed, "image batch", batch, class)``; every image of batch ``b`` shows variant ``b``, so the
    next batch shows new images and new variants, each reproducible.
    """
    members: dict[str | None, list[int]] = {}
    for index, label in enumerate(labels):
        members.setdefault(label, []).append(index)
    order = sorted(members, key=lambda c: (c is None, c or ""))
    queues = []
    for label in order:
        pool = np.asarray(members[label])
        rng = numpy_rng(seed, "image batch", batch, "unlabelled" if label is None else f"class:{label}")
        queues.append([int(i) for i in rng.permutation(pool)])
    picked: list[BatchItem] = []
    depth = 0
    while len(picked) < count and any(depth < len(q) for q in queues):
        for label, queue in zip(order, queues, strict=True):
            if depth < len(queue) and len(picked) < count:
                picked.append(BatchItem(queue[depth], batch, label))
        depth += 1
    return picked


def random_batch(
    images: Sequence[np.ndarray],
    labels: Sequence[str | None],
    config: ImageAugConfig,
    seed: int,
    batch: int,
    count: int = BATCH_SIZE,
    tile: int = 128,
    cols: int = 8,
) -> tuple[np.ndarray, list[BatchItem], list[ImageParams]]:
    """One augmented variant each of ``count`` different images across the classes, as a training
    batch would show them (see :func:`batch_items`); tiles labelled with their class.

    Returns:
        The grid, the items in grid order, and each item's full-size parameters.
    """
    items = batch_items(labels, seed, batch, count)
    tiles, params = [], []
    for item in items:
        (shown,), (p,) = variant_tiles(images[item.index], config, seed, item.index, [item.variant], tile)
        caption = "-" if item.label is None else item.label
        tiles.append(label_tile(shown, caption[:18]))
        params.append(p)
    return make_grid(tiles, cols), items, params


def image_kind(sizes: Sequence[tuple[int, int]], small_side: int) -> str:
    """``"small"`` when the median longest side is at most ``small_side`` pixels (digits, icons),
    else ``"photos"``; ``"none"`` for no images."""
    if not sizes:
        return "none"
    longest = sorted(max(h, w) for h, w in sizes)
    return "small" if longest[len(longest) // 2] <= small_side else "photos"
