"""The VAE's configuration and networks: a small convolutional (conditional) VAE, with no I/O.

- :class:`VAEConfig`: frozen, validated, JSON round-trippable; shares the GAN's data fields
  (``image_size``, ``channels``, ``n_classes``, ``seed``, ``held_out``), so both train on the same
  held-out split of the same images (:func:`core.generators.gan.training_split`).
- :class:`ConvVAE`: encoder ``x (+ one-hot label maps) -> strided convolutions -> (mu, log variance)``,
  decoder ``z (+ one-hot label) -> linear -> 4x4 (7x7) map -> transposed convolutions -> pixel logits``.

The decoder's output is the logit of each pixel's intensity in [0, 1] under a Bernoulli likelihood,
the usual choice for small gray images (Kingma & Welling 2014); samples are its mean, so they are
smooth (blurrier than a GAN's) but every class is covered: a VAE never collapses onto a few modes.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from core.config import check_float, check_int, check_seed, from_mapping
from core.errors import ConfigError
from core.generators.gan.blocks import VAE_SIZES, conv_ladder, init_weights
from core.seeding import torch_generator

MAX_CLASSES = 100
MAX_HELD_OUT = 0.5


@dataclass(frozen=True)
class VAEConfig:
    """What to build and how to train it; validated on construction (:class:`ConfigError`)."""

    image_size: int = 8  # side of the square images, pixels: 8, 16, 28, 32 or 64; 8 = digits
    channels: int = 1  # 1 grayscale, 3 RGB
    n_classes: int = 0  # 0: unconditional; > 0: class-conditional (encoder and decoder see the class)
    latent_dim: int = 16  # length of the latent vector z
    base_channels: int = 32  # feature maps next to the image; doubled per level
    batch_size: int = 64  # images per step
    lr: float = 2e-3  # Adam learning rate; a VAE is not adversarial and takes a high one well
    beta: float = 0.5  # KL weight (1: the ELBO); 60 s TSTR/TRTR: shapes 0.91 (beta 1: 0.81), digits 0.98
    seed: int = 0  # weights, batches, noise and the held-out split derive from it
    held_out: float = 0.2  # share of each class kept out of training for the quality checks (0: none)

    def __post_init__(self) -> None:
        def put(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        put("image_size", check_int("image_size", self.image_size, 1, 4096))
        if self.image_size not in VAE_SIZES:
            sizes = ", ".join(map(str, VAE_SIZES))
            raise ConfigError(f"The VAE makes images of {sizes} pixels (image_size), got {self.image_size}.")
        put("channels", check_int("channels", self.channels, 1, 3))
        if self.channels == 2:
            raise ConfigError("channels must be 1 (grayscale) or 3 (RGB), got 2.")
        put("n_classes", check_int("n_classes", self.n_classes, 0, MAX_CLASSES))
        if self.n_classes == 1:
            raise ConfigError("A conditional VAE needs at least 2 classes; use n_classes=0 for one class.")
        put("latent_dim", check_int("latent_dim", self.latent_dim, 1, 1024))
        put("base_channels", check_int("base_channels", self.base_channels, 1, 512))
        put("batch_size", check_int("batch_size", self.batch_size, 2, 4096))
        put("lr", check_float("lr", self.lr, 0.0, 1.0, low_open=True))
        put("beta", check_float("beta", self.beta, 0.0, 100.0, low_open=True))
        put("seed", check_seed("seed", self.seed))
        put("held_out", check_float("held_out", self.held_out, 0.0, MAX_HELD_OUT, high_open=True))

    @property
    def conditional(self) -> bool:
        """Whether the model is class-conditional."""
        return self.n_classes > 0

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(channels, image_size, image_size)``."""
        return (self.channels, self.image_size, self.image_size)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VAEConfig:
        """The inverse of :meth:`to_dict`; missing keys take their defaults.

        Raises:
            ConfigError: Not a dict, an unknown key, or an invalid value.
        """
        return from_mapping(cls, data, "VAE configuration")

    @classmethod
    def dry_run(cls, **overrides: Any) -> VAEConfig:
        """A tiny configuration that trains in milliseconds, for tests."""
        base: dict[str, Any] = {"latent_dim": 4, "base_channels": 4, "batch_size": 8}
        base.update(overrides)
        return cls(**base)


