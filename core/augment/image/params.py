"""The parameters of one augmented variant, as sampled: plain values that applying replays exactly.

One flat record, so that the preview's table, the CLI's ``params.jsonl`` and an export's manifest list
every parameter of a variant side by side. Its first ten fields are those of AugLab's affine engine
(``AffineParams``, the name it keeps); a field added since holds a neutral value unless its step ran,
and :meth:`ImageParams.to_dict` leaves such neutral fields out, so a configuration of Keras' settings
only records what it always recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

# The affine engine's fields: always listed by to_dict, in this order.
LEGACY_FIELDS = (
    "theta",
    "tx",
    "ty",
    "shear",
    "zx",
    "zy",
    "flip_h",
    "flip_v",
    "brightness",
    "channel_shift",
)


@dataclass(frozen=True)
class ImageParams:
    """The parameters of one augmentation, as sampled; applying them is deterministic.

    Pixel quantities refer to the image they were sampled for: the crop box to the source image, the
    shifts, the policy's translations and the erased boxes to the output (after crop and resize).
    """

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
    crop_box: tuple[float, ...] = ()  # (x, y, width, height) of the source region shown, pixels; () = all
    out_size: tuple[int, ...] = ()  # (height, width) of the output, pixels; () = the source's size
    colour_order: tuple[str, ...] = ()  # the order of brightness, contrast, saturation, hue (when jittered)
    contrast: float = 1.0  # blend with the mean grey level; 1 = unchanged
    saturation: float = 1.0  # blend with the pixel's grey level; 1 = unchanged
    hue: float = 0.0  # turn of the hue circle, fraction in [-0.5, 0.5]
    gamma: float = 1.0  # exponent on the 0..1 scale
    grayscale: bool = False  # grey in every colour channel
    autocontrast: bool = False  # stretch each channel's range to 0..255
    equalize: bool = False  # equalise each channel's histogram
    posterize_bits: int = 8  # bits kept per channel; 8 = unchanged
    solarize_threshold: float = 256.0  # invert values >= this; 256 = unchanged
    sharpness: float = 1.0  # blend with a 3x3 smoothed image; 1 = unchanged, > 1 sharpens
    blur_sigma: float = 0.0  # Gaussian blur sigma in pixels; 0 = none
    noise_std: float = 0.0  # Gaussian noise standard deviation on the 0..255 scale; 0 = none
    noise_seed: int = 0  # where the noise values come from (see core.augment.image.blur_noise)
    jpeg_quality: int = 0  # JPEG re-compression quality 1..100; 0 = none
    erase_boxes: tuple[tuple[int, int, int, int], ...] = ()  # (x, y, width, height) per erased box
    erase_seed: int = 0  # the values of noise-filled boxes
    policy: tuple[tuple[str, float], ...] = ()  # RandAugment / TrivialAugment: (operation, magnitude)

    def to_dict(self) -> dict[str, Any]:
        """Plain values rounded for display and manifests (4 decimals); neutral added fields left out."""
        out: dict[str, Any] = {}
        for name in LEGACY_FIELDS:
            out[name] = _plain(getattr(self, name))
        for name, default in _ADDED_DEFAULTS:
            value = getattr(self, name)
            if value != default:
                out[name] = _plain(value)
        return out

    def for_source_scale(self, sy: float, sx: float) -> ImageParams:
        """The same variant for the source image resized by ``sy`` vertically and ``sx`` horizontally.

        The crop box is in the source's pixels, so it is scaled. With an output size of its own
        (``out_size``) the output is unchanged and so is everything measured on it; without one the
        output is the source's size, so the shifts, the policy's translations, the erased boxes and
        the blur sigma scale too. The preview uses it to draw a large photo's variants from a
        reduced copy.
        """
        changes: dict[str, Any] = {}
        if self.crop_box:
            x, y, w, h = self.crop_box
            changes["crop_box"] = (x * sx, y * sy, w * sx, h * sy)
        if not self.out_size:
            changes.update(tx=self.tx * sx, ty=self.ty * sy, blur_sigma=self.blur_sigma * (sx * sy) ** 0.5)
            if self.erase_boxes:
                changes["erase_boxes"] = tuple(
                    (round(x * sx), round(y * sy), max(1, round(w * sx)), max(1, round(h * sy)))
                    for x, y, w, h in self.erase_boxes
                )
            if self.policy:
                scale = {"TranslateX": sx, "TranslateY": sy}
                changes["policy"] = tuple((op, m * scale.get(op, 1.0)) for op, m in self.policy)
        return replace(self, **changes)

    @classmethod
    def make(cls, values: dict[str, Any]) -> ImageParams:
        """Build from sampled values without the per-field checks of ``__init__`` (a few microseconds
        per variant, which the per-operation benchmarks notice); fields left out take their defaults."""
        obj = object.__new__(cls)
        state = obj.__dict__
        state.update(_DEFAULTS)
        state.update(values)
        return obj


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return round(value, 4)
    return value


_ADDED_DEFAULTS = tuple(
    (f.name, f.default) for f in fields(ImageParams) if f.name not in LEGACY_FIELDS
)  # fmt: skip

_DEFAULTS = {f.name: f.default for f in fields(ImageParams)}

AffineParams = ImageParams
"""The name of AugLab's affine engine's parameters, kept for code that uses it."""
