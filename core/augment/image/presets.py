"""Named starting points; the Images page opens with "Mild, photos".

The presets that existed before the crops, colour, blur, erasing and policies (the first five) are
unchanged, so they give the same variants as they always did.
"""

from __future__ import annotations

from core.augment.image.config import ImageAugConfig

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
    # torchvision's ImageNet training recipe: RandomResizedCrop to 224, flip, ColorJitter 0.4, erasing.
    "Crop + colour jitter + cutout (photos)": ImageAugConfig(
        horizontal_flip=True,
        crop="random_resized",
        crop_scale=(0.25, 1.0),
        resize_height=224,
        resize_width=224,
        brightness_range=(0.6, 1.4),
        contrast_range=(0.6, 1.4),
        saturation_range=(0.6, 1.4),
        hue_range=(-0.1, 0.1),
        erase_p=0.5,
    ),
    # RandAugment as torchvision's defaults (N = 2, M = 9) after a flip.
    "RandAugment (photos)": ImageAugConfig(horizontal_flip=True, fill_mode="constant", policy="randaugment"),
    # TrivialAugmentWide: one operation per variant at a random strength.
    "TrivialAugment (photos)": ImageAugConfig(
        horizontal_flip=True, fill_mode="constant", policy="trivialaugment"
    ),
    # Small images: gentle geometry, a little blur and noise, no flips, nothing that wipes out strokes.
    "Digits: geometry + blur + noise": ImageAugConfig(
        rotation_range=10,
        width_shift_range=0.1,
        height_shift_range=0.1,
        zoom_range=(0.9, 1.1),
        fill_mode="constant",
        blur_p=0.3,
        blur_sigma=(0.3, 0.7),
        noise_p=0.5,
        noise_std=(4.0, 12.0),
    ),
}

PHOTO_PRESET = "Mild, photos"
SMALL_PRESET = "Digits and characters"
SMALL_SIDE = 32  # pixels: a dataset whose median longest side is at most this is "small images"
