"""Blur and noise: Gaussian blur, Gaussian noise and JPEG re-compression.

Each kernel takes an ``HxW`` or ``HxWxC`` uint8 image, never modifies it, returns a new array of the same
shape, and leaves an alpha channel as it is.

- Gaussian blur: the kernel ``cv2.GaussianBlur`` uses for sigma on 8-bit images, ``k = round(6 sigma
  + 1) | 1`` pixels a side (:func:`blur_kernel_size`; ``cv2.getGaussianKernel``), borders reflected
  without repeating the edge pixel (torchvision's ``reflect`` padding). It is applied separably in
  floating point and rounded to nearest (``cv2.sepFilter2D``), as torchvision's ``gaussian_blur``
  computes it (within one grey level); ``cv2.GaussianBlur`` quantises the same kernel to fixed point,
  which moves its result up to two levels on noisy images, and takes two to three times as long. A
  sigma whose neighbours cannot move any value by half a level (below about 0.25) returns the image.
- Gaussian noise: ``x' = rint(x + std * n)``, clipped to 0..255, with ``n`` standard normal values,
  one per channel value or (``per_channel=False``) one per pixel shared by its colour channels. The
  values come from a bank of 2**22 standard normal draws made once from a fixed stream
  (``core.seeding``: ``(0, "image noise bank")``): an image of up to 2**20 values takes the sum of two
  different windows of it, at offsets hashed from ``noise_seed`` (SplitMix64), divided by sqrt 2 (still
  standard normal, and ~10**12 different fields); a larger image draws its own values from
  ``noise_seed``.
  Drawing 150,000 normal values costs more than everything else an augmentation does.
- JPEG: encode with OpenCV at the drawn quality (4:2:0 chroma, as libjpeg's default), decode again.
"""

from __future__ import annotations

import math
from functools import lru_cache

import cv2
import numpy as np

from core.augment.image._checks import restore_shape, scratch
from core.seeding import numpy_rng

BANK_BITS = 22
BANK_SIZE = 1 << BANK_BITS
MAX_BANK_DRAW = BANK_SIZE >> 2  # values per image read from the bank; larger images draw their own


def blur_kernel_size(sigma: float) -> int:
    """The odd kernel side OpenCV uses for ``sigma`` on 8-bit images: ``round(6 sigma + 1) | 1``."""
    return round(sigma * 3 * 2 + 1) | 1


def gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Blur with a Gaussian of ``sigma`` pixels (kernel :func:`blur_kernel_size`); alpha kept."""
    if sigma <= 0:
        return image.copy()
    k = blur_kernel_size(sigma)
    kernel = cv2.getGaussianKernel(k, sigma)
    centre = float(kernel[k // 2, 0])
    if (1.0 - centre * centre) * 255.0 < 0.5:
        return image.copy()  # the neighbours move no value by half a level: the blur changes nothing
    if image.ndim == 3 and image.shape[2] == 4:
        out = image.copy()
        out[..., :3] = cv2.sepFilter2D(np.ascontiguousarray(image[..., :3]), -1, kernel, kernel)
        return out
    return restore_shape(cv2.sepFilter2D(image, -1, kernel, kernel), image)


def _splitmix64(value: int) -> int:
    """SplitMix64's output function: a 64-bit integer hash, so nearby seeds land far apart."""
    z = (value + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return z ^ (z >> 31)


@lru_cache(maxsize=1)
def _bank() -> np.ndarray:
    bank = numpy_rng(0, "image noise bank").standard_normal(BANK_SIZE, dtype=np.float32)
    bank.flags.writeable = False
    return bank


def noise_field(count: int, seed: int) -> np.ndarray:
    """``count`` standard normal float32 values for the noise of seed ``seed`` (see the docstring).

    The values are in a per-thread work buffer: use them before the next call.
    """
    if count > MAX_BANK_DRAW:
        return numpy_rng(0, "image noise", seed).standard_normal(count, dtype=np.float32)
    span = BANK_SIZE - count + 1  # offsets whose window fits in the bank
    mixed = _splitmix64(seed)  # neighbouring seeds give unrelated offsets
    first = mixed % span
    second = (first + 1 + (_splitmix64(mixed) % (span - 1))) % span  # any offset but the first
    bank = _bank()
    field = scratch("noise", (count,))
    cv2.add(bank[first : first + count], bank[second : second + count], dst=field)
    cv2.multiply(field, 1.0 / math.sqrt(2.0), dst=field)
    return field.ravel()


def gaussian_noise(image: np.ndarray, std: float, seed: int, per_channel: bool = True) -> np.ndarray:
    """Add noise of ``std`` (0..255 scale) to the colour channels, rounding and clipping to 0..255."""
    if std <= 0:
        return image.copy()
    height, width = image.shape[:2]
    rgba = image.ndim == 3 and image.shape[2] == 4
    colour = np.ascontiguousarray(image[..., :3]) if rgba else image
    if per_channel or colour.ndim == 2 or colour.shape[2] == 1:
        noise = noise_field(colour.size, seed).reshape(colour.shape)
    else:
        plane = noise_field(height * width, seed).reshape(height, width)
        noise = cv2.merge([plane, plane, plane])
    # One pass: x + std * n, rounded to nearest and saturated to 0..255 by OpenCV.
    out = restore_shape(cv2.addWeighted(colour, 1.0, noise, float(std), 0.0, dtype=cv2.CV_8U), colour)
    if not rgba:
        return out
    return np.dstack([out, image[..., 3]])


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """Re-compress as JPEG at ``quality`` (1..100) and decode; RGB is encoded as colour, alpha kept."""
    if quality <= 0:
        return image.copy()
    params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    if image.ndim == 2 or image.shape[2] == 1:
        ok, data = cv2.imencode(".jpg", np.ascontiguousarray(image), params)
        return restore_shape(cv2.imdecode(data, cv2.IMREAD_GRAYSCALE), image) if ok else image.copy()
    bgr = cv2.cvtColor(np.ascontiguousarray(image[..., :3]), cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(".jpg", bgr, params)
    if not ok:
        return image.copy()
    rgb = cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return np.dstack([rgb, image[..., 3]]) if image.shape[2] == 4 else rgb
