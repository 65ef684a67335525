"""A configuration as Python code: AugLab's own API and the nearest torchvision and Keras calls.

The other libraries do not mean quite the same thing by the same words; each snippet lists what
differs, so a user moving a pipeline between them knows what changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.augment.image import ImageAugConfig
from core.augment.text import TextAugConfig


@dataclass(frozen=True)
class Snippet:
    """Code for one library and the ways it differs from AugLab's semantics."""

    library: str
    code: str
    differences: tuple[str, ...]


def _num(value: float) -> str:
    return f"{value:g}"


def auglab_snippet(config: ImageAugConfig, seed: int) -> Snippet:
    """Code that reproduces the preview exactly with ``core.augment.image``."""
    code = f'''import numpy as np
from PIL import Image

from core.augment.image import ImageAugConfig, augment

config = ImageAugConfig.from_json("""
{config.to_json()}
""")
image = np.asarray(Image.open("photo.png").convert("RGB"))
# Variant `variant` of item `index` depends only on (seed, index, variant).
for variant in range(4):
    out, params = augment(image, config, seed={seed}, index=0, variant=variant)
    Image.fromarray(out).save(f"photo_v{{variant}}.png")
    print(params)
'''
    return Snippet("AugLab", code, ())


def torchvision_snippet(config: ImageAugConfig) -> Snippet:
    """The nearest ``torchvision.transforms.v2`` pipeline."""
    c = config
    zlo, zhi = c.zoom_range
    blo, bhi = c.brightness_range
    steps = []
    differences = []
    affine = (
        c.rotation_range
        or c.width_shift_range
        or c.height_shift_range
        or c.shear_range
        or (zlo, zhi) != (1, 1)
    )
    if affine:
        tx, ty = c.width_shift_range, c.height_shift_range
        if tx >= 1 or ty >= 1:
            differences.append(
                "translate takes fractions only: a shift given in pixels needs dividing by the image size."
            )
            tx, ty = (tx if tx < 1 else 0.0), (ty if ty < 1 else 0.0)
        interp = "BILINEAR" if c.interpolation == "bilinear" else "NEAREST"
        args = [f"degrees={_num(c.rotation_range)}"]
        if tx or ty:
            args.append(f"translate=({_num(tx)}, {_num(ty)})")
        if (zlo, zhi) != (1, 1):
            args.append(f"scale=({_num(zlo)}, {_num(zhi)})")
        if c.shear_range:
            args.append(f"shear=({_num(-c.shear_range)}, {_num(c.shear_range)})")
        args += [f"interpolation=v2.InterpolationMode.{interp}", f"fill={_num(c.cval)}"]
        steps.append(f"v2.RandomAffine({', '.join(args)})")
        if (zlo, zhi) != (1, 1):
            differences.append("scale is one factor for both axes; AugLab draws x and y zoom independently.")
        if c.fill_mode != "constant":
            differences.append(
                f"RandomAffine fills with a constant only; fill_mode={c.fill_mode!r} has no equivalent."
            )
        if c.shear_range:
            differences.append(
                "shear angles follow torchvision's clockwise convention; the range is symmetric."
            )
    if c.horizontal_flip:
        steps.append("v2.RandomHorizontalFlip(p=0.5)")
    if c.vertical_flip:
        steps.append("v2.RandomVerticalFlip(p=0.5)")
    if (blo, bhi) != (1, 1):
        steps.append(f"v2.ColorJitter(brightness=({_num(blo)}, {_num(bhi)}))")
    if c.channel_shift_range:
        differences.append(
            "torchvision has no channel shift; ColorJitter(hue=...) is the nearest, and differs."
        )
    differences.append(
        "Randomness comes from torch's global generator (torch.manual_seed), not from (seed, index, variant)."
    )
    body = ",\n    ".join(steps) if steps else "v2.Identity()"
    code = f"""import torch
from torchvision.transforms import v2

transform = v2.Compose([
    {body},
])
# torchvision draws from torch's global generator; this seeds it for the whole script.
torch.random.manual_seed(0)
out = transform(image)  # a uint8 tensor CxHxW or a PIL image
"""
    return Snippet("torchvision.transforms.v2", code, tuple(differences))


