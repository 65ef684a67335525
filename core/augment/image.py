"""Image augmentation: one composed affine warp per image, plus brightness and channel shifts.

The parameters carry the names of Keras' ``ImageDataGenerator`` with the meaning its documentation
states, so users of that API recognise them. Sampling is apart from applying (the albumentations
split): :func:`sample_params` draws plain :class:`AffineParams` from a generator passed in,
:func:`apply_affine` and :func:`apply_photometric` are deterministic and never modify their input.

Coordinates are those of the screen: ``x`` grows to the right, ``y`` grows downwards, pixel centres
sit on integers and the image centre is ``((W - 1) / 2, (H - 1) / 2)``. The forward map that sends a
source pixel to its place in the output is the product, applied right to left, of

1. a translation taking the centre to the origin,
2. the flips (mirror ``x`` and/or ``y``),
3. the zoom (scale ``x`` by ``zx`` and ``y`` by ``zy``; > 1 enlarges the content),
4. the shear (``x += tan(shear) * y``: vertical lines lean by ``shear`` degrees, counter-clockwise),
5. the rotation by ``theta`` degrees (positive turns content counter-clockwise on screen),
6. a translation back to the centre plus the shift ``(tx, ty)`` in pixels (right, down).

OpenCV's ``warpAffine`` applies the composed 2x3 matrix in a single resampling pass, so flips and
small rotations cost no more than one warp and never blur twice.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import cv2
import numpy as np

from core.config import (
    MAX_SEED,
    check_bool,
    check_choice,
    check_float,
    check_pair,
    check_seed,
    from_mapping,
    is_number,
    parse_json,
)
from core.errors import ConfigError
from core.seeding import numpy_rng

FILL_MODES = ("constant", "nearest", "reflect", "wrap")
INTERPOLATIONS = ("bilinear", "nearest")

# Keras' fill modes name scipy.ndimage's; these OpenCV borders give the same pixels
# ("reflect" is scipy's half-sample symmetric mode: d c b a | a b c d | d c b a).
_BORDERS = {
    "constant": cv2.BORDER_CONSTANT,
    "nearest": cv2.BORDER_REPLICATE,
    "reflect": cv2.BORDER_REFLECT,
    "wrap": cv2.BORDER_WRAP,
}
_INTERPOLATIONS = {"bilinear": cv2.INTER_LINEAR, "nearest": cv2.INTER_NEAREST}

CONFIG_FORMAT = "auglab.image_aug/1"

# The bounds of each scalar setting, with its unit named in messages: (low, high, what the number is).
_LIMITS = {
    "rotation_range": (0.0, 180.0, "degrees"),
    "width_shift_range": (0.0, 10_000.0, "a fraction below 1, pixels from 1 up"),
    "height_shift_range": (0.0, 10_000.0, "a fraction below 1, pixels from 1 up"),
    "shear_range": (0.0, 80.0, "degrees"),
    "cval": (0.0, 255.0, "a pixel value"),
    "channel_shift_range": (0.0, 255.0, "on the 0..255 scale"),
}


@dataclass(frozen=True)
class ImageAugConfig:
    """A random augmentation pipeline, in the vocabulary of Keras' ``ImageDataGenerator``.

    Every range is sampled uniformly and independently per image. A zero range turns a step off.
    ``zoom_range`` may be given as one number ``z`` (meaning ``(1 - z, 1 + z)``) and
    ``brightness_range`` as ``None`` (meaning off); both are stored as pairs.
    """

    rotation_range: float = 0.0  # degrees; theta ~ U[-r, r], positive = counter-clockwise
    width_shift_range: float = 0.0  # < 1: fraction of the width; >= 1: pixels; tx ~ U[-s, s]
    height_shift_range: float = 0.0  # < 1: fraction of the height; >= 1: pixels; ty ~ U[-s, s]
    shear_range: float = 0.0  # degrees; shear ~ U[-s, s]
    zoom_range: tuple[float, float] = (1.0, 1.0)  # zx and zy each ~ U[low, high]; > 1 zooms in
    horizontal_flip: bool = False  # mirror left-right with probability 1/2
    vertical_flip: bool = False  # mirror top-bottom with probability 1/2
    fill_mode: str = "nearest"  # how pixels from outside the image are filled: see FILL_MODES
    cval: float = 0.0  # fill value for fill_mode="constant", 0..255
    brightness_range: tuple[float, float] = (1.0, 1.0)  # multiplier ~ U[low, high]
    channel_shift_range: float = 0.0  # added to each colour channel, ~ U[-s, s] on the 0..255 scale
    interpolation: str = "bilinear"  # "bilinear" (as Keras) or "nearest" (for masks, pixel art)

    def __post_init__(self) -> None:
        zoom = self.zoom_range
        if is_number(zoom):
            zoom = (1.0 - float(zoom), 1.0 + float(zoom))
        object.__setattr__(self, "zoom_range", check_pair("zoom_range", zoom))
        brightness = (1.0, 1.0) if self.brightness_range is None else self.brightness_range
        object.__setattr__(self, "brightness_range", check_pair("brightness_range", brightness))
        for name in ("horizontal_flip", "vertical_flip"):
            check_bool(name, getattr(self, name))
        for name, (low, high, unit) in _LIMITS.items():
            object.__setattr__(self, name, check_float(f"{name} ({unit})", getattr(self, name), low, high))
        low, high = self.zoom_range
        if not 0.1 <= low <= high <= 5.0:
            raise ConfigError(f"zoom_range must satisfy 0.1 <= low <= high <= 5, got {self.zoom_range}.")
        low, high = self.brightness_range
        if not 0.0 <= low <= high <= 5.0:
            raise ConfigError(
                f"brightness_range must satisfy 0 <= low <= high <= 5, got {self.brightness_range}."
            )
        check_choice("fill_mode", self.fill_mode, FILL_MODES)
        check_choice("interpolation", self.interpolation, INTERPOLATIONS)

    def shift_pixels(self, height: int, width: int) -> tuple[float, float]:
        """The largest horizontal and vertical shift in pixels for an image of this size."""
        sx = self.width_shift_range * width if self.width_shift_range < 1 else self.width_shift_range
        sy = self.height_shift_range * height if self.height_shift_range < 1 else self.height_shift_range
        return sx, sy

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, with the format tag first."""
        data = asdict(self)
        data["zoom_range"] = list(self.zoom_range)
        data["brightness_range"] = list(self.brightness_range)
        return {"format": CONFIG_FORMAT, **data}

    def to_json(self) -> str:
        """The configuration as indented JSON; :meth:`from_json` reads it back."""
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: Any) -> ImageAugConfig:
        """Build a configuration from a mapping; keys left out take their defaults.

        Raises:
            ConfigError: The mapping has unknown keys, another format tag, or values out of range.
        """
        return from_mapping(cls, data, "image augmentation configuration", CONFIG_FORMAT)

    @classmethod
    def from_json(cls, text: str) -> ImageAugConfig:
        """Parse :meth:`to_json` output (or a hand-written subset of it).

        Raises:
            ConfigError: The text is not JSON or not a valid configuration.
        """
        return cls.from_dict(parse_json(text, "configuration"))


