"""The image augmentation configuration: every setting of the Images page, validated, JSON round trip.

The first twelve settings carry the names of Keras' ``ImageDataGenerator`` with the meaning its
documentation states. The others (crops, colour, blur and noise, erasing, policies) carry the names and,
where one exists, the meaning of torchvision's ``transforms.v2``; each is off by default, so a
configuration that does not name them augments exactly as before they existed.

Format versions (the ``"format"`` entry of the JSON):

- ``auglab.image_aug/2`` (this version): the Keras settings plus the flips' probabilities and the
  operations added since, each off by default.
- ``auglab.image_aug/1``: the twelve Keras settings; read as before (everything added since is off and
  the flips keep p = 1/2), so it gives the same pixels for the same (seed, index, variant).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any

from core.config import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_pair,
    from_mapping,
    is_number,
    is_whole,
    parse_json,
)
from core.errors import ConfigError

CONFIG_FORMAT = "auglab.image_aug/2"
READ_AS_BEFORE = ("auglab.image_aug/1",)  # every /1 file is a valid /2 file with the new steps off

FILL_MODES = ("constant", "nearest", "reflect", "wrap")
INTERPOLATIONS = ("bilinear", "nearest")
CROPS = ("none", "random", "centre", "random_resized")
COLOUR_ORDERS = ("random", "fixed")
ERASE_FILLS = ("constant", "noise")
POLICIES = ("none", "randaugment", "trivialaugment")
MAX_ERASE_COUNT = 16  # boxes per image; every variant draws the uniforms of this many
MAX_POLICY_OPS = 8  # RandAugment's N; every variant draws the uniforms of this many
POLICY_LEVELS = 31  # magnitude bins, as torchvision (M from 0 to 30)
ADDED_STEPS = (
    "crop",
    "resize",
    "jitter",
    "gamma",
    "grayscale",
    "autocontrast",
    "equalize",
    "posterize",
    "solarize",
    "sharpness",
    "blur",
    "noise",
    "jpeg",
    "erase",
    "policy",
)  # the steps added after Keras' settings, in the order the Images page groups them
MAX_SIDE = 8192  # pixels; a resize or crop size above this is a typo, not a plan

# The bounds of each scalar setting, with its unit named in messages: (low, high, what the number is).
_LIMITS = {
    "rotation_range": (0.0, 180.0, "degrees"),
    "width_shift_range": (0.0, 10_000.0, "a fraction below 1, pixels from 1 up"),
    "height_shift_range": (0.0, 10_000.0, "a fraction below 1, pixels from 1 up"),
    "shear_range": (0.0, 80.0, "degrees"),
    "cval": (0.0, 255.0, "a pixel value"),
    "channel_shift_range": (0.0, 255.0, "on the 0..255 scale"),
    "horizontal_flip_p": (0.0, 1.0, "a probability"),
    "vertical_flip_p": (0.0, 1.0, "a probability"),
    "crop_height": (0.0, float(MAX_SIDE), "up to 1 a fraction of the height, above 1 pixels"),
    "crop_width": (0.0, float(MAX_SIDE), "up to 1 a fraction of the width, above 1 pixels"),
    "gamma_p": (0.0, 1.0, "a probability"),
    "grayscale_p": (0.0, 1.0, "a probability"),
    "autocontrast_p": (0.0, 1.0, "a probability"),
    "equalize_p": (0.0, 1.0, "a probability"),
    "posterize_p": (0.0, 1.0, "a probability"),
    "solarize_p": (0.0, 1.0, "a probability"),
    "solarize_threshold": (0.0, 255.0, "a pixel value"),
    "sharpness_p": (0.0, 1.0, "a probability"),
    "blur_p": (0.0, 1.0, "a probability"),
    "noise_p": (0.0, 1.0, "a probability"),
    "jpeg_p": (0.0, 1.0, "a probability"),
    "erase_p": (0.0, 1.0, "a probability"),
    "erase_value": (0.0, 255.0, "a pixel value"),
}

# Ranges: (low bound, high bound, what the numbers are). Each must satisfy bound <= low <= high <= bound.
_RANGES = {
    "zoom_range": (0.1, 5.0, "zoom factors"),
    "brightness_range": (0.0, 5.0, "brightness factors"),
    "crop_scale": (0.0, 1.0, "fractions of the image's area"),
    "crop_ratio": (0.05, 20.0, "width / height ratios"),
    "contrast_range": (0.0, 5.0, "contrast factors"),
    "saturation_range": (0.0, 5.0, "saturation factors"),
    "hue_range": (-0.5, 0.5, "fractions of the hue circle"),
    "gamma_range": (0.05, 10.0, "gamma exponents"),
    "sharpness_range": (0.0, 10.0, "sharpness factors"),
    "blur_sigma": (0.05, 50.0, "standard deviations in pixels"),
    "noise_std": (0.0, 255.0, "standard deviations on the 0..255 scale"),
    "erase_scale": (0.0, 1.0, "fractions of the image's area"),
    "erase_ratio": (0.05, 20.0, "height / width ratios"),
}

# Whole-number ranges and settings: (low bound, high bound).
_INT_RANGES = {"jpeg_quality": (1, 100), "erase_count": (1, MAX_ERASE_COUNT)}
_INTS = {
    "resize_height": (0, MAX_SIDE),
    "resize_width": (0, MAX_SIDE),
    "posterize_bits": (1, 8),
    "policy_ops": (1, MAX_POLICY_OPS),
    "policy_magnitude": (0, POLICY_LEVELS - 1),
}


@dataclass(frozen=True)
class ImageAugConfig:
    """A random augmentation pipeline: Keras' ``ImageDataGenerator`` settings, then torchvision's.

    Every range is sampled uniformly and independently per image; ``p`` settings are the chance that a
    step runs. A neutral range (zero, or ``(1, 1)`` for factors) or ``p = 0`` turns a step off.
    ``zoom_range`` may be given as one number ``z`` (meaning ``(1 - z, 1 + z)``) and
    ``brightness_range`` as ``None`` (meaning off); both are stored as pairs. The order the steps run
    in is that of :mod:`core.augment.image.pipeline`.
    """

    # Geometry: one warp (Keras' names and meanings)
    rotation_range: float = 0.0  # degrees; theta ~ U[-r, r], positive = counter-clockwise
    width_shift_range: float = 0.0  # < 1: fraction of the width; >= 1: pixels; tx ~ U[-s, s]
    height_shift_range: float = 0.0  # < 1: fraction of the height; >= 1: pixels; ty ~ U[-s, s]
    shear_range: float = 0.0  # degrees; shear ~ U[-s, s]
    zoom_range: tuple[float, float] = (1.0, 1.0)  # zx and zy each ~ U[low, high]; > 1 zooms in
    horizontal_flip: bool = False  # mirror left-right with probability horizontal_flip_p
    vertical_flip: bool = False  # mirror top-bottom with probability vertical_flip_p
    fill_mode: str = "nearest"  # how pixels from outside the image are filled: see FILL_MODES
    cval: float = 0.0  # fill value for fill_mode="constant", 0..255
    brightness_range: tuple[float, float] = (1.0, 1.0)  # multiplier ~ U[low, high]
    channel_shift_range: float = 0.0  # added to each colour channel, ~ U[-s, s] on the 0..255 scale
    interpolation: str = "bilinear"  # "bilinear" (as Keras) or "nearest" (for masks, pixel art)
    horizontal_flip_p: float = 0.5  # chance of the left-right mirror when horizontal_flip is on
    vertical_flip_p: float = 0.5  # chance of the top-bottom mirror when vertical_flip is on
    # Crop & size: folded into the same warp
    crop: str = "none"  # "random" / "centre": a crop_height x crop_width box; "random_resized": see below
    crop_height: float = 1.0  # random / centre crop: up to 1 a fraction of the height, above 1 pixels
    crop_width: float = 1.0  # random / centre crop: up to 1 a fraction of the width, above 1 pixels
    crop_scale: tuple[float, float] = (0.08, 1.0)  # random_resized: area of the box / area of the image
    crop_ratio: tuple[float, float] = (3 / 4, 4 / 3)  # random_resized: width / height, log-uniform
    resize_height: int = 0  # output height in pixels; 0 = keep (the crop's, or the image's)
    resize_width: int = 0  # output width in pixels; 0 = keep; one of the two 0: keep the aspect ratio
    # Colour (torchvision's definitions)
    contrast_range: tuple[float, float] = (1.0, 1.0)  # factor ~ U[low, high]; 1 = unchanged
    saturation_range: tuple[float, float] = (1.0, 1.0)  # factor ~ U[low, high]; 0 = grey, 1 = unchanged
    hue_range: tuple[float, float] = (0.0, 0.0)  # turn ~ U[low, high], in fractions of the hue circle
    colour_order: str = "random"  # brightness, contrast, saturation, hue: "random" per variant or "fixed"
    gamma_p: float = 0.0  # chance of the gamma step
    gamma_range: tuple[float, float] = (0.8, 1.25)  # exponent ~ U[low, high]; below 1 brightens
    grayscale_p: float = 0.0  # chance of turning the image grey (the channels are kept)
    autocontrast_p: float = 0.0  # chance of stretching each channel to 0..255
    equalize_p: float = 0.0  # chance of equalising each channel's histogram
    posterize_p: float = 0.0  # chance of keeping only posterize_bits bits per channel
    posterize_bits: int = 4  # 1..8
    solarize_p: float = 0.0  # chance of inverting every value >= solarize_threshold
    solarize_threshold: float = 128.0  # 0..255
    # Blur & noise
    sharpness_p: float = 0.0  # chance of the sharpness step
    sharpness_range: tuple[float, float] = (2.0, 2.0)  # factor ~ U[low, high]; 0 blurs, > 1 sharpens
    blur_p: float = 0.0  # chance of a Gaussian blur
    blur_sigma: tuple[float, float] = (0.1, 2.0)  # pixels; sigma ~ U[low, high], kernel from sigma
    noise_p: float = 0.0  # chance of Gaussian noise
    noise_std: tuple[float, float] = (5.0, 15.0)  # std ~ U[low, high] on the 0..255 scale
    noise_per_channel: bool = True  # False: one noise value per pixel, shared by its colour channels
    jpeg_p: float = 0.0  # chance of a JPEG re-compression
    jpeg_quality: tuple[int, int] = (50, 95)  # quality ~ whole U[low, high], 1..100
    # Erasing (random erasing / cutout)
    erase_p: float = 0.0  # chance of the erasing step
    erase_count: tuple[int, int] = (1, 1)  # boxes ~ whole U[low, high], 1..16
    erase_scale: tuple[float, float] = (0.02, 0.33)  # area of a box / area of the image
    erase_ratio: tuple[float, float] = (0.3, 3.3)  # height / width of a box, log-uniform
    erase_fill: str = "constant"  # "constant" (erase_value) or "noise" (uniform random values)
    erase_value: float = 0.0  # 0..255, for erase_fill="constant"
    # Policy
    policy: str = "none"  # "randaugment" (policy_ops ops at policy_magnitude) or "trivialaugment"
    policy_ops: int = 2  # RandAugment's N
    policy_magnitude: int = 9  # RandAugment's M, 0..30

    def __post_init__(self) -> None:
        zoom = self.zoom_range
        if is_number(zoom):
            zoom = (1.0 - float(zoom), 1.0 + float(zoom))
        object.__setattr__(self, "zoom_range", check_pair("zoom_range", zoom))
        brightness = (1.0, 1.0) if self.brightness_range is None else self.brightness_range
        object.__setattr__(self, "brightness_range", check_pair("brightness_range", brightness))
        for name in ("horizontal_flip", "vertical_flip", "noise_per_channel"):
            check_bool(name, getattr(self, name))
        for name, (low, high, unit) in _LIMITS.items():
            object.__setattr__(self, name, check_float(f"{name} ({unit})", getattr(self, name), low, high))
        for name, (low, high, what) in _RANGES.items():
            object.__setattr__(self, name, _check_range(name, getattr(self, name), low, high, what))
        for name, (low, high) in _INT_RANGES.items():
            object.__setattr__(self, name, _check_int_range(name, getattr(self, name), low, high))
        for name, (low, high) in _INTS.items():
            object.__setattr__(self, name, check_int(name, getattr(self, name), low, high))
        for name in ("crop_height", "crop_width"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be above 0 (up to 1: a fraction; above 1: pixels).")
        check_choice("fill_mode", self.fill_mode, FILL_MODES)
        check_choice("interpolation", self.interpolation, INTERPOLATIONS)
        check_choice("crop", self.crop, CROPS)
        check_choice("colour_order", self.colour_order, COLOUR_ORDERS)
        check_choice("erase_fill", self.erase_fill, ERASE_FILLS)
        check_choice("policy", self.policy, POLICIES)
        # What is switched on, worked out once: sampling and applying read these per image.
        object.__setattr__(self, "_on", _switches(self))

    @property
    def on(self) -> dict[str, bool]:
        """Which steps beyond Keras' can change an image (``crop``, ``resize``, ``jitter``, ...), and
        ``any`` of them."""
        flags = self._on  # type: ignore[attr-defined]
        return {name: flags[name] for name in (*ADDED_STEPS, "any")}

    def shift_pixels(self, height: int, width: int) -> tuple[float, float]:
        """The largest horizontal and vertical shift in pixels for an image (or crop) of this size."""
        sx = self.width_shift_range * width if self.width_shift_range < 1 else self.width_shift_range
        sy = self.height_shift_range * height if self.height_shift_range < 1 else self.height_shift_range
        return sx, sy

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, with the format tag first."""
        data = asdict(self)
        for name, value in data.items():
            if isinstance(value, tuple):
                data[name] = list(value)
        return {"format": CONFIG_FORMAT, **data}

    def to_json(self) -> str:
        """The configuration as indented JSON; :meth:`from_json` reads it back."""
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: Any) -> ImageAugConfig:
        """Build a configuration from a mapping; keys left out take their defaults.

        A mapping tagged ``auglab.image_aug/1`` is read as before (see the module docstring).

        Raises:
            ConfigError: The mapping has unknown keys, another format tag, or values out of range.
        """
        if isinstance(data, dict) and data.get("format") in READ_AS_BEFORE:
            data = {**data, "format": CONFIG_FORMAT}
        return from_mapping(cls, data, "image augmentation configuration", CONFIG_FORMAT)

    @classmethod
    def from_json(cls, text: str) -> ImageAugConfig:
        """Parse :meth:`to_json` output (or a hand-written subset of it).

        Raises:
            ConfigError: The text is not JSON or not a valid configuration.
        """
        return cls.from_dict(parse_json(text, "configuration"))


