"""Colour: Keras' channel shift and brightness, then torchvision's colour operations, exact and fast.

Every kernel takes an ``HxW`` or ``HxWxC`` uint8 image (C = 1, 3 or 4), never modifies it, returns a new
array of the same shape, and leaves an alpha channel as it is. The definitions are torchvision's
(``transforms.v2.functional`` on uint8), whose arithmetic rounds down (``.to(uint8)`` truncates):

- contrast ``f``: ``x' = f x + (1 - f) m``, ``m`` the mean grey level (luma ``0.2989 R + 0.587 G +
  0.114 B``; the image's mean for grayscale); torchvision floors each pixel's luma before averaging,
  here the mean is worked out from the channel means minus half a level, within half a level of it;
- saturation ``f``: ``x' = f x + (1 - f) floor(luma)`` per pixel (luma floored as ``luma - 1/2``);
  grayscale images are left as they are;
- hue ``h`` (fraction of the circle): RGB to HSV, ``H += h`` modulo 1, back to RGB, as torchvision's
  ``_rgb_to_hsv`` / ``_hsv_to_rgb`` (with OpenCV's float HSV, which is the same formula);
- gamma ``g``: ``x' = (x / 255) ** g`` scaled back as torchvision's ``to_dtype`` does (``* 255.999``);
- grayscale: the floored luma in every colour channel; autocontrast: each channel stretched from its
  own min..max to 0..255; equalise: PIL's histogram equalisation per channel, as torchvision;
- posterize ``b``: keep the top ``b`` bits; solarize ``t``: ``255 - x`` where ``x >= t``;
- torchvision's brightness (the policies' ``Brightness``): ``x' = f x``.

Speed: every step is an :class:`Op`, a lookup table and/or an affine colour map ``x' = A x + b``
(brightness, contrast, saturation, grayscale). A :class:`Chain` composes consecutive lookup tables into
one, so the image goes through a single ``cv2.LUT``; a lone affine step is one ``cv2.transform`` (a
3x4 colour matrix whose last column also turns OpenCV's rounding into a truncation), which is about
twice as fast as a table. Hue is OpenCV's float HSV conversion. Results are within one grey level of
torchvision's.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from core.augment.image._checks import check_image, colour_channels, restore_shape, scratch
from core.augment.image.params import ImageParams

LUMA = (0.2989, 0.587, 0.114)  # torchvision's grey weights (R, G, B)
_TRUNC = -0.4999  # added before OpenCV's round-to-nearest, it rounds down instead (as .to(uint8))
_LEVELS = np.arange(256, dtype=np.float64)
_IDENTITY = np.arange(256, dtype=np.uint8)
_LEVELS32 = np.arange(256, dtype=np.float32) * np.float32(1.0 / 255.0)


def _trunc_lut(values: np.ndarray) -> np.ndarray:
    """A float table as uint8, clamped to 0..255 and rounded down (torchvision's clamp + ``.to``)."""
    return np.clip(values, 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------------------------
# Steps and their composition


@dataclass(frozen=True)
class Op:
    """One colour step: a lookup table and/or an affine colour map ``x' = A x + b``.

    Attributes:
        table: (256, 1) for every colour channel or (256, 3) one per channel, for steps given by a
            table (gamma, posterize, ...); None for affine steps, whose table :meth:`lut` works out
            when it is needed (to compose with a neighbour).
        matrix: (3, 3) acting on (R, G, B), or None. With ``offset``, the step is ``A x + b`` rounded
            to nearest (``round=True``, Keras) or down (torchvision), clamped to 0..255.
        offset: (3,) added after ``matrix``.
        round: Round to nearest instead of down.
        pointwise: Each channel's output depends on that channel alone (a table can express it).
    """

    table: np.ndarray | None = None
    matrix: tuple[tuple[float, float, float], ...] | None = None
    offset: tuple[float, ...] = (0.0, 0.0, 0.0)
    round: bool = False
    pointwise: bool = True

    def lut(self) -> np.ndarray:
        """The step as (256, 1) or (256, 3) tables (pointwise steps only)."""
        if self.table is not None:
            return self.table
        scales = np.array([self.matrix[i][i] for i in range(3)])
        values = _LEVELS[:, None] * scales + np.asarray(self.offset)
        table = np.clip(np.rint(values) if self.round else values, 0, 255).astype(np.uint8)
        if len(set(scales.tolist())) == 1 and len(set(self.offset)) == 1:
            table = table[:, :1]
        return np.ascontiguousarray(table)


def linear_op(scale: float, offset: float | tuple[float, ...], round: bool = False) -> Op:
    """``x' = scale x + offset`` on every colour channel (one offset, or one per channel), clamped."""
    offsets = (offset,) * 3 if isinstance(offset, (int, float)) else tuple(offset)
    return Op(None, ((scale, 0.0, 0.0), (0.0, scale, 0.0), (0.0, 0.0, scale)), offsets, round)


class Chain:
    """Colour steps waiting to be applied: consecutive tables composed into one ``cv2.LUT``, a lone
    affine step applied as one ``cv2.transform``.

    ``then`` adds a step; ``image`` applies what is pending and returns the current image (the input
    itself while nothing was applied: callers copy before handing it out); ``set`` continues from an
    image a non-pointwise kernel made.
    """

    def __init__(self, image: np.ndarray) -> None:
        self._image = image
        self._pending: Op | None = None

    def then(self, op: Op) -> None:
        """Add a step after what is pending."""
        p = self._pending
        if p is None:
            self._pending = op
        elif p.table is not None and op.table is not None:
            self._pending = Op(_compose(p.table, op.table))
        elif p.pointwise and op.pointwise and (p.table is not None or op.table is not None):
            self._pending = Op(_compose(p.lut(), op.lut()))  # a table absorbs an affine neighbour
        else:
            self.image()
            self._pending = op

    def image(self) -> np.ndarray:
        """The image with every pending step applied."""
        op, self._pending = self._pending, None
        if op is not None:
            if op.table is None:
                self._image = _apply_matrix(self._image, op)
            else:
                self._image = _apply_lut(self._image, op.table)
        return self._image

    def set(self, image: np.ndarray) -> None:
        """Continue from ``image`` (after a step that is not pointwise), nothing pending."""
        self.image()
        self._image = image


def _compose(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The table of ``second`` after ``first`` (each (256, 1) or (256, 3))."""
    width = max(first.shape[1], second.shape[1])
    first = np.repeat(first, width // first.shape[1], axis=1)
    second = np.repeat(second, width // second.shape[1], axis=1)
    return np.ascontiguousarray(np.take_along_axis(second, first.astype(np.intp), axis=0))


def _apply_matrix(image: np.ndarray, op: Op) -> np.ndarray:
    """``A x + b`` on the colour channels with OpenCV's saturating round (down, unless ``op.round``)."""
    bias = 0.0 if op.round else _TRUNC
    m, o = op.matrix, op.offset
    if image.ndim == 2 or image.shape[2] == 1:
        if not op.pointwise:
            return image.copy()  # a step that mixes channels leaves a grey image as it is
        return restore_shape(cv2.transform(image, np.array([[m[0][0], o[0] + bias]], np.float32)), image)
    rows = [[*m[0], o[0] + bias], [*m[1], o[1] + bias], [*m[2], o[2] + bias]]
    if image.shape[2] == 4:
        rows = [[*r[:3], 0.0, r[3]] for r in rows] + [[0.0, 0.0, 0.0, 1.0, 0.0]]
    return cv2.transform(image, np.array(rows, np.float32))


def _apply_lut(image: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """Apply (256, 1) or (256, 3) tables to the colour channels; alpha passes through unchanged.

    One table for every channel is OpenCV's fast path (about twice as fast as a table per channel).
    """
    lut = lut.reshape(256, -1)
    if image.ndim == 2 or image.shape[2] == 1:
        return restore_shape(cv2.LUT(image, np.ascontiguousarray(lut[:, 0])), image)
    channels = image.shape[2]
    if lut.shape[1] == 1 and channels == 3:
        return cv2.LUT(image, np.ascontiguousarray(lut[:, 0]))
    if lut.shape[1] == 1:
        lut = np.repeat(lut, 3, axis=1)
    if channels == 4:
        lut = np.concatenate([lut, _IDENTITY[:, None]], axis=1)
    return cv2.LUT(image, np.ascontiguousarray(lut).reshape(256, 1, channels))


def table_op(table: np.ndarray) -> Op:
    """A pointwise step given by its table ((256,), (256, 1) or (256, 3))."""
    return Op(np.ascontiguousarray(table.reshape(256, -1)))


def keras_luts(params: ImageParams, colours: int) -> np.ndarray:
    """Keras' photometric step as tables: ``rint((x + channel shift) * brightness)``, clipped; one table
    when every colour channel has the same shift."""
    shifts = params.channel_shift[:colours]
    if all(shift == shifts[0] for shift in shifts):
        shifts = shifts[:1]
    return np.stack(
        [np.clip(np.rint((_LEVELS + s) * params.brightness), 0, 255).astype(np.uint8) for s in shifts], axis=1
    )


def keras_op(params: ImageParams) -> Op:
    """Keras' photometric step: ``rint(b x + b shift)`` per colour channel (b the brightness)."""
    b = params.brightness
    return linear_op(b, tuple(b * s for s in params.channel_shift), round=True)


def brightness_op(factor: float) -> Op:
    """torchvision's ``adjust_brightness``: ``f x``, clamped and rounded down."""
    return linear_op(factor, 0.0)


def contrast_op(factor: float, mean: float) -> Op:
    """torchvision's ``adjust_contrast`` towards the grey mean ``mean``: ``f x + (1 - f) mean``."""
    return linear_op(factor, (1.0 - factor) * mean)


def saturation_op(factor: float) -> Op:
    """torchvision's ``adjust_saturation``: blend each pixel with its floored luma (``luma - 1/2``)."""
    g = 1.0 - factor
    rows = tuple(tuple(g * w + (factor if i == j else 0.0) for j, w in enumerate(LUMA)) for i in range(3))
    shift = -g * 0.5
    return Op(None, rows, (shift, shift, shift), pointwise=False)


def grayscale_op() -> Op:
    """torchvision's ``rgb_to_grayscale`` keeping the channels: the luma, rounded down, in R, G and B."""
    return Op(None, (LUMA, LUMA, LUMA), pointwise=False)


def brightness_lut(factor: float) -> np.ndarray:
    """The table of :func:`brightness_op`."""
    return _trunc_lut(_LEVELS * factor)


def blend_lut(factor: float, other: float) -> np.ndarray:
    """``f x + (1 - f) other``, clamped and rounded down (contrast towards a mean)."""
    return _trunc_lut(_LEVELS * factor + (1.0 - factor) * other)


def gamma_lut(gamma: float) -> np.ndarray:
    """torchvision's ``adjust_gamma`` on uint8, in its float32 arithmetic."""
    powered = np.power(_LEVELS32, np.float32(gamma))
    return (powered * np.float32(255.999)).astype(np.uint8)


def posterize_lut(bits: int) -> np.ndarray:
    """Keep the top ``bits`` bits of every value."""
    return _IDENTITY & np.uint8((0xFF << (8 - bits)) & 0xFF)


def solarize_lut(threshold: float) -> np.ndarray:
    """``255 - x`` for every ``x >= threshold``."""
    return np.where(threshold <= _IDENTITY, 255 - _IDENTITY, _IDENTITY).astype(np.uint8)


def grey_mean(image: np.ndarray) -> float:
    """The mean luma (torchvision's weights), less half a level for its per-pixel floor; the mean of a
    grayscale image."""
    means = cv2.mean(image)
    if colour_channels(image) == 1:
        return means[0]
    return max(0.0, LUMA[0] * means[0] + LUMA[1] * means[1] + LUMA[2] * means[2] - 0.5)


def autocontrast_luts(image: np.ndarray) -> np.ndarray:
    """Per colour channel: min..max stretched to 0..255 (a flat channel is left as it is)."""
    colours = colour_channels(image)
    flat = image.reshape(-1, image.shape[2] if image.ndim == 3 else 1)[:, :colours]
    low = cv2.reduce(np.ascontiguousarray(flat), 0, cv2.REDUCE_MIN).ravel().astype(np.float64)
    high = cv2.reduce(np.ascontiguousarray(flat), 0, cv2.REDUCE_MAX).ravel().astype(np.float64)
    tables = []
    for lo, hi in zip(low, high, strict=True):
        if hi == lo:
            tables.append(_IDENTITY)
        else:
            inv_scale = np.float32((hi - lo) / 255.0)
            tables.append(_trunc_lut((_LEVELS.astype(np.float32) - np.float32(lo)) / inv_scale))
    return np.stack(tables, axis=1)


def equalize_luts(image: np.ndarray) -> np.ndarray:
    """Per colour channel: PIL's equalisation table, as torchvision's ``equalize`` builds it."""
    colours = colour_channels(image)
    tables = []
    for c in range(colours):
        hist = cv2.calcHist([image], [c], None, [256], [0, 256]).ravel().astype(np.int64)
        total = int(hist.sum())
        cum = np.cumsum(hist)
        last = int(np.argmax(cum))  # the last non-empty bin: where the cumulative count first peaks
        step = (total - int(hist[last])) // 255
        if step == 0:
            tables.append(_IDENTITY)
            continue
        lut = np.empty(256, np.int64)
        lut[0] = 0
        lut[1:] = (cum[:-1] + step // 2) // step
        tables.append(np.clip(lut, 0, 255).astype(np.uint8))
    return np.stack(tables, axis=1)


# ----------------------------------------------------------------------------------------------
# Channel-mixing kernels


def saturation(image: np.ndarray, factor: float) -> np.ndarray:
    """torchvision's ``adjust_saturation``; grayscale images are returned as they are."""
    if colour_channels(image) == 1 or factor == 1.0:
        return image.copy()
    return _apply_matrix(image, saturation_op(factor))


def grayscale(image: np.ndarray) -> np.ndarray:
    """torchvision's ``rgb_to_grayscale(image, 3)``; alpha kept, grayscale images unchanged."""
    if colour_channels(image) == 1:
        return image.copy()
    return _apply_matrix(image, grayscale_op())


def hue(image: np.ndarray, turn: float) -> np.ndarray:
    """torchvision's ``adjust_hue``: turn the HSV hue by ``turn`` (fraction of the circle)."""
    if colour_channels(image) == 1 or turn == 0.0:
        return image.copy()
    shape = (image.shape[0], image.shape[1], 3)
    rgb, hsv = scratch("hue rgb", shape), scratch("hue hsv", shape)
    np.copyto(rgb, image[..., :3], casting="unsafe")
    cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV, dst=hsv)  # H in degrees, S 0..1, V 0..255
    # OpenCV's HSV to RGB wraps hues at or above 360 degrees (not below 0): add the turn as 0..360.
    cv2.add(hsv, (360.0 * (turn % 1.0), 0.0, 0.0, 0.0), dst=hsv)
    cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB, dst=rgb)
    # torchvision: float 0..1 -> uint8 as x * 255.999, rounded down; V here is on 0..255 already
    out = cv2.convertScaleAbs(rgb, alpha=255.999 / 255.0, beta=_TRUNC)
    if image.shape[2] == 4:
        out = np.dstack([out, image[..., 3]])
    return out


def sharpness_blend(image: np.ndarray, factor: float) -> np.ndarray:
    """torchvision's ``adjust_sharpness``: blend with a 3x3 smoothed image (1s around a 5, over 13),
    inside a one-pixel border that stays as it is; images under 3x3 are unchanged."""
    height, width = image.shape[:2]
    if factor == 1.0 or height <= 2 or width <= 2:
        return image.copy()
    kernel = np.full((3, 3), 1.0 / 13.0, np.float32)
    kernel[1, 1] = 5.0 / 13.0
    colour = image[..., :3] if image.ndim == 3 and image.shape[2] == 4 else image
    smooth = restore_shape(cv2.filter2D(np.ascontiguousarray(colour), -1, kernel), colour)
    out_colour = colour.copy()
    inner = (slice(1, -1), slice(1, -1))
    blended = cv2.addWeighted(colour[inner], factor, smooth[inner], 1.0 - factor, _TRUNC)
    out_colour[inner] = restore_shape(blended, colour[inner])
    if colour is image:
        return out_colour
    out = image.copy()
    out[..., :3] = out_colour
    return out


def apply_photometric(image: np.ndarray, params: ImageParams) -> np.ndarray:
    """Shift each colour channel, then scale brightness, rounding and clipping to 0..255.

    Keras' order (channel shift, then brightness). A grayscale image takes the first channel shift;
    an alpha channel is left as it is.

    Args:
        image: ``HxW`` or ``HxWxC`` uint8 array; never modified.
        params: Uses ``brightness`` and ``channel_shift``.

    Returns:
        A new array with the shape and dtype of ``image``.
    """
    check_image(image)
    if is_photometric_identity(params):
        return image.copy()
    return _apply_lut(image, keras_luts(params, colour_channels(image)))


def is_photometric_identity(params: ImageParams) -> bool:
    """Keras' photometric step changes nothing."""
    return params.brightness == 1.0 and not any(params.channel_shift)
