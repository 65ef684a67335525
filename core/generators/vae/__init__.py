"""A small convolutional variational autoencoder for images, the GAN's companion (see the modules).

- :mod:`.model`: :class:`VAEConfig` and :class:`ConvVAE`, built by :func:`build_vae`.
- :mod:`.trainer`: :class:`VAETrainer` (ELBO steps, previews, sampling, checkpoints).

It trains on the GAN's data (:func:`core.generators.gan.training_split`, the same held-out part) and is
judged by the GAN's measures (:func:`core.generators.gan.evaluate_quality`).
"""

from core.generators.vae.model import VAE_SIZES, ConvVAE, VAEConfig, build_vae
from core.generators.vae.trainer import LOSS_NAMES, VAETrainer

__all__ = ["LOSS_NAMES", "VAE_SIZES", "ConvVAE", "VAEConfig", "VAETrainer", "build_vae"]
