"""Image augmentation: one warp per image (Keras' affine settings, crops, resizing, the policies'
geometry), then colour, blur and noise, and erasing, each with torchvision's definitions.

Sampling is apart from applying: :func:`sample_params` draws plain :class:`ImageParams` from a generator
passed in, :func:`apply_params` replays them and never modifies its input, :func:`augment` is variant
``v`` of item ``i`` under a seed. The modules, one concern each:

- :mod:`~core.augment.image.config`: :class:`ImageAugConfig`, its checks and JSON format;
- :mod:`~core.augment.image.params`: :class:`ImageParams` (also named ``AffineParams``);
- :mod:`~core.augment.image.affine`: the one warp; :mod:`~core.augment.image.crop`: boxes and sizes;
- :mod:`~core.augment.image.colour`, :mod:`~core.augment.image.blur_noise`,
  :mod:`~core.augment.image.erasing`, :mod:`~core.augment.image.policy`: the other steps;
- :mod:`~core.augment.image.pipeline`: the order of the steps and the random draws;
- :mod:`~core.augment.image.presets`: named starting points.
"""

from __future__ import annotations

from core.augment.image.affine import (
    Step,
    affine_matrix,
    affine_steps,
    apply_affine,
    apply_geometry,
    box_matrix,
    geometry_matrix,
)
from core.augment.image.blur_noise import blur_kernel_size
from core.augment.image.colour import apply_photometric
from core.augment.image.config import (
    COLOUR_ORDERS,
    CONFIG_FORMAT,
    CROPS,
    ERASE_FILLS,
    FILL_MODES,
    INTERPOLATIONS,
    POLICIES,
    ImageAugConfig,
)
from core.augment.image.params import AffineParams, ImageParams
from core.augment.image.pipeline import apply_params, apply_steps, augment, sample_params, variant_rng
from core.augment.image.presets import PHOTO_PRESET, PRESETS, SMALL_PRESET, SMALL_SIDE

__all__ = [
    "COLOUR_ORDERS",
    "CONFIG_FORMAT",
    "CROPS",
    "ERASE_FILLS",
    "FILL_MODES",
    "INTERPOLATIONS",
    "PHOTO_PRESET",
    "POLICIES",
    "PRESETS",
    "SMALL_PRESET",
    "SMALL_SIDE",
    "AffineParams",
    "ImageAugConfig",
    "ImageParams",
    "Step",
    "affine_matrix",
    "affine_steps",
    "apply_affine",
    "apply_geometry",
    "apply_params",
    "apply_photometric",
    "apply_steps",
    "augment",
    "blur_kernel_size",
    "box_matrix",
    "geometry_matrix",
    "sample_params",
    "variant_rng",
]
