"""Crops and output size: which region of the source is shown, and at what size.

The box and the output size are sampled here; applying them is step 0 of the one warp
(:mod:`core.augment.image.affine`). The rules are torchvision's:

- ``random``: a ``crop_height x crop_width`` box (up to 1: a fraction of the side, rounded; above 1:
  pixels) at a whole position uniform over the places it fits, as ``RandomCrop``. A box larger than
  the image lies anywhere the image stays inside it, and the rest is filled by ``fill_mode``
  (torchvision's ``pad_if_needed``, with AugLab's fill).
- ``centre``: the same box centred, as ``CenterCrop`` (its rounding of the offset, and its padding
  when the box is larger).
- ``random_resized``: ``RandomResizedCrop``'s rule, 10 attempts of an area ``~ U[crop_scale] x H x W``
  and a width / height ratio log-uniform in ``crop_ratio``, ``w = round(sqrt(area ratio))``,
  ``h = round(sqrt(area / ratio))``; the first that fits is placed uniformly; if none does, the
  largest centred box whose ratio is within bounds (the whole image when its own ratio is).

The output is ``resize_height x resize_width`` when set (one of them 0: the other follows the box's
aspect ratio); otherwise the box's size for ``random`` and ``centre``, the image's for
``random_resized`` (which always resizes) and for no crop.
"""

from __future__ import annotations

import math

from core.augment.image.config import ImageAugConfig, ratio_bounds

ATTEMPTS = 10
DRAWS = 2 * ATTEMPTS + 2  # (scale, ratio) per attempt, then the position (y, x)


def crop_side(value: float, side: int) -> int:
    """A crop side in pixels: up to 1 a fraction of ``side`` (rounded, at least 1), above 1 pixels."""
    return max(1, round(value * side)) if value <= 1.0 else round(value)


def _position(u: float, free: int) -> int:
    """A whole offset uniform over ``0..free`` (``free < 0``: over ``free..0``, the box overhangs)."""
    low, high = min(0, free), max(0, free)
    return low + min(high - low, int(u * (high - low + 1)))


def random_resized_box(
    u: list[float], height: int, width: int, scale: tuple[float, float], ratio: tuple[float, float]
) -> tuple[int, int, int, int]:
    """``RandomResizedCrop.get_params`` from ``DRAWS`` uniforms: ``(x, y, w, h)``."""
    area = height * width
    log_lo, log_hi = ratio_bounds(ratio)
    for attempt in range(ATTEMPTS):
        target_area = area * (scale[0] + (scale[1] - scale[0]) * u[2 * attempt])
        aspect = math.exp(log_lo + (log_hi - log_lo) * u[2 * attempt + 1])
        w = round(math.sqrt(target_area * aspect))
        h = round(math.sqrt(target_area / aspect))
        if 0 < w <= width and 0 < h <= height:
            y = min(height - h, int(u[-2] * (height - h + 1)))
            x = min(width - w, int(u[-1] * (width - w + 1)))
            return x, y, w, h
    # Fallback to a central crop, as torchvision.
    in_ratio = width / height
    if in_ratio < min(ratio):
        w = width
        h = round(w / min(ratio))
    elif in_ratio > max(ratio):
        h = height
        w = round(h * max(ratio))
    else:
        w, h = width, height
    return (width - w) // 2, (height - h) // 2, w, h


def centre_box(height: int, width: int, crop_h: int, crop_w: int) -> tuple[int, int, int, int]:
    """``CenterCrop``'s box ``(x, y, w, h)``: its rounded offset, or its padding (the extra pixel on the
    far side) on an axis where the box is larger than the image."""

    def offset(side: int, crop: int) -> int:
        return -((crop - side) // 2) if crop > side else round((side - crop) / 2.0)

    return offset(width, crop_w), offset(height, crop_h), crop_w, crop_h


def sample_crop(
    config: ImageAugConfig, u: list[float], height: int, width: int
) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """The crop box and output size of one variant, from ``DRAWS`` uniforms.

    Returns:
        ``(box, out_size)``: ``(x, y, w, h)`` or ``()`` for the whole image, and ``(height, width)``
        or ``()`` for the source's size.
    """
    box: tuple[float, ...] = ()
    if config.crop == "random_resized":
        box = random_resized_box(u, height, width, config.crop_scale, config.crop_ratio)
        base = (height, width)
    elif config.crop in ("random", "centre"):
        ch, cw = crop_side(config.crop_height, height), crop_side(config.crop_width, width)
        if config.crop == "random":
            box = (_position(u[-1], width - cw), _position(u[-2], height - ch), cw, ch)
        else:
            box = centre_box(height, width, ch, cw)
        base = (ch, cw)
    else:
        base = (height, width)
    size = resized(config, base[0], base[1], box)
    if box and tuple(box) == (0, 0, width, height):
        box = ()
    if size == (height, width) and not box:
        return (), ()
    return tuple(float(v) for v in box), size


def resized(config: ImageAugConfig, height: int, width: int, box: tuple[float, ...]) -> tuple[int, int]:
    """The output size for an output of ``height x width`` before resizing (see the module docstring)."""
    rh, rw = config.resize_height, config.resize_width
    if not (rh or rw):
        return height, width
    bw, bh = (box[2], box[3]) if box else (width, height)
    if not rh:
        rh = max(1, round(rw * bh / bw))
    if not rw:
        rw = max(1, round(rh * bw / bh))
    return rh, rw
