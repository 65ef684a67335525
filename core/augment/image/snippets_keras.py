"""An image configuration as the nearest Keras 3 preprocessing layers (``keras.layers.Random*``), the
successor of the deprecated ``ImageDataGenerator``.

Keras is not installed here: the mapping follows Keras 3's documentation, and the tests only parse it.
"""

from __future__ import annotations

import math

from core.augment.image.blur_noise import blur_kernel_size
from core.augment.image.config import ImageAugConfig
from core.augment.image.snippets import (
    Snippet,
    _common_differences,
    _mid,
    _num,
    _output_size,
    _pair,
    _side,
    _sizes_line,
)


def keras3_snippet(config: ImageAugConfig, seed: int = 0) -> Snippet:
    """The nearest Keras 3 preprocessing layers (``keras.layers.Random*``), ImageDataGenerator's successor."""
    c = config
    s = f"seed={seed}"
    vr = "value_range=(0, 255)"
    layers: list[str] = []
    d: list[str] = _common_differences(c, "Keras")
    d.append(
        "Keras is not installed here: this mapping follows Keras 3's documentation and is only checked to "
        "parse."
    )
    fill = f'fill_mode="{c.fill_mode}"' + (
        f", fill_value={_num(c.cval)}" if c.fill_mode == "constant" else ""
    )
    interp = f'interpolation="{c.interpolation}"'
    size = _output_size(c)
    if c.crop == "random_resized":
        d.append("Keras has no RandomResizedCrop: RandomCrop to a box of the middle scale, then Resizing.")
        side = math.sqrt(_mid(c.crop_scale))
        layers.append(f"layers.RandomCrop(round({side:.4g} * H), round({side:.4g} * W), {s})")
        layers.append(f"layers.Resizing(*{size or '(H, W)'}, {interp})")
    elif c.crop in ("random", "centre"):
        name = "RandomCrop" if c.crop == "random" else "CenterCrop"
        extra = f", {s}" if c.crop == "random" else ""
        layers.append(f"layers.{name}({_side(c.crop_height, 'H')}, {_side(c.crop_width, 'W')}{extra})")
        if size is not None:
            layers.append(f"layers.Resizing(*{size}, {interp})")
    elif size is not None:
        layers.append(f"layers.Resizing(*{size}, {interp})")
    modes = [m for m, on in (("horizontal", c.horizontal_flip), ("vertical", c.vertical_flip)) if on]
    if modes:
        layers.append(f'layers.RandomFlip("{"_and_".join(modes)}", {s})')
        if (c.horizontal_flip and c.horizontal_flip_p != 0.5) or (
            c.vertical_flip and c.vertical_flip_p != 0.5
        ):
            d.append("RandomFlip mirrors with probability 1/2; AugLab's flip probabilities differ.")
    if c.rotation_range:
        layers.append(f"layers.RandomRotation({c.rotation_range / 360:.4g}, {fill}, {interp}, {s})")
    tx, ty = c.width_shift_range, c.height_shift_range
    if tx or ty:
        hf = f"{ty:g}" if ty < 1 else f"{ty:g} / H"
        wf = f"{tx:g}" if tx < 1 else f"{tx:g} / W"
        layers.append(f"layers.RandomTranslation({hf}, {wf}, {fill}, {interp}, {s})")
    if c.shear_range:
        k = math.tan(math.radians(c.shear_range))
        layers.append(f"layers.RandomShear(x_factor={k:.4g}, {fill}, {interp}, {s})")
        d.append("RandomShear's factor is taken as tan(shear); its direction convention may differ.")
    zlo, zhi = c.zoom_range
    if (zlo, zhi) != (1, 1):
        # Keras: a positive factor zooms out; AugLab's zoom z shows the content z times larger.
        lo, hi = 1 / zhi - 1, 1 / zlo - 1
        layers.append(f"layers.RandomZoom(({lo:.4g}, {hi:.4g}), ({lo:.4g}, {hi:.4g}), {fill}, {interp}, {s})")
        d.append("RandomZoom draws one factor per axis like AugLab, uniform in 1/zoom rather than in zoom.")
    jitter = []
    if c.brightness_range != (1.0, 1.0):
        jitter.append(f"brightness_factor=({c.brightness_range[0] - 1:.4g}, {c.brightness_range[1] - 1:.4g})")
        d.append("Keras' brightness adds a fraction of 255; AugLab's (Keras 2's) multiplies.")
    if c.contrast_range != (1.0, 1.0):
        jitter.append(f"contrast_factor=({1 - c.contrast_range[0]:.4g}, {c.contrast_range[1] - 1:.4g})")
    if c.saturation_range != (1.0, 1.0):
        lo, hi = (v / (1 + v) for v in c.saturation_range)
        jitter.append(f"saturation_factor=({lo:.4g}, {hi:.4g})")
        d.append("Keras' saturation factor 0.5 changes nothing: AugLab's factor s is written as s / (1 + s).")
    if c.hue_range != (0.0, 0.0):
        jitter.append(f"hue_factor={2 * max(abs(v) for v in c.hue_range):.4g}")
        d.append("Keras' hue factor is one symmetric strength; AugLab's hue range may be asymmetric.")
    if jitter:
        layers.append(f"layers.RandomColorJitter({vr}, {', '.join(jitter)}, {s})")
    if c.channel_shift_range:
        d.append("Keras 3 has no channel shift.")
    if c.on["grayscale"]:
        layers.append(f"layers.RandomGrayscale(factor={_num(c.grayscale_p)}, {s})")
    for on, layer in (
        (c.on["autocontrast"], f"layers.AutoContrast({vr})"),
        (c.on["equalize"], f"layers.Equalization({vr})"),
        (c.on["posterize"], f"layers.RandomPosterization(factor={c.posterize_bits}, {vr}, {s})"),
        (
            c.on["solarize"],
            f"layers.Solarization(threshold_factor=({c.solarize_threshold / 255:.4g}, "
            f"{c.solarize_threshold / 255:.4g}), {vr}, {s})",
        ),
    ):
        if on:
            layers.append(layer)
    if c.on["autocontrast"] or c.on["equalize"] or c.on["posterize"] or c.on["solarize"]:
        d.append(
            "AutoContrast, Equalization, RandomPosterization and Solarization run on every image; AugLab "
            "runs each with its probability."
        )
    if c.on["gamma"]:
        d.append("Keras 3 has no gamma layer.")
    if c.on["sharpness"]:
        layers.append(f"layers.RandomSharpness(factor={_pair(c.sharpness_range)}, {vr}, {s})")
        d.append("RandomSharpness' factor scale is Keras' own; AugLab's is torchvision's.")
    if c.on["blur"]:
        k = blur_kernel_size(c.blur_sigma[1])
        layers.append(
            f"layers.RandomGaussianBlur(factor={_num(c.blur_p)}, kernel_size={k}, "
            f"sigma={_pair(c.blur_sigma)}, {vr}, {s})"
        )
        d.append("RandomGaussianBlur's kernel size is fixed; its factor is a strength, not a probability.")
    if c.on["noise"]:
        layers.append(f"layers.GaussianNoise(stddev={_mid(c.noise_std):.4g}, {s})")
        d.append("GaussianNoise has one std and no probability, and acts only with training=True.")
    if c.on["jpeg"]:
        d.append("Keras 3 has no JPEG re-compression layer.")
    if c.on["erase"]:
        fill_value = "None" if c.erase_fill == "noise" else _num(c.erase_value)
        layers.append(
            f"layers.RandomErasing(factor={_num(c.erase_p)}, scale={_pair(c.erase_scale)}, "
            f"fill_value={fill_value}, {vr}, {s})"
        )
        d.append("RandomErasing erases one box with no aspect-ratio range of its own.")
    if c.policy == "randaugment":
        layers.append(
            f"layers.RandAugment({vr}, num_ops={c.policy_ops}, factor={c.policy_magnitude / 30:.4g}, {s})"
        )
    elif c.policy == "trivialaugment":
        layers.append(f"layers.RandAugment({vr}, num_ops=1, factor=1.0, {s})")
        d.append(
            "Keras has no TrivialAugmentWide: RandAugment with one operation at full strength is nearest."
        )
    if c.policy != "none":
        d.append("Keras' RandAugment has its own operation list and magnitude scale.")
    body = ",\n    ".join(layers) if layers else "layers.Identity()"
    sizes = _sizes_line(body)
    code = f"""import keras
from keras import layers

{sizes}augment = keras.Sequential([
    {body},
])
out = augment(images, training=True)  # images: a float batch NxHxWxC on 0..255
"""
    return Snippet("Keras 3 preprocessing layers", code, tuple(d))