@dataclass(frozen=True)
class AffineParams:
    """The parameters of one augmentation, as sampled; applying them is deterministic."""

    theta: float = 0.0  # degrees; positive rotates content counter-clockwise on screen
    tx: float = 0.0  # pixels; positive moves content right
    ty: float = 0.0  # pixels; positive moves content down
    shear: float = 0.0  # degrees; vertical lines lean counter-clockwise by this angle
    zx: float = 1.0  # horizontal scale; > 1 enlarges content
    zy: float = 1.0  # vertical scale; > 1 enlarges content
    flip_h: bool = False  # mirror left-right
    flip_v: bool = False  # mirror top-bottom
    brightness: float = 1.0  # multiplier applied after the channel shift
    channel_shift: tuple[float, float, float] = field(default=(0.0, 0.0, 0.0))  # added per colour channel

    def to_dict(self) -> dict[str, Any]:
        """Plain values rounded for display and manifests (4 decimals)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                out[f.name] = [round(v, 4) for v in value]
            elif isinstance(value, float):
                out[f.name] = round(value, 4)
            else:
                out[f.name] = value
        return out


@dataclass(frozen=True)
class Step:
    """One factor of the composed matrix, for the teaching view."""

    name: str
    matrix: np.ndarray  # 3x3, acting on column vectors (x, y, 1)
    meaning: str


def affine_steps(params: AffineParams, height: int, width: int) -> list[Step]:
    """The factors of :func:`affine_matrix`, in the order they act on a source pixel.

    Args:
        params: Sampled parameters.
        height: Image height in pixels.
        width: Image width in pixels.

    Returns:
        Six steps whose matrices, multiplied last-to-first, give :func:`affine_matrix`.
    """
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    t = math.radians(params.theta)
    c, s = math.cos(t), math.sin(t)
    fx = -1.0 if params.flip_h else 1.0
    fy = -1.0 if params.flip_v else 1.0
    k = math.tan(math.radians(params.shear))
    flips = [n for n, on in (("left-right", params.flip_h), ("top-bottom", params.flip_v)) if on]
    return [
        Step("centre", _m(1, 0, -cx, 0, 1, -cy), f"Move the image centre ({cx:g}, {cy:g}) to the origin."),
        Step("flip", _m(fx, 0, 0, 0, fy, 0), f"Mirror {' and '.join(flips)}." if flips else "No flip."),
        Step(
            "zoom",
            _m(params.zx, 0, 0, 0, params.zy, 0),
            f"Scale x by {params.zx:.3f} and y by {params.zy:.3f} (above 1 enlarges).",
        ),
        Step(
            "shear",
            _m(1, k, 0, 0, 1, 0),
            f"Lean vertical lines {params.shear:.2f} degrees (x += tan(shear) * y).",
        ),
        Step(
            "rotate",
            _m(c, s, 0, -s, c, 0),
            f"Rotate {abs(params.theta):.2f} degrees "
            + ("counter-clockwise." if params.theta >= 0 else "clockwise."),
        ),
        Step(
            "shift",
            _m(1, 0, cx + params.tx, 0, 1, cy + params.ty),
            f"Move back to the centre, then {params.tx:+.2f} px right and {params.ty:+.2f} px down.",
        ),
    ]


def _m(a: float, b: float, c: float, d: float, e: float, f: float) -> np.ndarray:
    return np.array([[a, b, c], [d, e, f], [0.0, 0.0, 1.0]])


def affine_matrix(params: AffineParams, height: int, width: int) -> np.ndarray:
    """The 3x3 forward matrix sending source pixel ``(x, y, 1)`` to its output position.

    Args:
        params: Sampled parameters.
        height: Image height in pixels.
        width: Image width in pixels.

    Returns:
        A float64 3x3 matrix; the last row is ``(0, 0, 1)``.
    """
    # Closed form of shift @ rotate @ shear @ zoom @ flip @ centre (see affine_steps), written
    # out because this runs once per augmented image and 3x3 numpy products cost more than the maths.
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    t = math.radians(params.theta)
    c, s = math.cos(t), math.sin(t)
    k = math.tan(math.radians(params.shear))
    ax = params.zx * (-1.0 if params.flip_h else 1.0)
    ay = params.zy * (-1.0 if params.flip_v else 1.0)
    # rotate @ shear @ diag(ax, ay)
    a, b = c * ax, (c * k + s) * ay
    d, e = -s * ax, (-s * k + c) * ay
    return np.array(
        [
            [a, b, cx + params.tx - a * cx - b * cy],
            [d, e, cy + params.ty - d * cx - e * cy],
            [0.0, 0.0, 1.0],
        ]
    )


def _check_image(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ConfigError("Images must be uint8 numpy arrays.")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise ConfigError(f"Images must be HxW or HxWxC with C in 1, 3, 4; got shape {image.shape}.")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ConfigError(f"Images must be at least 1x1 pixels; got shape {image.shape}.")


def apply_affine(
    image: np.ndarray,
    params: AffineParams,
    fill_mode: str = "nearest",
    cval: float = 0,
    interpolation: str = "bilinear",
) -> np.ndarray:
    """Warp an image by the composed flip, zoom, shear, rotation and shift of ``params``.

    Args:
        image: ``HxW`` or ``HxWxC`` uint8 array (C = 1, 3 or 4); never modified.
        params: What to apply; see :class:`AffineParams`.
        fill_mode: How to fill pixels that come from outside the image: ``constant`` (``cval``),
            ``nearest`` (repeat the edge), ``reflect`` (mirror, edge pixel included) or ``wrap``.
        cval: Fill value (0..255) for ``constant``, used on every channel.
        interpolation: ``bilinear`` or ``nearest``.

    Returns:
        A new array with the shape and dtype of ``image``.
    """
    _check_image(image)
    # The plain lookups run per image; the checks only build the message when one fails.
    if type(fill_mode) is not str or fill_mode not in _BORDERS:
        check_choice("fill_mode", fill_mode, FILL_MODES)
    if type(interpolation) is not str or interpolation not in _INTERPOLATIONS:
        check_choice("interpolation", interpolation, INTERPOLATIONS)
    height, width = image.shape[:2]
    if _is_identity(params):
        return image.copy()
    matrix = affine_matrix(params, height, width)
    channels = image.shape[2] if image.ndim == 3 else 1
    out = cv2.warpAffine(
        np.ascontiguousarray(image),
        matrix[:2],
        (width, height),
        flags=_INTERPOLATIONS[interpolation],
        borderMode=_BORDERS[fill_mode],
        borderValue=(float(cval),) * 4,
    )
    # OpenCV drops a trailing channel axis of length 1; give the caller the shape it passed.
    return out.reshape(height, width, channels) if image.ndim == 3 else out


def _is_identity(params: AffineParams) -> bool:
    p = params
    return not (p.theta or p.tx or p.ty or p.shear or p.flip_h or p.flip_v) and p.zx == 1.0 and p.zy == 1.0


def _is_photometric_identity(params: AffineParams) -> bool:
    return params.brightness == 1.0 and not any(params.channel_shift)


def apply_photometric(image: np.ndarray, params: AffineParams) -> np.ndarray:
    """Shift each colour channel, then scale brightness, rounding and clipping to 0..255.

    Keras' order (channel shift, then brightness). A grayscale image takes the first channel shift;
    an alpha channel is left as it is.

    Args:
        image: ``HxW`` or ``HxWxC`` uint8 array; never modified.
        params: Uses ``brightness`` and ``channel_shift``.

    Returns:
        A new array with the shape and dtype of ``image``.
    """
    _check_image(image)
    if _is_photometric_identity(params):
        return image.copy()
    levels = np.arange(256, dtype=np.float64)
    colour = 1 if image.ndim == 2 or image.shape[2] == 1 else 3
    luts = [
        np.clip(np.rint((levels + shift) * params.brightness), 0, 255).astype(np.uint8)
        for shift in params.channel_shift[:colour]
    ]
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.LUT(image, luts[0]).reshape(image.shape)
    lut = np.stack(luts + [levels.astype(np.uint8)] * (image.shape[2] - 3), axis=-1)
    return cv2.LUT(image, lut.reshape(256, 1, image.shape[2]))


# The uniforms every sample draws, in this order, whatever the configuration: moving one slider
# then rescales its own parameter and leaves every other draw of every variant where it was.
_DRAWS = 12


def sample_params(config: ImageAugConfig, rng: np.random.Generator, height: int, width: int) -> AffineParams:
    """Draw the parameters of one augmentation.

    Args:
        config: The ranges to sample from.
        rng: The only source of randomness; exactly 12 uniforms are drawn from it.
        height: Image height in pixels (fractional shifts are relative to it).
        width: Image width in pixels.

    Returns:
        Parameters within the configured bounds.
    """
    u = rng.random(_DRAWS).tolist()  # plain floats: parameters print and serialise cleanly
    sx, sy = config.shift_pixels(height, width)
    zlo, zhi = config.zoom_range
    blo, bhi = config.brightness_range
    cs = config.channel_shift_range

    def sym(limit: float, draw: float) -> float:
        return limit * (2.0 * draw - 1.0) + 0.0  # + 0.0 turns the -0.0 of a zero range into 0.0

    return AffineParams(
        theta=sym(config.rotation_range, u[0]),
        tx=sym(sx, u[1]),
        ty=sym(sy, u[2]),
        shear=sym(config.shear_range, u[3]),
        zx=zlo + (zhi - zlo) * u[4],
        zy=zlo + (zhi - zlo) * u[5],
        flip_h=config.horizontal_flip and u[6] < 0.5,
        flip_v=config.vertical_flip and u[7] < 0.5,
        brightness=blo + (bhi - blo) * u[8],
        channel_shift=(sym(cs, u[9]), sym(cs, u[10]), sym(cs, u[11])),
    )


def variant_rng(seed: int, index: int, variant: int) -> np.random.Generator:
    """The generator of variant ``variant`` of item ``index`` under ``seed``.

    It is ``core.seeding.numpy_rng(seed, index, variant)``: it depends on those three numbers only,
    never on what was drawn before, so results do not depend on batch order, on other items or on
    other browser sessions.

    Raises:
        ConfigError: A number is not a whole number from 0 to 2**63 - 1.
    """
    if not (type(index) is type(variant) is int and 0 <= index <= MAX_SEED and 0 <= variant <= MAX_SEED):
        check_seed("index", index)  # numpy integers pass; anything else gets its sentence
        check_seed("variant", variant)
    return numpy_rng(seed, index, variant)  # core.seeding checks the seed


def apply_params(image: np.ndarray, params: AffineParams, config: ImageAugConfig) -> np.ndarray:
    """Apply sampled parameters with the fill and interpolation settings of ``config``."""
    out = apply_affine(image, params, config.fill_mode, config.cval, config.interpolation)
    # apply_affine already returned a new array: no second copy when there is nothing to adjust.
    return out if _is_photometric_identity(params) else apply_photometric(out, params)


def augment(
    image: np.ndarray, config: ImageAugConfig, seed: int, index: int, variant: int
) -> tuple[np.ndarray, AffineParams]:
    """Variant ``variant`` of item ``index`` under ``seed``: sample, then apply.

    Args:
        image: ``HxW`` or ``HxWxC`` uint8 array; never modified.
        config: The random pipeline.
        seed: The user's seed (0 .. 2**63 - 1).
        index: The item's position in its dataset.
        variant: Which of the item's variants (0, 1, ...).

    Returns:
        The augmented image (same shape and dtype) and the parameters that made it.
    """
    params = sample_params(config, variant_rng(seed, index, variant), image.shape[0], image.shape[1])
    return apply_params(image, params, config), params


PRESETS: dict[str, ImageAugConfig] = {
    # Keras' defaults: every step off, each variant equals the original.
    "Identity (Keras defaults)": ImageAugConfig(),
    # A common starting point for natural photos, where left-right mirroring keeps the meaning.
    "Mild, photos": ImageAugConfig(
        rotation_range=15,
        width_shift_range=0.1,
        height_shift_range=0.1,
        shear_range=5,
        zoom_range=(0.9, 1.1),
        horizontal_flip=True,
        fill_mode="reflect",
        brightness_range=(0.9, 1.1),
    ),
    # Digits and characters: no flips (a mirrored 2 is not a 2), black fill like the background.
    "Digits and characters": ImageAugConfig(
        rotation_range=12,
        width_shift_range=0.1,
        height_shift_range=0.1,
        shear_range=10,
        zoom_range=(0.9, 1.1),
        fill_mode="constant",
        cval=0,
    ),
    # The benchmark's pipeline: strong geometry, both flips, edge fill.
    "Strong geometry": ImageAugConfig(
        rotation_range=20,
        width_shift_range=0.2,
        height_shift_range=0.2,
        shear_range=10,
        zoom_range=(0.8, 1.2),
        horizontal_flip=True,
        vertical_flip=True,
        fill_mode="nearest",
    ),
    # Aerial and microscopy images have no "up": every orientation and mirror is valid.
    "Any orientation": ImageAugConfig(
        rotation_range=180,
        horizontal_flip=True,
        vertical_flip=True,
        fill_mode="reflect",
        brightness_range=(0.8, 1.2),
        channel_shift_range=20,
    ),
}
"""Named starting points; the Images page opens with "Mild, photos"."""
