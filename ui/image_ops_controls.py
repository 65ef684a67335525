"""The Images page's augmentation controls, grouped as the pipeline runs: Geometry, Crop & size, Colour,
Blur & noise, Erasing, Policy. A group whose steps are all off starts collapsed.

Every control is keyed ``img.<ImageAugConfig field>`` (see ui.common): presets and loaded configurations
write those keys, and the workspace keeps them.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.augment.image import (
    COLOUR_ORDERS,
    CROPS,
    ERASE_FILLS,
    FILL_MODES,
    INTERPOLATIONS,
    POLICIES,
)
from core.augment.image.config import MAX_ERASE_COUNT, MAX_POLICY_OPS, MAX_SIDE
from ui.common import KEEP

PREFIX = "img"
CROP_NAMES = {
    "none": "None",
    "random": "Random crop",
    "centre": "Centre crop",
    "random_resized": "Random resized crop",
}
POLICY_NAMES = {"none": "None", "randaugment": "RandAugment (N, M)", "trivialaugment": "TrivialAugmentWide"}


def key(name: str) -> str:
    """The session key of the widget for ``ImageAugConfig`` field ``name``."""
    return f"{PREFIX}.{name}"


def _value(name: str) -> Any:
    return st.session_state.get(key(name))


def _slider(where: Any, name: str, label: str, low: float, high: float, step: float, help: str) -> Any:
    return where.slider(label, low, high, step=step, key=key(name), persist_state=KEEP, help=help)


def _chance(where: Any, name: str, label: str, help: str) -> float:
    return _slider(where, name, label, 0.0, 1.0, 0.05, help)


def _expander(where: Any, title: str, on: bool) -> Any:
    return where.expander(title + (" (on)" if on else ""), expanded=on)


def geometry(where: Any) -> None:
    """Keras' affine settings, the flips and their chances, fill and interpolation."""
    on = bool(_value("rotation_range") or _value("width_shift_range") or _value("height_shift_range"))
    on = on or bool(_value("shear_range") or _value("horizontal_flip") or _value("vertical_flip"))
    on = on or tuple(_value("zoom_range") or (1.0, 1.0)) != (1.0, 1.0)
    box = _expander(where, "Geometry", on)
    _slider(
        box,
        "rotation_range",
        "Rotation range (±degrees)",
        0.0,
        180.0,
        1.0,
        "Angle ~ U[-r, r]; positive turns content counter-clockwise.",
    )
    c1, c2 = box.columns(2)
    shift_help = "Below 1: a fraction of the size. 1 and above: pixels. Drawn from U[-s, s]. Moves content "
    for col, name, label, where_to in (
        (c1, "width_shift_range", "Width shift", "left/right."),
        (c2, "height_shift_range", "Height shift", "up/down."),
    ):
        col.number_input(
            label, 0.0, 10_000.0, step=0.05, key=key(name), persist_state=KEEP, help=shift_help + where_to
        )
    _slider(
        box,
        "shear_range",
        "Shear range (±degrees)",
        0.0,
        80.0,
        1.0,
        "Vertical lines lean by an angle ~ U[-s, s].",
    )
    _slider(
        box,
        "zoom_range",
        "Zoom range",
        0.1,
        5.0,
        0.01,
        "x and y zoom drawn independently from [low, high]; above 1 enlarges the content.",
    )
    c1, c2 = box.columns(2)
    c1.toggle("Horizontal flip", key=key("horizontal_flip"), persist_state=KEEP, help="Mirror left-right.")
    c2.toggle("Vertical flip", key=key("vertical_flip"), persist_state=KEEP, help="Mirror top-bottom.")
    c1.slider("p (horizontal)", 0.0, 1.0, step=0.05, key=key("horizontal_flip_p"), persist_state=KEEP)
    c2.slider("p (vertical)", 0.0, 1.0, step=0.05, key=key("vertical_flip_p"), persist_state=KEEP)
    c1, c2 = box.columns(2)
    fill = c1.selectbox(
        "Fill mode",
        FILL_MODES,
        key=key("fill_mode"),
        persist_state=KEEP,
        help="constant: cval; nearest: repeat the edge; reflect: mirror at the edge; wrap: tile the image.",
    )
    c2.number_input(
        "cval",
        0.0,
        255.0,
        step=1.0,
        key=key("cval"),
        persist_state=KEEP,
        help="Fill value for the constant mode.",
        disabled=fill != "constant",
    )
    box.selectbox("Interpolation", INTERPOLATIONS, key=key("interpolation"), persist_state=KEEP)


