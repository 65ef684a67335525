"""An image configuration as the nearest pipeline of torchvision, Keras and albumentations.

The other libraries do not mean quite the same thing by the same words; each :class:`Snippet` lists
what differs, so a user moving a pipeline between them knows what changes. The foreign snippets run
outside this repository (no ``core`` import) and use the page's seed where the library takes one.
``core.augment.codegen`` re-exports these builders (and :mod:`core.augment.image.snippets_keras`'s Keras 3
one) next to AugLab's own code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.augment.image.blur_noise import blur_kernel_size
from core.augment.image.config import ImageAugConfig

FRACTION_SIZE = 224  # the image side the snippets assume where AugLab uses fractions of the image


@dataclass(frozen=True)
class Snippet:
    """Code for one library and the ways it differs from AugLab's semantics."""

    library: str
    code: str
    differences: tuple[str, ...]


def _num(value: float) -> str:
    return f"{value:g}"


def _pair(pair: tuple[float, float]) -> str:
    return f"({_num(pair[0])}, {_num(pair[1])})"


def _mid(pair: tuple[float, float]) -> float:
    return (pair[0] + pair[1]) / 2.0


def _side(value: float, axis: str) -> str:
    """A crop side as code: pixels, or a fraction of the assumed image size ``H`` / ``W``."""
    return str(round(value)) if value > 1 else f"round({_num(value)} * {axis})"


def _affine_on(c: ImageAugConfig) -> bool:
    return bool(
        c.rotation_range or c.width_shift_range or c.height_shift_range or c.shear_range
    ) or c.zoom_range != (1.0, 1.0)


def _uses_fractions(c: ImageAugConfig) -> bool:
    return c.crop in ("random", "centre") and (c.crop_height <= 1 or c.crop_width <= 1)


def _output_size(c: ImageAugConfig) -> str | None:
    """The (height, width) the pipeline resizes to, as code, or None."""
    rh, rw = c.resize_height, c.resize_width
    if not (rh or rw):
        return None
    if not rh:
        return f"(round({rw} * H / W), {rw})"
    if not rw:
        return f"({rh}, round({rh} * W / H))"
    return f"({rh}, {rw})"


def _sizes_line(body: str) -> str:
    """``H, W = ...`` when the code uses the images' size (fractions, or a kept aspect ratio)."""
    if not re.search(r"\b[HW]\b", body):
        return ""
    return (
        f"H, W = {FRACTION_SIZE}, {FRACTION_SIZE}  # the size of your images (AugLab's fractions are of it)\n"
    )


def _common_differences(c: ImageAugConfig, library: str) -> list[str]:
    out = []
    if c.on["any"]:
        out.append(
            f"AugLab folds the crop, resize, affine steps and the policy's geometry into one warp; {library} "
            "resamples once per geometric transform (more blur, and each step fills its own border)."
        )
    if c.colour_order == "random" and c.on["jitter"]:
        out.append("The colour jitter's order is drawn per image in both, but from different random numbers.")
    return out


# ----------------------------------------------------------------------------------------------
# torchvision.transforms.v2