def _check_range(name: str, value: Any, low: float, high: float, what: str) -> tuple[float, float]:
    lo, hi = check_pair(name, value)
    if not low <= lo <= hi <= high:
        raise ConfigError(f"{name} ({what}) must satisfy {low:g} <= low <= high <= {high:g}, got {(lo, hi)}.")
    return lo, hi


def _check_int_range(name: str, value: Any, low: int, high: int) -> tuple[int, int]:
    if not (isinstance(value, (list, tuple)) and len(value) == 2 and all(is_whole(v) for v in value)):
        raise ConfigError(f"{name} must be a pair of whole numbers [low, high], got {value!r}.")
    lo, hi = int(value[0]), int(value[1])
    if not low <= lo <= hi <= high:
        raise ConfigError(f"{name} must satisfy {low} <= low <= high <= {high}, got {(lo, hi)}.")
    return lo, hi


def _switches(c: ImageAugConfig) -> dict[str, bool]:
    """Which of the steps added after Keras' settings can change an image."""
    on = {
        "crop": c.crop != "none",
        "resize": bool(c.resize_height or c.resize_width),
        "jitter": c.contrast_range != (1.0, 1.0)
        or c.saturation_range != (1.0, 1.0)
        or c.hue_range != (0.0, 0.0),
        "gamma": c.gamma_p > 0 and c.gamma_range != (1.0, 1.0),
        "grayscale": c.grayscale_p > 0,
        "autocontrast": c.autocontrast_p > 0,
        "equalize": c.equalize_p > 0,
        "posterize": c.posterize_p > 0 and c.posterize_bits < 8,
        "solarize": c.solarize_p > 0,
        "sharpness": c.sharpness_p > 0 and c.sharpness_range != (1.0, 1.0),
        "blur": c.blur_p > 0,
        "noise": c.noise_p > 0 and c.noise_std[1] > 0,
        "jpeg": c.jpeg_p > 0,
        "erase": c.erase_p > 0,
        "policy": c.policy != "none",
    }
    on["any"] = any(on.values())
    # Keras' steps: when all are off, their 12 uniforms are skipped rather than read.
    on["keras"] = bool(
        c.rotation_range
        or c.width_shift_range
        or c.height_shift_range
        or c.shear_range
        or c.zoom_range != (1.0, 1.0)
        or (c.horizontal_flip and c.horizontal_flip_p > 0)
        or (c.vertical_flip and c.vertical_flip_p > 0)
        or c.brightness_range != (1.0, 1.0)
        or c.channel_shift_range
    )
    # Anything after the warp (Keras' brightness and channel shift included).
    post = ("jitter", "gamma", "grayscale", "autocontrast", "equalize", "posterize", "solarize")
    post += ("sharpness", "blur", "noise", "jpeg", "erase", "policy")
    on["post"] = (
        any(on[name] for name in post) or c.brightness_range != (1.0, 1.0) or bool(c.channel_shift_range)
    )
    # Which blocks of uniforms sampling reads (core.augment.image.pipeline).
    on["colour_draws"] = any(on[n] for n in ("jitter", "gamma", "grayscale", "autocontrast", "equalize"))
    on["colour_draws"] = on["colour_draws"] or on["posterize"] or on["solarize"]
    on["blur_draws"] = on["sharpness"] or on["blur"] or on["noise"] or on["jpeg"]
    # The colour steps (the lookup-table chain) among them.
    colour = ("jitter", "gamma", "grayscale", "autocontrast", "equalize", "posterize", "solarize", "policy")
    on["colour"] = (
        any(on[name] for name in colour) or c.brightness_range != (1.0, 1.0) or bool(c.channel_shift_range)
    )
    return on


def ratio_bounds(pair: tuple[float, float]) -> tuple[float, float]:
    """A ratio range as the bounds of its logarithm (ratios are drawn log-uniformly)."""
    return math.log(pair[0]), math.log(pair[1])
