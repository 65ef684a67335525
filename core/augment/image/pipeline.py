"""The pipeline: sample every parameter of a variant, then apply them in a fixed, documented order.

Sampling is apart from applying (the albumentations split): :func:`sample_params` draws plain
:class:`ImageParams` from a generator passed in; :func:`apply_params` is deterministic and never
modifies its input; :func:`augment` is the two together for variant ``v`` of item ``i`` under a seed.

The order of the steps:

1. Geometry, one warp: crop box and resize, flips, zoom, shear, rotation, shift, then the policy's
   geometric operations (:mod:`core.augment.image.affine`).
2. Colour jitter: brightness (Keras' channel shift, then its brightness factor), contrast,
   saturation, hue, in an order drawn per variant (``colour_order="random"``, as ColorJitter) or in
   that order (``"fixed"``).
3. The policy's colour operations, in the order drawn (:mod:`core.augment.image.policy`).
4. Gamma, grayscale, autocontrast, equalise, posterize, solarize, each with its probability.
5. Sharpness, Gaussian blur, Gaussian noise, JPEG re-compression, each with its probability.
6. Erasing: the boxes are drawn on the output (after crop and resize).

Randomness. Each parameter reads the uniform at a fixed position of the variant's stream whatever the
configuration, so moving one slider rescales its own parameter and leaves every other draw of every
variant where it was: positions 0-11 for Keras' steps (as AugLab has always drawn them), then a block
per added step (crop, colour, blur and noise, policy, erasing: the ``_AT`` offsets, :data:`EXTRA_DRAWS`
in all). A block is read only when its step is on; the generator is advanced past the others, which
gives the same numbers as drawing them. A configuration of Keras' settings alone reads positions 0-11
only, so it gives exactly the parameters and pixels it always gave.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

import core.augment.image.blur_noise as blur_noise
import core.augment.image.colour as colour
import core.augment.image.crop as crop
import core.augment.image.erasing as erasing
import core.augment.image.policy as policy
from core.augment.image._checks import check_image, colour_channels
from core.augment.image.affine import apply_affine, apply_geometry, geometry, is_identity
from core.augment.image.config import MAX_ERASE_COUNT, MAX_POLICY_OPS, ImageAugConfig
from core.augment.image.params import ImageParams
from core.config import MAX_SEED, check_seed
from core.seeding import numpy_rng

JITTER = ("brightness", "contrast", "saturation", "hue")  # the fixed colour order
KERAS_DRAWS = 12
# Offsets of each step's uniforms in the block drawn after Keras' 12.
_AT_CROP = 0
_AT_COLOUR = _AT_CROP + crop.DRAWS  # 4 for the order, 3 jitter factors, gamma, 6 chances
_AT_BLUR = _AT_COLOUR + 16  # sharpness (2), blur (2), noise (3), jpeg (2)
_AT_POLICY = _AT_BLUR + 12
_AT_ERASE = _AT_POLICY + MAX_POLICY_OPS * policy.DRAWS_PER_OP  # chance, count, then the boxes
EXTRA_DRAWS = _AT_ERASE + 2 + MAX_ERASE_COUNT * erasing.DRAWS_PER_BOX
_SEED_SCALE = float(2**53)  # a uniform as a whole-number seed for noise and fills


def sample_params(config: ImageAugConfig, rng: np.random.Generator, height: int, width: int) -> ImageParams:
    """Draw the parameters of one augmentation.

    Args:
        config: The ranges and chances to sample from.
        rng: The only source of randomness, a variant's own stream (:func:`variant_rng`): read at the
            positions the module docstring gives (a PCG64 generator is advanced past unread ones).
        height: Image height in pixels (fractional shifts and crops are relative to the size).
        width: Image width in pixels.

    Returns:
        Parameters within the configured bounds.
    """
    on = config._on  # type: ignore[attr-defined]
    if not on["any"]:
        u = rng.random(KERAS_DRAWS).tolist()  # plain floats: parameters print and serialise cleanly
        return ImageParams.make(_keras(config, u, height, width))
    draws = _Draws(rng)
    u = draws.block(-KERAS_DRAWS, KERAS_DRAWS) if on["keras"] else None
    box: tuple[float, ...] = ()
    size: tuple[int, ...] = ()
    if on["crop"] or on["resize"]:
        box, size = crop.sample_crop(config, draws.block(_AT_CROP, crop.DRAWS), height, width)
    out_h, out_w = size or (height, width)
    values = _keras(config, u, out_h, out_w) if u is not None else {}
    values["crop_box"] = box
    values["out_size"] = size
    _sample_added(config, on, draws, out_h, out_w, values)
    return ImageParams.make(values)


class _Draws:
    """The uniforms after Keras' 12, read by offset: a block is drawn only when its step is on, and
    the generator is advanced past the blocks in between (the same numbers as drawing them all)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._at = -KERAS_DRAWS  # uniforms consumed, counted from the end of Keras' 12

    def block(self, start: int, count: int) -> list[float]:
        if start < self._at:
            raise ValueError("blocks must be read in order")
        skip = start - self._at
        if skip:
            bits = self._rng.bit_generator
            if hasattr(bits, "advance"):
                bits.advance(skip)  # PCG64: one 64-bit output per uniform double
            else:
                self._rng.random(skip)
        self._at = start + count
        return self._rng.random(count).tolist()