def torchvision_snippet(config: ImageAugConfig, seed: int = 0) -> Snippet:
    """The nearest ``torchvision.transforms.v2`` pipeline (for uint8 tensors or PIL images)."""
    c = config
    steps: list[str] = []
    d: list[str] = _common_differences(c, "torchvision")
    interp = "BILINEAR" if c.interpolation == "bilinear" else "NEAREST"
    size = _output_size(c)
    if c.crop == "random_resized":
        out = size or "(H, W)"
        steps.append(
            f"v2.RandomResizedCrop({out}, scale={_pair(c.crop_scale)}, ratio={_pair(c.crop_ratio)}, "
            f"interpolation=v2.InterpolationMode.{interp}, antialias=True)"
        )
        if size is None:
            d.append("RandomResizedCrop needs an output size: H, W above stand for your images' size.")
    elif c.crop == "random":
        steps.append(
            f"v2.RandomCrop(({_side(c.crop_height, 'H')}, {_side(c.crop_width, 'W')}), pad_if_needed=True, "
            f"fill={_num(c.cval)})"
        )
        if c.fill_mode != "constant":
            d.append("RandomCrop pads a crop larger than the image with the constant fill only.")
    elif c.crop == "centre":
        steps.append(f"v2.CenterCrop(({_side(c.crop_height, 'H')}, {_side(c.crop_width, 'W')}))")
        d.append("CenterCrop pads a crop larger than the image with 0, not with AugLab's fill mode.")
    if size is not None and c.crop != "random_resized":
        steps.append(f"v2.Resize({size}, interpolation=v2.InterpolationMode.{interp}, antialias=True)")
    if _affine_on(c):
        zlo, zhi = c.zoom_range
        tx, ty = c.width_shift_range, c.height_shift_range
        if tx >= 1 or ty >= 1:
            d.append(
                "translate takes fractions only: a shift given in pixels needs dividing by the image size."
            )
            tx, ty = (tx if tx < 1 else 0.0), (ty if ty < 1 else 0.0)
        args = [f"degrees={_num(c.rotation_range)}"]
        if tx or ty:
            args.append(f"translate=({_num(tx)}, {_num(ty)})")
        if (zlo, zhi) != (1, 1):
            args.append(f"scale=({_num(zlo)}, {_num(zhi)})")
            d.append("scale is one factor for both axes; AugLab draws x and y zoom independently.")
        if c.shear_range:
            args.append(f"shear=({_num(-c.shear_range)}, {_num(c.shear_range)})")
            d.append("shear angles follow torchvision's clockwise convention; the range is symmetric.")
        args += [f"interpolation=v2.InterpolationMode.{interp}", f"fill={_num(c.cval)}"]
        steps.append(f"v2.RandomAffine({', '.join(args)})")
        if c.fill_mode != "constant":
            d.append(f"RandomAffine fills with a constant only; fill_mode={c.fill_mode!r} has no equivalent.")
    if c.horizontal_flip:
        steps.append(f"v2.RandomHorizontalFlip(p={_num(c.horizontal_flip_p)})")
    if c.vertical_flip:
        steps.append(f"v2.RandomVerticalFlip(p={_num(c.vertical_flip_p)})")
    jitter = []
    if c.brightness_range != (1.0, 1.0):
        jitter.append(f"brightness={_pair(c.brightness_range)}")
        d.append("ColorJitter's brightness rounds down; AugLab's (Keras') rounds to nearest.")
    for name, pair, neutral in (
        ("contrast", c.contrast_range, (1.0, 1.0)),
        ("saturation", c.saturation_range, (1.0, 1.0)),
        ("hue", c.hue_range, (0.0, 0.0)),
    ):
        if pair != neutral:
            jitter.append(f"{name}={_pair(pair)}")
    if jitter:
        steps.append(f"v2.ColorJitter({', '.join(jitter)})")
        if c.colour_order == "fixed":
            d.append("ColorJitter always draws its order; AugLab's colour_order='fixed' keeps one order.")
    if c.channel_shift_range:
        d.append("torchvision has no channel shift; ColorJitter(hue=...) is the nearest, and differs.")
    if c.policy == "randaugment":
        steps.append(
            f"v2.RandAugment(num_ops={c.policy_ops}, magnitude={c.policy_magnitude}, fill={_num(c.cval)})"
        )
    elif c.policy == "trivialaugment":
        steps.append(f"v2.TrivialAugmentWide(fill={_num(c.cval)})")
    if c.policy != "none":
        d.append(
            "The policy runs after the colour jitter in AugLab, its geometry in the one warp, shears about "
            "the image centre (torchvision: about the top-left corner)."
        )
    if c.on["gamma"]:
        steps.append(
            "v2.RandomApply([v2.Lambda(lambda img: "
            f"F.adjust_gamma(img, gamma_rng.uniform{_pair(c.gamma_range)}))], "
            f"p={_num(c.gamma_p)})"
        )
        d.append("torchvision has no random gamma: a Lambda draws it from its own random.Random(seed).")
    if c.on["grayscale"]:
        steps.append(f"v2.RandomGrayscale(p={_num(c.grayscale_p)})")
    if c.on["autocontrast"]:
        steps.append(f"v2.RandomAutocontrast(p={_num(c.autocontrast_p)})")
    if c.on["equalize"]:
        steps.append(f"v2.RandomEqualize(p={_num(c.equalize_p)})")
    if c.on["posterize"]:
        steps.append(f"v2.RandomPosterize(bits={c.posterize_bits}, p={_num(c.posterize_p)})")
    if c.on["solarize"]:
        steps.append(f"v2.RandomSolarize(threshold={_num(c.solarize_threshold)}, p={_num(c.solarize_p)})")
    if c.on["sharpness"]:
        steps.append(
            f"v2.RandomAdjustSharpness(sharpness_factor={_num(_mid(c.sharpness_range))}, "
            f"p={_num(c.sharpness_p)})"
        )
        if c.sharpness_range[0] != c.sharpness_range[1]:
            d.append("RandomAdjustSharpness takes one factor: the middle of AugLab's range is used.")
    if c.on["blur"]:
        k = blur_kernel_size(c.blur_sigma[1])
        steps.append(
            f"v2.RandomApply([v2.GaussianBlur(kernel_size={k}, sigma={_pair(c.blur_sigma)})], "
            f"p={_num(c.blur_p)})"
        )
        d.append(
            f"GaussianBlur's kernel is fixed ({k} px, OpenCV's rule at the largest sigma); AugLab's follows "
            "each drawn sigma."
        )
    if c.on["noise"]:
        sigma = _mid(c.noise_std) / 255.0
        steps.append(
            "v2.RandomApply([v2.Compose([v2.ToDtype(torch.float32, scale=True), "
            f"v2.GaussianNoise(sigma={sigma:.4g}), v2.ToDtype(torch.uint8, scale=True)])], "
            f"p={_num(c.noise_p)})"
        )
        d.append(
            "GaussianNoise has one std (the middle of AugLab's range) and works on float images; its noise "
            "is per channel value."
        )
    if c.on["jpeg"]:
        steps.append(f"v2.RandomApply([v2.JPEG(quality={_pair(c.jpeg_quality)})], p={_num(c.jpeg_p)})")
    if c.on["erase"]:
        value = "0" if c.erase_fill == "noise" else _num(c.erase_value)
        steps.append(
            f"v2.RandomErasing(p={_num(c.erase_p)}, scale={_pair(c.erase_scale)}, "
            f"ratio={_pair(c.erase_ratio)}, "
            f"value={value})"
        )
        if c.erase_count != (1, 1):
            d.append("RandomErasing erases one box; AugLab draws erase_count boxes.")
        if c.erase_fill == "noise":
            d.append(
                "AugLab's noise fill is uniform 0..255; RandomErasing(value='random') is for float images."
            )
        d.append("RandomErasing also fills an alpha channel; AugLab leaves alpha as it is.")
    d.append(
        "Randomness comes from torch's default generator (torchvision v2 takes no generator argument), "
        "seeded inside torch.random.fork_rng so the rest of your program's random state is left as it was; "
        "not from (seed, index, variant)."
    )
    body = ",\n    ".join(steps) if steps else "v2.Identity()"
    header = ["import torch", "from torchvision.transforms import v2"]
    if c.on["gamma"]:
        header = ["import random", "", *header, "from torchvision.transforms.v2 import functional as F", ""]
        header.append(f"gamma_rng = random.Random({seed})  # the gamma Lambda's own generator")
    sizes = _sizes_line(body)
    code = (
        "\n".join(header)
        + f"""

{sizes}transform = v2.Compose([
    {body},
])
# torchvision v2 draws from torch's default generator: seed it for this call only, inside fork_rng, so
# the rest of your program's random state is left as it was.
with torch.random.fork_rng(devices=[]):
    torch.manual_seed({seed})
    out = transform(image)  # image: a uint8 tensor CxHxW (or a PIL image)
"""
    )
    return Snippet("torchvision.transforms.v2", code, tuple(d))


