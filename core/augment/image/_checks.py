"""The image checks every kernel shares."""

from __future__ import annotations

import threading

import numpy as np

from core.errors import ConfigError


def check_image(image: np.ndarray) -> None:
    """Refuse anything but an ``HxW`` or ``HxWxC`` (C = 1, 3, 4) uint8 array of at least 1x1.

    Raises:
        ConfigError: What is wrong with it.
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ConfigError("Images must be uint8 numpy arrays.")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise ConfigError(f"Images must be HxW or HxWxC with C in 1, 3, 4; got shape {image.shape}.")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ConfigError(f"Images must be at least 1x1 pixels; got shape {image.shape}.")


def colour_channels(image: np.ndarray) -> int:
    """3 for RGB and RGBA (alpha is never a colour), 1 for grayscale."""
    return 3 if image.ndim == 3 and image.shape[2] >= 3 else 1


def restore_shape(out: np.ndarray, like: np.ndarray) -> np.ndarray:
    """OpenCV drops a trailing channel axis of length 1; give back the caller's layout."""
    return out.reshape(out.shape[0], out.shape[1], 1) if like.ndim == 3 and out.ndim == 2 else out


_LOCAL = threading.local()
_MAX_SCRATCH = 8  # buffers kept per thread; a new shape beyond that drops the oldest


def scratch(name: str, shape: tuple[int, ...], dtype: type = np.float32) -> np.ndarray:
    """A per-thread work buffer for intermediate results (float images of a hue turn, noise).

    Reused from call to call, so the large temporaries of a step are not allocated afresh for every
    image (each new one costs page faults that can exceed the step's arithmetic). Never returned to a
    caller: kernels copy their result out. Each thread (Streamlit session) has its own buffers.
    """
    buffers = getattr(_LOCAL, "buffers", None)
    if buffers is None:
        buffers = _LOCAL.buffers = {}
    key = (name, shape, np.dtype(dtype).str)
    buf = buffers.get(key)
    if buf is None:
        if len(buffers) >= _MAX_SCRATCH:
            buffers.pop(next(iter(buffers)))
        buf = buffers[key] = np.empty(shape, dtype)
    return buf
