"""Generative adversarial networks for small image datasets (see the modules for the parts).

- :mod:`.model`: :class:`GANConfig` and the networks (MLP GAN, DCGAN), built by :func:`build_models`.
- :mod:`.data`: :func:`prepare_images`, the held-out split :func:`training_split`, :func:`suggested_settings`.
- :mod:`.trainer`: :class:`GANTrainer` (steps, previews, sampling, checkpoints).
- :mod:`.metrics`: memorisation share, TSTR and :func:`evaluate_quality` on the held-out part.
"""

from core.generators.gan.data import (
    MIN_HELD_OUT_IMAGES,
    SMALL_PER_CLASS,
    SuggestedSettings,
    TrainingData,
    default_diffaugment,
    held_out_parts,
    prepare_images,
    suggested_settings,
    to_uint8,
    training_split,
)
from core.generators.gan.metrics import (
    MemorisationResult,
    QualityReport,
    Split,
    TSTRResult,
    evaluate_quality,
    memorisation_share,
    nearest_distances,
    split_dataset,
    tstr,
)
from core.generators.gan.model import (
    ARCHS,
    LOSSES,
    SIZE_CHOICES,
    DCGANDiscriminator,
    DCGANGenerator,
    GANConfig,
    GenDropout,
    Generator,
    MLPDiscriminator,
    MLPGenerator,
    SpectralNorm,
    build_models,
    diff_augment,
)
from core.generators.gan.trainer import GANTrainer, preview_grid

__all__ = [
    "ARCHS",
    "LOSSES",
    "MIN_HELD_OUT_IMAGES",
    "SIZE_CHOICES",
    "SMALL_PER_CLASS",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "GANConfig",
    "GANTrainer",
    "GenDropout",
    "Generator",
    "MLPDiscriminator",
    "MLPGenerator",
    "MemorisationResult",
    "QualityReport",
    "SpectralNorm",
    "Split",
    "SuggestedSettings",
    "TSTRResult",
    "TrainingData",
    "build_models",
    "default_diffaugment",
    "diff_augment",
    "evaluate_quality",
    "held_out_parts",
    "memorisation_share",
    "nearest_distances",
    "prepare_images",
    "preview_grid",
    "split_dataset",
    "suggested_settings",
    "to_uint8",
    "training_split",
    "tstr",
]