# ----------------------------------------------------------------------------------------------
# albumentations 2.0.8


_CV_BORDERS = {
    "constant": "cv2.BORDER_CONSTANT",
    "nearest": "cv2.BORDER_REPLICATE",
    "reflect": "cv2.BORDER_REFLECT",
    "wrap": "cv2.BORDER_WRAP",
}


def albumentations_snippet(config: ImageAugConfig, seed: int = 0) -> Snippet:
    """The nearest albumentations (2.0.8, MIT) pipeline, on HxWxC uint8 numpy images."""
    c = config
    steps: list[str] = []
    d: list[str] = _common_differences(c, "albumentations")
    border = _CV_BORDERS[c.fill_mode]
    interp = "cv2.INTER_LINEAR" if c.interpolation == "bilinear" else "cv2.INTER_NEAREST"
    size = _output_size(c)
    if c.crop == "random_resized":
        steps.append(
            f"A.RandomResizedCrop(size={size or '(H, W)'}, scale={_pair(c.crop_scale)}, "
            f"ratio={_pair(c.crop_ratio)}, "
            f"interpolation={interp}, p=1.0)"
        )
        d.append(
            "albumentations resizes the crop without antialiasing; AugLab averages first when shrinking "
            "more than twofold."
        )
    elif c.crop in ("random", "centre"):
        name = "RandomCrop" if c.crop == "random" else "CenterCrop"
        steps.append(
            f"A.{name}(height={_side(c.crop_height, 'H')}, width={_side(c.crop_width, 'W')}, "
            "pad_if_needed=True, "
            f"border_mode={border}, fill={_num(c.cval)}, p=1.0)"
        )
    if size is not None and c.crop != "random_resized":
        steps.append(f"A.Resize(*{size}, interpolation={interp})")
    if _affine_on(c):
        args = [f"rotate={_pair((-c.rotation_range, c.rotation_range))}"]
        tx, ty = c.width_shift_range, c.height_shift_range
        if tx or ty:
            if tx < 1 and ty < 1:
                args.append(f'translate_percent={{"x": {_pair((-tx, tx))}, "y": {_pair((-ty, ty))}}}')
            else:
                px, py = (
                    f"round({v:g} * {axis})" if v < 1 else f"{round(v)}" for v, axis in ((tx, "W"), (ty, "H"))
                )
                args.append(f'translate_px={{"x": (-{px}, {px}), "y": (-{py}, {py})}}')
                if tx < 1 or ty < 1:
                    d.append(
                        "translate_px takes whole pixels: the fractional shift is written in pixels of H, W."
                    )
        if c.shear_range:
            args.append(f'shear={{"x": {_pair((-c.shear_range, c.shear_range))}, "y": (0, 0)}}')
        if c.zoom_range != (1.0, 1.0):
            args.append(f'scale={{"x": {_pair(c.zoom_range)}, "y": {_pair(c.zoom_range)}}}')
        args += [f"interpolation={interp}", f"border_mode={border}", f"fill={_num(c.cval)}", "p=1.0"]
        steps.append(f"A.Affine({', '.join(args)})")
    if c.horizontal_flip:
        steps.append(f"A.HorizontalFlip(p={_num(c.horizontal_flip_p)})")
    if c.vertical_flip:
        steps.append(f"A.VerticalFlip(p={_num(c.vertical_flip_p)})")
    jitter = []
    for name, pair, neutral in (
        ("brightness", c.brightness_range, (1.0, 1.0)),
        ("contrast", c.contrast_range, (1.0, 1.0)),
        ("saturation", c.saturation_range, (1.0, 1.0)),
        ("hue", c.hue_range, (0.0, 0.0)),
    ):
        jitter.append(f"{name}={_pair(pair if pair != neutral else neutral)}")
    if c.on["jitter"] or c.brightness_range != (1.0, 1.0):
        steps.append(f"A.ColorJitter({', '.join(jitter)}, p=1.0)")
        if c.hue_range != (0.0, 0.0):
            d.append(
                "albumentations turns the hue of 8-bit images in OpenCV's 2-degree steps; AugLab's is "
                "torchvision's exact float hue."
            )
        d.append("albumentations' ColorJitter rounds to nearest; AugLab follows torchvision's rounding down.")
    if c.channel_shift_range:
        d.append(
            "A.RGBShift is the nearest to the channel shift; it draws in pixel units the same way but "
            "applies it after any jitter."
        )
    if c.on["gamma"]:
        lo, hi = (round(v * 100, 2) for v in c.gamma_range)
        steps.append(f"A.RandomGamma(gamma_limit=({_num(lo)}, {_num(hi)}), p={_num(c.gamma_p)})")
    if c.on["grayscale"]:
        steps.append(f"A.ToGray(num_output_channels=3, p={_num(c.grayscale_p)})")
    if c.on["autocontrast"]:
        steps.append(f'A.AutoContrast(method="pil", p={_num(c.autocontrast_p)})')
    if c.on["equalize"]:
        steps.append(f'A.Equalize(mode="pil", p={_num(c.equalize_p)})')
    if c.on["posterize"]:
        steps.append(f"A.Posterize(num_bits={c.posterize_bits}, p={_num(c.posterize_p)})")
    if c.on["solarize"]:
        t = c.solarize_threshold / 255.0
        steps.append(f"A.Solarize(threshold_range=({t:.4g}, {t:.4g}), p={_num(c.solarize_p)})")
    if c.on["sharpness"]:
        d.append("albumentations has no torchvision-style sharpness blend; A.Sharpen uses another kernel.")
    if c.on["blur"]:
        steps.append(f"A.GaussianBlur(blur_limit=0, sigma_limit={_pair(c.blur_sigma)}, p={_num(c.blur_p)})")
        d.append(
            "albumentations derives the kernel as PIL does, int(3.5 sigma) * 2 + 1; AugLab as OpenCV, "
            "round(6 sigma + 1) | 1."
        )
    if c.on["noise"]:
        lo, hi = (v / 255.0 for v in c.noise_std)
        steps.append(
            f"A.GaussNoise(std_range=({lo:.4g}, {hi:.4g}), per_channel={c.noise_per_channel}, "
            f"p={_num(c.noise_p)})"
        )
    if c.on["jpeg"]:
        steps.append(
            f'A.ImageCompression(compression_type="jpeg", quality_range={_pair(c.jpeg_quality)}, '
            f"p={_num(c.jpeg_p)})"
        )
    if c.on["erase"]:
        fill = '"random_uniform"' if c.erase_fill == "noise" else _num(c.erase_value)
        steps.append(
            f"A.Erasing(scale={_pair(c.erase_scale)}, ratio={_pair(c.erase_ratio)}, fill={fill}, "
            f"p={_num(c.erase_p)})"
        )
        if c.erase_count != (1, 1):
            d.append(
                "A.Erasing erases one box; A.CoarseDropout erases several, with sizes drawn differently."
            )
    if c.policy != "none":
        d.append("albumentations has no RandAugment or TrivialAugment; the policy is left out.")
    body = ",\n    ".join(steps) if steps else "A.NoOp()"
    sizes = _sizes_line(body)
    code = f"""import albumentations as A
import cv2

{sizes}transform = A.Compose([
    {body},
], seed={seed})
out = transform(image=image)["image"]  # image: an HxWxC uint8 numpy array (RGB)
"""
    return Snippet("albumentations", code, tuple(d))