def crop_and_size(where: Any) -> None:
    """Crops (torchvision's rules) and the output size, folded into the same warp."""
    crop = _value("crop") or "none"
    box = _expander(
        where, "Crop & size", crop != "none" or bool(_value("resize_height") or _value("resize_width"))
    )
    crop = box.selectbox(
        "Crop",
        CROPS,
        format_func=CROP_NAMES.get,
        key=key("crop"),
        persist_state=KEEP,
        help="Random resized crop: torchvision's RandomResizedCrop rule (area and aspect ranges).",
    )
    c1, c2 = box.columns(2)
    side_help = "Up to 1: a fraction of the image's side. Above 1: pixels."
    for col, name, label in ((c1, "crop_height", "Crop height"), (c2, "crop_width", "Crop width")):
        col.number_input(
            label,
            0.0,
            float(MAX_SIDE),
            step=0.05,
            key=key(name),
            persist_state=KEEP,
            help=side_help,
            disabled=crop not in ("random", "centre"),
        )
    _slider(
        box,
        "crop_scale",
        "Area of the crop",
        0.0,
        1.0,
        0.01,
        "Random resized crop: fraction of the image's area.",
    )
    _slider(
        box,
        "crop_ratio",
        "Aspect ratio (width / height)",
        0.05,
        20.0,
        0.01,
        "Random resized crop: drawn log-uniformly.",
    )
    c1, c2 = box.columns(2)
    size_help = "Output size in pixels; 0 keeps it (one of the two 0: the aspect ratio is kept)."
    for col, name, label in ((c1, "resize_height", "Resize height"), (c2, "resize_width", "Resize width")):
        col.number_input(label, 0, MAX_SIDE, step=1, key=key(name), persist_state=KEEP, help=size_help)


def colour(where: Any) -> None:
    """Keras' brightness and channel shift, torchvision's ColorJitter factors and the colour steps."""
    on = tuple(_value("brightness_range") or (1.0, 1.0)) != (1.0, 1.0) or bool(_value("channel_shift_range"))
    on = on or any(
        tuple(_value(n) or neutral) != neutral
        for n, neutral in (
            ("contrast_range", (1.0, 1.0)),
            ("saturation_range", (1.0, 1.0)),
            ("hue_range", (0.0, 0.0)),
        )
    )
    on = on or any(
        _value(f"{n}_p") for n in ("gamma", "grayscale", "autocontrast", "equalize", "posterize", "solarize")
    )
    box = _expander(where, "Colour", on)
    _slider(
        box,
        "brightness_range",
        "Brightness range",
        0.0,
        5.0,
        0.01,
        "Multiplier ~ U[low, high]; (1, 1) is off.",
    )
    _slider(
        box,
        "channel_shift_range",
        "Channel shift range",
        0.0,
        255.0,
        1.0,
        "Each colour channel gets + U[-s, s], then is clipped to 0..255.",
    )
    _slider(
        box, "contrast_range", "Contrast range", 0.0, 5.0, 0.01, "Blend with the mean grey; (1, 1) is off."
    )
    _slider(
        box, "saturation_range", "Saturation range", 0.0, 5.0, 0.01, "0 is grey, 1 unchanged; (1, 1) is off."
    )
    _slider(
        box, "hue_range", "Hue range (turns)", -0.5, 0.5, 0.01, "Fraction of the hue circle; (0, 0) is off."
    )
    box.radio(
        "Colour order",
        COLOUR_ORDERS,
        horizontal=True,
        key=key("colour_order"),
        persist_state=KEEP,
        help="random: brightness, contrast, saturation and hue in an order drawn per variant (ColorJitter).",
    )
    c1, c2 = box.columns(2)
    _chance(c1, "gamma_p", "Gamma p", "Chance of the gamma step.")
    _slider(
        c2, "gamma_range", "Gamma range", 0.05, 10.0, 0.01, "Exponent on the 0..1 scale; below 1 brightens."
    )
    _chance(c1, "grayscale_p", "Grayscale p", "Chance of turning the image grey.")
    _chance(c2, "autocontrast_p", "Autocontrast p", "Chance of stretching each channel to 0..255.")
    _chance(c1, "equalize_p", "Equalise p", "Chance of equalising each channel's histogram.")
    _chance(c2, "posterize_p", "Posterize p", "Chance of keeping only the top bits.")
    c1.slider("Posterize bits", 1, 8, key=key("posterize_bits"), persist_state=KEEP)
    _chance(c2, "solarize_p", "Solarize p", "Chance of inverting values at or above the threshold.")
    box.slider("Solarize threshold", 0.0, 255.0, step=1.0, key=key("solarize_threshold"), persist_state=KEEP)