def _keras(config: ImageAugConfig, u: list[float], height: int, width: int) -> dict:
    """Keras' parameters from the first 12 uniforms, shifts relative to a ``height x width`` output."""
    sx, sy = config.shift_pixels(height, width)
    zlo, zhi = config.zoom_range
    blo, bhi = config.brightness_range
    cs = config.channel_shift_range

    def sym(limit: float, draw: float) -> float:
        return limit * (2.0 * draw - 1.0) + 0.0  # + 0.0 turns the -0.0 of a zero range into 0.0

    return {
        "theta": sym(config.rotation_range, u[0]),
        "tx": sym(sx, u[1]),
        "ty": sym(sy, u[2]),
        "shear": sym(config.shear_range, u[3]),
        "zx": zlo + (zhi - zlo) * u[4],
        "zy": zlo + (zhi - zlo) * u[5],
        "flip_h": config.horizontal_flip and u[6] < config.horizontal_flip_p,
        "flip_v": config.vertical_flip and u[7] < config.vertical_flip_p,
        "brightness": blo + (bhi - blo) * u[8],
        "channel_shift": (sym(cs, u[9]), sym(cs, u[10]), sym(cs, u[11])),
    }


def _between(pair: tuple[float, float], draw: float) -> float:
    return pair[0] + (pair[1] - pair[0]) * draw


def _sample_added(
    config: ImageAugConfig, on: dict[str, bool], draws: _Draws, h: int, w: int, out: dict
) -> None:
    """Add to ``out`` the parameters of the steps added after Keras' settings, for an ``h x w`` output."""
    c = config
    if on["colour_draws"]:
        e = draws.block(_AT_COLOUR, _AT_BLUR - _AT_COLOUR)
        if on["jitter"]:
            draws_of = dict(zip(JITTER, e[:4], strict=True))  # the order: by four uniforms, as a permutation
            order = JITTER if c.colour_order == "fixed" else tuple(sorted(JITTER, key=draws_of.get))
            out.update(
                colour_order=order,
                contrast=_between(c.contrast_range, e[4]),
                saturation=_between(c.saturation_range, e[5]),
                hue=_between(c.hue_range, e[6]) + 0.0,
            )
        if on["gamma"] and e[8] < c.gamma_p:
            out["gamma"] = _between(c.gamma_range, e[7])
        for k, name in enumerate(("grayscale", "autocontrast", "equalize")):
            if on[name] and e[9 + k] < getattr(c, f"{name}_p"):
                out[name] = True
        if on["posterize"] and e[12] < c.posterize_p:
            out["posterize_bits"] = c.posterize_bits
        if on["solarize"] and e[13] < c.solarize_p:
            out["solarize_threshold"] = c.solarize_threshold
    if on["blur_draws"]:
        e = draws.block(_AT_BLUR, _AT_POLICY - _AT_BLUR)
        if on["sharpness"] and e[0] < c.sharpness_p:
            out["sharpness"] = _between(c.sharpness_range, e[1])
        if on["blur"] and e[2] < c.blur_p:
            out["blur_sigma"] = _between(c.blur_sigma, e[3])
        if on["noise"] and e[4] < c.noise_p:
            out.update(noise_std=_between(c.noise_std, e[5]), noise_seed=int(e[6] * _SEED_SCALE))
        if on["jpeg"] and e[7] < c.jpeg_p:
            lo, hi = c.jpeg_quality
            out["jpeg_quality"] = lo + min(hi - lo, int(e[8] * (hi - lo + 1)))
    if on["policy"]:
        ops = 1 if c.policy == "trivialaugment" else c.policy_ops
        out["policy"] = policy.sample_policy(c, draws.block(_AT_POLICY, ops * policy.DRAWS_PER_OP), h, w)
    if on["erase"]:
        head = draws.block(_AT_ERASE, 2)
        if head[0] < c.erase_p:
            lo, hi = c.erase_count
            count = lo + min(hi - lo, int(head[1] * (hi - lo + 1)))
            u = draws.block(_AT_ERASE + 2, count * erasing.DRAWS_PER_BOX)
            boxes = erasing.sample_boxes(c, u, count, h, w)
            out["erase_boxes"] = boxes
            if boxes and c.erase_fill == "noise":
                out["erase_seed"] = int(head[1] * _SEED_SCALE) ^ int(u[0] * _SEED_SCALE)


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