def keras_snippet(config: ImageAugConfig) -> Snippet:
    """The nearest ``ImageDataGenerator`` call."""
    c = config
    zlo, zhi = c.zoom_range
    args = []
    for name in (
        "rotation_range",
        "width_shift_range",
        "height_shift_range",
        "shear_range",
        "channel_shift_range",
    ):
        if getattr(c, name):
            args.append(f"{name}={_num(getattr(c, name))}")
    differences = []
    if (zlo, zhi) != (1, 1):
        # Keras maps output to input pixels, so its zoom factor below 1 enlarges: invert the range.
        args.append(f"zoom_range=[{1 / zhi:.4g}, {1 / zlo:.4g}]")
        differences.append(
            "Keras' zoom factor below 1 enlarges (the inverse of AugLab's), so the range above is inverted; "
            "the draws are then uniform in 1/zoom rather than in zoom."
        )
    if c.horizontal_flip:
        args.append("horizontal_flip=True")
    if c.vertical_flip:
        args.append("vertical_flip=True")
    args.append(f'fill_mode="{c.fill_mode}"')
    if c.fill_mode == "constant":
        args.append(f"cval={_num(c.cval)}")
    if c.brightness_range != (1.0, 1.0):
        args.append(f"brightness_range=[{_num(c.brightness_range[0])}, {_num(c.brightness_range[1])}]")
    if c.channel_shift_range:
        differences.append(
            "Keras shifts every channel by the same amount and clips to the image's own min and max; "
            "AugLab draws a shift per channel and clips to 0..255."
        )
    if c.width_shift_range >= 1 or c.height_shift_range >= 1:
        differences.append("Keras draws whole pixels for an integer shift range; AugLab draws any value.")
    if c.shear_range:
        differences.append(
            "Keras' shear moves rows in proportion to the column (horizontal lines lean) and narrows the "
            "image by cos(shear); AugLab's moves columns in proportion to the row (vertical lines lean)."
        )
    if c.interpolation == "nearest":
        differences.append("ImageDataGenerator always interpolates bilinearly (order 1).")
    differences.append("Keras warps each channel with scipy.ndimage: the same maths, several times slower.")
    body = ",\n    ".join(args)
    code = f"""from keras.preprocessing.image import ImageDataGenerator

datagen = ImageDataGenerator(
    {body},
)
out = datagen.random_transform(image, seed=0)  # image: HxWxC float array
"""
    return Snippet("Keras ImageDataGenerator", code, tuple(differences))


def snippets(config: ImageAugConfig, seed: int) -> list[Snippet]:
    """AugLab's code first, then torchvision's and Keras' nearest equivalents."""
    return [auglab_snippet(config, seed), torchvision_snippet(config), keras_snippet(config)]


def text_snippet(config: TextAugConfig, seed: int) -> Snippet:
    """Code that reproduces the text preview exactly with ``core.augment.text``."""
    code = f'''from core.augment.text import TextAugConfig, augment_text

config = TextAugConfig.from_json("""
{config.to_json()}
""")
lines = open("examples.txt", encoding="utf-8").read().splitlines()
for index, line in enumerate(lines):
    for variant in range(config.n_aug):
        text, edits = augment_text(line, config, seed={seed}, index=index, variant=variant)
        print(text, [(e.op, e.old, e.new) for e in edits])
'''
    differences = (
        "The EDA reference code (eda.py) lower-cases the text and strips punctuation and digits first; "
        "AugLab keeps everything outside the edits as written.",
        "nlpaug's SynonymAug(aug_src='wordnet') and RandomWordAug(action='swap'|'delete') are the nearest "
        "single operations; they draw from Python's global random state, not from (seed, index, variant).",
    )
    return Snippet("AugLab", code, differences)