class ConvVAE(nn.Module):
    """Encoder and decoder of :class:`VAEConfig` (see the module docstring)."""

    def __init__(self, config: VAEConfig) -> None:
        super().__init__()
        self.config = config
        k = config.n_classes
        start, levels = conv_ladder(config.image_size, smallest=8)
        self.start = start
        widths = [config.base_channels * 2**i for i in range(levels)]
        layers: list[nn.Module] = []
        previous = config.channels + k
        for width in widths:
            layers += [nn.Conv2d(previous, width, 4, 2, 1), nn.LeakyReLU(0.2)]
            previous = width
        self.encoder = nn.Sequential(*layers)
        features = widths[-1] * start * start
        self.to_stats = nn.Linear(features + k, 2 * config.latent_dim)
        self.from_latent = nn.Linear(config.latent_dim + k, features)
        layers = []
        for a, b in itertools.pairwise(widths[::-1]):
            layers += [nn.ConvTranspose2d(a, b, 4, 2, 1), nn.LeakyReLU(0.2)]
        layers.append(nn.ConvTranspose2d(widths[0], config.channels, 4, 2, 1))
        self.decoder = nn.Sequential(*layers)
        self.top_width = widths[-1]

    def _one_hot(self, labels: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor | None:
        if not self.config.n_classes:
            return None
        if labels is None:
            raise ValueError("A conditional VAE needs class labels.")
        return F.one_hot(labels, self.config.n_classes).to(like.dtype)

    def encode(
        self, x: torch.Tensor, labels: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, log variance)`` of q(z | x, y), each ``N x latent_dim``, for images ``x`` in [-1, 1]."""
        hot = self._one_hot(labels, x)
        if hot is not None:
            x = torch.cat([x, hot[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])], dim=1)
        h = self.encoder(x).flatten(1)
        if hot is not None:
            h = torch.cat([h, hot], dim=1)
        mu, logvar = self.to_stats(h).chunk(2, dim=1)
        return mu, logvar.clamp(-12.0, 8.0)

    def decode_logits(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Pixel logits ``N x C x S x S`` of p(x | z, y)."""
        hot = self._one_hot(labels, z)
        if hot is not None:
            z = torch.cat([z, hot], dim=1)
        h = F.leaky_relu(self.from_latent(z), 0.2).view(z.shape[0], self.top_width, self.start, self.start)
        return self.decoder(h)

    @torch.no_grad()
    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """The decoder's mean for ``z`` (and ``labels``), as images in [-1, 1]."""
        return torch.sigmoid(self.decode_logits(z, labels)) * 2.0 - 1.0


def build_vae(config: VAEConfig, device: torch.device | str = "cpu") -> ConvVAE:
    """The VAE of ``config``, built on ``meta`` and initialised from the stream ``(seed, "vae", "init")``.

    Convolutions use PyTorch's default ranges (kaiming-uniform), drawn from the seeded generator: the
    DCGAN initialisation (normal, 0.02) suits BatchNorm networks, and this one has none.
    """
    with torch.device("meta"):
        model = ConvVAE(config)
    model.to_empty(device="cpu")
    rng = torch_generator(config.seed, "vae", "init")
    init_weights(model, rng)  # linear layers (and any BatchNorm) as everywhere
    for module in model.modules():
        if isinstance(module, nn.Conv2d | nn.ConvTranspose2d):
            nn.init.kaiming_uniform_(module.weight, a=5**0.5, generator=rng)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
    return model.to(device)