Record = Callable[[str, str, np.ndarray], None]


def post_warp(
    image: np.ndarray, p: ImageParams, config: ImageAugConfig, record: Record | None = None
) -> np.ndarray:
    """Steps 2-6 of the module docstring on the warped image (which may be returned as it is).

    Pointwise colour steps next to each other share one lookup table (:class:`colour.Chain`).
    ``record(name, what it did, image)`` is called after each stage when given (the colour steps
    together, then sharpness, blur, noise, JPEG and erasing each): the picture strip.
    """
    if not config._on["colour"]:  # type: ignore[attr-defined]
        return _after_colour(image, p, config, record)
    colours = colour_channels(image)
    ch = colour.Chain(image)
    done: list[str] = []
    for step in p.colour_order or JITTER:
        if step == "brightness" and not colour.is_photometric_identity(p):
            if config._on["any"]:  # type: ignore[attr-defined]
                ch.then(colour.keras_op(p))
            else:  # Keras' settings alone: the table AugLab's photometric step always used (same bytes)
                ch.then(colour.table_op(colour.keras_luts(p, colours)))
        elif step == "contrast" and p.contrast != 1.0:
            ch.then(colour.contrast_op(p.contrast, colour.grey_mean(ch.image())))
        elif step == "saturation" and p.saturation != 1.0 and colours == 3:
            ch.then(colour.saturation_op(p.saturation))
        elif step == "hue" and p.hue != 0.0 and colours == 3:
            ch.set(colour.hue(ch.image(), p.hue))
        else:
            continue
        done.append(step)
    if p.policy and any(op not in policy.GEOMETRIC and op != "Identity" for op, _ in p.policy):
        policy.apply_policy_colour(ch, p.policy)
        done.append("policy colour")
    if p.gamma != 1.0:
        ch.then(colour.table_op(colour.gamma_lut(p.gamma)))
        done.append("gamma")
    if p.grayscale and colours == 3:
        ch.then(colour.grayscale_op())
        done.append("grayscale")
    if p.autocontrast:
        ch.then(colour.table_op(colour.autocontrast_luts(ch.image())))
        done.append("autocontrast")
    if p.equalize:
        ch.then(colour.table_op(colour.equalize_luts(ch.image())))
        done.append("equalize")
    if p.posterize_bits < 8:
        ch.then(colour.table_op(colour.posterize_lut(p.posterize_bits)))
        done.append("posterize")
    if p.solarize_threshold <= 255:
        ch.then(colour.table_op(colour.solarize_lut(p.solarize_threshold)))
        done.append("solarize")
    out = ch.image()
    if record is not None and done:
        record("colour", ", ".join(done), out)
    return _after_colour(out, p, config, record)


