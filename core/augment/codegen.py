"""A configuration as Python code: AugLab's own API and the nearest torchvision, Keras and albumentations
pipelines.

The other libraries do not mean quite the same thing by the same words; each snippet lists what
differs, so a user moving a pipeline between them knows what changes. The image builders for the other
libraries live in :mod:`core.augment.image.snippets`.
"""

from __future__ import annotations

from core.augment.image import ImageAugConfig
from core.augment.image.snippets import Snippet, _num, albumentations_snippet, torchvision_snippet
from core.augment.image.snippets_keras import keras3_snippet
from core.augment.text import TextAugConfig

__all__ = [
    "Snippet",
    "albumentations_snippet",
    "auglab_snippet",
    "keras3_snippet",
    "keras_snippet",
    "snippets",
    "text_snippet",
    "torchvision_snippet",
]


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
    if (c.horizontal_flip and c.horizontal_flip_p != 0.5) or (c.vertical_flip and c.vertical_flip_p != 0.5):
        differences.append(
            "ImageDataGenerator mirrors with probability 1/2; AugLab's flip probabilities differ."
        )
    added = [name for name, on in c.on.items() if on and name != "any"]
    if added:
        differences.append(
            f"ImageDataGenerator has no equivalent of {', '.join(added)}: see the Keras 3 layers above."
        )
    body = ",\n    ".join(args)
    code = f"""from keras.preprocessing.image import ImageDataGenerator

datagen = ImageDataGenerator(
    {body},
)
out = datagen.random_transform(image, seed=0)  # image: HxWxC float array
"""
    return Snippet("Keras ImageDataGenerator", code, tuple(differences))


def snippets(config: ImageAugConfig, seed: int) -> list[Snippet]:
    """AugLab's code first, then the nearest torchvision, Keras 3, albumentations and (Keras 2)
    ImageDataGenerator equivalents."""
    return [
        auglab_snippet(config, seed),
        torchvision_snippet(config, seed),
        keras3_snippet(config, seed),
        albumentations_snippet(config, seed),
        keras_snippet(config),
    ]


def text_snippet(config: TextAugConfig, seed: int) -> Snippet:
    """Code that reproduces the text preview exactly with ``core.augment.text``."""
    code = f'''from core.augment.text import TextAugConfig, augment_variants

config = TextAugConfig.from_json("""
{config.to_json()}
""")
lines = open("examples.txt", encoding="utf-8").read().splitlines()
for index, line in enumerate(lines):
    # Variant v of line `index` depends only on (seed, index, v); augment_text(...) gives one variant.
    for text, edits in augment_variants(line, config, seed={seed}, index=index):
        print(text, [(e.op, e.old, e.new) for e in edits])
'''
    differences = [
        "The EDA reference code (eda.py) lower-cases the text and strips punctuation and digits first; "
        "AugLab keeps everything outside the edits as written.",
        "nlpaug's SynonymAug(aug_src='wordnet') and RandomWordAug(action='swap'|'delete') are the nearest "
        "single operations; they draw from Python's global random state, not from (seed, index, variant).",
    ]
    if not config.legacy_draws and {"SR", "RI"} & set(config.operations):
        differences.append(
            'EDA and nlpaug take any lemma of any WordNet sense ("water" -> "piss"); AugLab\'s synonyms '
            "keep the word's part of speech, its frequent senses and its form, and leave out much rarer "
            "words, names and symbols and a blocklist of offensive words (each filter can be turned off)."
        )
    noise_ops = [op for op in config.operations if op in ("KB", "OCR", "CI", "CS", "CW", "CD", "SPL", "SPE")]
    if noise_ops:
        differences.append(
            "nlpaug's KeyboardAug, OcrAug, RandomCharAug(action='insert'|'substitute'|'swap'|'delete'), "
            "SplitAug and SpellingAug are the nearest to " + ", ".join(noise_ops) + "; AugLab leaves "
            "numbers, URLs and protected words alone, changes ASCII words of 4 letters or more, and takes "
            "its tables from core/augment/text/data/ (no download)."
        )
    return Snippet("AugLab", code, tuple(differences))