def blur_and_noise(where: Any) -> None:
    """Sharpness, Gaussian blur, Gaussian noise and JPEG re-compression."""
    on = any(_value(f"{n}_p") for n in ("sharpness", "blur", "noise", "jpeg"))
    box = _expander(where, "Blur & noise", on)
    c1, c2 = box.columns(2)
    _chance(c1, "sharpness_p", "Sharpness p", "Chance of the sharpness step.")
    _slider(
        c2, "sharpness_range", "Sharpness range", 0.0, 10.0, 0.05, "0 blurs, 1 unchanged, above 1 sharpens."
    )
    _chance(c1, "blur_p", "Blur p", "Chance of a Gaussian blur.")
    _slider(c2, "blur_sigma", "Blur sigma (px)", 0.05, 50.0, 0.05, "Kernel side: round(6 sigma + 1) | 1.")
    _chance(c1, "noise_p", "Noise p", "Chance of Gaussian noise.")
    _slider(c2, "noise_std", "Noise std", 0.0, 255.0, 0.5, "On the 0..255 scale.")
    box.toggle(
        "Noise per channel",
        key=key("noise_per_channel"),
        persist_state=KEEP,
        help="Off: one value per pixel.",
    )
    c1, c2 = box.columns(2)
    _chance(c1, "jpeg_p", "JPEG p", "Chance of a JPEG re-compression.")
    c2.slider("JPEG quality", 1, 100, key=key("jpeg_quality"), persist_state=KEEP)


def erasing(where: Any) -> None:
    """Random erasing / cutout boxes."""
    box = _expander(where, "Erasing", bool(_value("erase_p")))
    c1, c2 = box.columns(2)
    _chance(c1, "erase_p", "Erasing p", "Chance of the erasing step.")
    c2.slider(
        "Boxes", 1, MAX_ERASE_COUNT, key=key("erase_count"), persist_state=KEEP, help="Count ~ U[low, high]."
    )
    _slider(box, "erase_scale", "Box area", 0.0, 1.0, 0.01, "Fraction of the image's area.")
    _slider(box, "erase_ratio", "Box aspect (height / width)", 0.05, 20.0, 0.05, "Drawn log-uniformly.")
    c1, c2 = box.columns(2)
    fill = c1.selectbox(
        "Fill", ERASE_FILLS, key=key("erase_fill"), persist_state=KEEP, help="noise: uniform 0..255."
    )
    c2.number_input(
        "Fill value",
        0.0,
        255.0,
        step=1.0,
        key=key("erase_value"),
        persist_state=KEEP,
        disabled=fill != "constant",
    )


def policy(where: Any) -> None:
    """RandAugment and TrivialAugmentWide over AugLab's operations."""
    box = _expander(where, "Policy", (_value("policy") or "none") != "none")
    chosen = box.selectbox(
        "Policy",
        POLICIES,
        format_func=POLICY_NAMES.get,
        key=key("policy"),
        persist_state=KEEP,
        help="The drawn operations and magnitudes are listed per variant.",
    )
    c1, c2 = box.columns(2)
    c1.slider(
        "N (operations)",
        1,
        MAX_POLICY_OPS,
        key=key("policy_ops"),
        persist_state=KEEP,
        disabled=chosen != "randaugment",
    )
    c2.slider(
        "M (magnitude)",
        0,
        30,
        key=key("policy_magnitude"),
        persist_state=KEEP,
        disabled=chosen != "randaugment",
    )


GROUPS = (geometry, crop_and_size, colour, blur_and_noise, erasing, policy)