def _after_colour(
    out: np.ndarray, p: ImageParams, config: ImageAugConfig, record: Record | None
) -> np.ndarray:
    """Steps 5 and 6: sharpness, blur, noise, JPEG, erasing."""
    if p.sharpness != 1.0:
        out = colour.sharpness_blend(out, p.sharpness)
        if record is not None:
            record("sharpness", f"factor {p.sharpness:.2f}", out)
    if p.blur_sigma > 0:
        out = blur_noise.gaussian_blur(out, p.blur_sigma)
        if record is not None:
            record("blur", f"sigma {p.blur_sigma:.2f} px", out)
    if p.noise_std > 0:
        out = blur_noise.gaussian_noise(out, p.noise_std, p.noise_seed, config.noise_per_channel)
        if record is not None:
            record("noise", f"std {p.noise_std:.1f}", out)
    if p.jpeg_quality > 0:
        out = blur_noise.jpeg(out, p.jpeg_quality)
        if record is not None:
            record("jpeg", f"quality {p.jpeg_quality}", out)
    if p.erase_boxes:
        out = erasing.erase(out, p.erase_boxes, config.erase_fill, config.erase_value, p.erase_seed)
        if record is not None:
            record("erasing", f"{len(p.erase_boxes)} box(es)", out)
    return out


def apply_params(image: np.ndarray, params: ImageParams, config: ImageAugConfig) -> np.ndarray:
    """Apply sampled parameters with the settings of ``config`` (fill, interpolation, noise and erase
    fill); see the module docstring for the order."""
    if not config._on["any"]:  # type: ignore[attr-defined]
        # Keras' settings alone: AugLab's affine engine as it always ran (the same bytes).
        out = apply_affine(image, params, config.fill_mode, config.cval, config.interpolation)
        return out if colour.is_photometric_identity(params) else colour.apply_photometric(out, params)
    out = geometry(image, params, config.fill_mode, config.cval, config.interpolation)
    if config._on["post"]:  # type: ignore[attr-defined]
        out = post_warp(out, params, config)
    return image.copy() if out is image else out


def apply_steps(
    image: np.ndarray, params: ImageParams, config: ImageAugConfig
) -> list[tuple[str, str, np.ndarray]]:
    """The image after each step of :func:`apply_params`, for the teaching view's picture strip.

    Returns:
        ``(name, what it did, image)`` from the original to the result, which equals
        ``apply_params(image, params, config)``. The warp is shown cumulatively (crop and resize, then
        Keras' affine, then the policy's geometry), each from the original in one pass.
    """
    check_image(image)
    fill, cval, interpolation = config.fill_mode, config.cval, config.interpolation
    shown = [("original", f"{image.shape[1]}x{image.shape[0]}", image)]
    if params.crop_box or params.out_size:
        keep = ImageParams(crop_box=params.crop_box, out_size=params.out_size)
        cropped = apply_geometry(image, keep, fill, cval, interpolation)
        shown.append(("crop & size", f"{cropped.shape[1]}x{cropped.shape[0]}", cropped))
    if not is_identity(params):
        warped = apply_geometry(image, replace(params, policy=()), fill, cval, interpolation)
        shown.append(("affine", "flips, zoom, shear, rotation, shift in one warp", warped))
    out = apply_geometry(image, params, fill, cval, interpolation)
    moves = [op for op, _ in params.policy if op in policy.GEOMETRIC]
    if moves:
        shown.append(("policy geometry", ", ".join(moves), out))
    post_warp(out, params, config, lambda name, meaning, image: shown.append((name, meaning, image)))
    return shown


def augment(
    image: np.ndarray, config: ImageAugConfig, seed: int, index: int, variant: int
) -> tuple[np.ndarray, ImageParams]:
    """Variant ``variant`` of item ``index`` under ``seed``: sample, then apply.

    Args:
        image: ``HxW`` or ``HxWxC`` uint8 array; never modified.
        config: The random pipeline.
        seed: The user's seed (0 .. 2**63 - 1).
        index: The item's position in its dataset.
        variant: Which of the item's variants (0, 1, ...).

    Returns:
        The augmented image (the output size, dtype and channels of the pipeline) and the parameters
        that made it.
    """
    params = sample_params(config, variant_rng(seed, index, variant), image.shape[0], image.shape[1])
    return apply_params(image, params, config), params
