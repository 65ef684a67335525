"""The GAN's configuration and networks: the classic MLP GAN and a small convolutional GAN, with no I/O.

- :class:`GANConfig`: a frozen, validated, JSON round-trippable description of the model, its training
  and its held-out share.
- :func:`build_models`: the generator and discriminator of a config, initialised from the stream
  ``(config.seed, "gan", "init")`` of :mod:`core.seeding`.

The convolutional GAN ("dcgan") is DCGAN-shaped and sized for a CPU: the generator maps the noise (and
a class embedding) through a linear layer to a 4x4 map (7x7 for 28 px) and doubles it with transposed
convolutions, BatchNorm and ReLU; the discriminator halves the image with strided convolutions and
LeakyReLU, sums the last map over space and reads one logit from it, class-conditional through a
projection (Miyato & Koyama 2018: ``linear(h) + <embed(y), h>``). It makes 16, 28, 32 and 64 px images,
gray or colour.

Randomness never comes from the global torch RNG (see :mod:`core.generators.gan.blocks`): the networks
are built on the ``meta`` device (so constructing a layer draws nothing) and every parameter is then
initialised from a ``torch.Generator``.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from core.config import check_bool, check_choice, check_float, check_int, check_seed, from_mapping
from core.errors import ConfigError
from core.generators.gan.blocks import (
    CONV_SIZES,
    ClassBatchNorm2d,
    GenDropout,
    SpectralNorm,
    conv_ladder,
    diff_augment,
    init_weights,
)
from core.seeding import torch_generator

__all__ = [
    "ARCHS",
    "DCGAN_SIZES",
    "LOSSES",
    "SIZE_CHOICES",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "GANConfig",
    "GenDropout",
    "Generator",
    "MLPDiscriminator",
    "MLPGenerator",
    "SpectralNorm",
    "build_models",
    "diff_augment",
]

ARCHS = ("mlp", "dcgan")
LOSSES = ("bce", "hinge")
DCGAN_SIZES = CONV_SIZES
MLP_SIZE_RANGE = (8, 64)  # pixels, inclusive
# The image sizes offered per architecture (the pages' menus, the CLI's default is the first).
SIZE_CHOICES = {"mlp": (8, 16, 28, 32), "dcgan": DCGAN_SIZES}
# Adam learning rates by architecture. Measured (bench/bench_gan.py): the MLP GAN's 2e-4 suits the digits;
# the convolutional GAN learns the drawn shapes about twice as fast per step with 1e-3 as with 5e-4.
# Its width too (default_width): on one CPU thread 16 maps take twice the steps of 32 in the same time.
DEFAULT_LR = {"mlp": 2e-4, "dcgan": 1e-3}
MAX_CLASSES = 100  # conditional models: one-hot label maps grow the discriminator with the class count
MAX_HELD_OUT = 0.5  # below one half, every class keeps at least one training image (largest remainders)


# ---------------------------------------------------------------------------------------------
# Configuration


def default_width(image_size: int) -> int:
    """The convolutional GAN's ``base_channels`` for a size: 32 up to 28 px, 16 above.

    Measured after 60 s on one CPU thread (bench/bench_gan.py): 32 px textures learn more with 16 maps
    (about 1,400 steps; 650 with 32); 16 px shapes reach the same TSTR with either, but with 32 maps
    the same on two seeds (0.77, 0.78) where 16 gave 0.79 and 0.55.
    """
    return 32 if image_size <= 28 else 16


@dataclass(frozen=True)
class GANConfig:
    """What to build and how to train it; validated on construction (:class:`ConfigError`)."""

    arch: str = "mlp"  # "mlp": the classic fully connected GAN; "dcgan": convolutional, 16/28/32/64 px
    image_size: int = 8  # side of the square images, pixels (mlp 8..64; dcgan 16, 28, 32 or 64); 8 = digits
    channels: int = 1  # 1 grayscale, 3 RGB
    n_classes: int = 0  # 0: unconditional; > 0: class-conditional on that many classes
    z_dim: int = 100  # length of the generator's noise vector
    batch_size: int = 64  # real images per step (and as many generated ones)
    lr: float | None = None  # Adam learning rate of both networks; None: DEFAULT_LR of the architecture
    beta1: float = 0.5  # Adam beta1 of both networks (beta2 stays 0.999)
    loss: str = "bce"  # "bce": non-saturating GAN loss; "hinge": D hinge loss, G = -D(fake).mean()
    label_smoothing: float = 0.0  # one-sided: real target 1 - s for the discriminator (bce only)
    spectral_norm: bool = False  # spectral normalisation on every discriminator weight
    diffaugment: bool = False  # DiffAugment (brightness, translation, cutout) on real and fake before D
    seed: int = 0  # weights, batches, noise, dropout, augmentation and the held-out split derive from it
    hidden: tuple[int, int] = (256, 512)  # mlp generator widths; the discriminator mirrors them
    base_channels: int | None = None  # dcgan maps next to the image, doubled per level; None: default_width
    dropout: float = 0.3  # mlp discriminator dropout probability
    held_out: float = 0.2  # share of each class kept out of training for the quality checks (0: none)
    ema: float = 0.999  # samples come from an average of the generator's weights with this decay (0: off)

    def __post_init__(self) -> None:
        def put(name: str, value: Any) -> None:  # plain Python types, so numpy scalars never reach JSON
            object.__setattr__(self, name, value)

        put("arch", check_choice("arch", self.arch, ARCHS))
        put("image_size", check_int("image_size", self.image_size, 1, 4096))
        if self.arch == "mlp" and not MLP_SIZE_RANGE[0] <= self.image_size <= MLP_SIZE_RANGE[1]:
            raise ConfigError(
                f"The MLP GAN takes image sizes (image_size) from {MLP_SIZE_RANGE[0]} to {MLP_SIZE_RANGE[1]} "
                f"pixels, got {self.image_size}."
            )
        if self.arch == "dcgan" and self.image_size not in DCGAN_SIZES:
            sizes = ", ".join(map(str, DCGAN_SIZES))
            raise ConfigError(
                f"The DCGAN makes images of {sizes} pixels (image_size), got {self.image_size}."
            )
        put("channels", check_int("channels", self.channels, 1, 3))
        if self.channels == 2:
            raise ConfigError("channels must be 1 (grayscale) or 3 (RGB), got 2.")
        put("n_classes", check_int("n_classes", self.n_classes, 0, MAX_CLASSES))
        if self.n_classes == 1:
            raise ConfigError("A conditional GAN needs at least 2 classes; use n_classes=0 for one class.")
        put("z_dim", check_int("z_dim", self.z_dim, 1, 1024))
        put("batch_size", check_int("batch_size", self.batch_size, 2, 4096))
        put(
            "lr",
            DEFAULT_LR[self.arch] if self.lr is None else check_float("lr", self.lr, 0.0, 1.0, low_open=True),
        )
        put("beta1", check_float("beta1", self.beta1, 0.0, 1.0, high_open=True))
        put("loss", check_choice("loss", self.loss, LOSSES))
        put("label_smoothing", check_float("label_smoothing", self.label_smoothing, 0.0, 0.5, high_open=True))
        if self.label_smoothing > 0 and self.loss != "bce":
            raise ConfigError("Label smoothing only applies to the bce loss; set it to 0 for the hinge loss.")
        put("spectral_norm", check_bool("spectral_norm", self.spectral_norm))
        put("diffaugment", check_bool("diffaugment", self.diffaugment))
        put("seed", check_seed("seed", self.seed))
        hidden = tuple(self.hidden) if isinstance(self.hidden, list | tuple) else self.hidden
        if not (isinstance(hidden, tuple) and len(hidden) == 2):
            raise ConfigError(f"hidden must be two layer widths, e.g. [256, 512], got {self.hidden!r}.")
        put("hidden", tuple(check_int("hidden width", width, 1, 8192) for width in hidden))
        width = default_width(self.image_size) if self.base_channels is None else self.base_channels
        put("base_channels", check_int("base_channels", width, 1, 512))
        put("dropout", check_float("dropout", self.dropout, 0.0, 1.0, high_open=True))
        put("held_out", check_float("held_out", self.held_out, 0.0, MAX_HELD_OUT, high_open=True))
        put("ema", check_float("ema", self.ema, 0.0, 1.0, high_open=True))

    @property
    def conditional(self) -> bool:
        """Whether the model is class-conditional."""
        return self.n_classes > 0

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(channels, image_size, image_size)`` of the tensors the model makes and judges."""
        return (self.channels, self.image_size, self.image_size)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``hidden`` as a list)."""
        out = asdict(self)
        out["hidden"] = list(self.hidden)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GANConfig:
        """The inverse of :meth:`to_dict`; missing keys take their defaults.

        Raises:
            ConfigError: Not a dict, an unknown key, or an invalid value.
        """
        return from_mapping(cls, data, "GAN configuration")

    @classmethod
    def dry_run(cls, **overrides: Any) -> GANConfig:
        """A tiny configuration (narrow layers, small batches) that trains in milliseconds, for tests."""
        base: dict[str, Any] = {"z_dim": 16, "batch_size": 8, "hidden": (16, 32), "base_channels": 4}
        base.update(overrides)
        return cls(**base)


# ---------------------------------------------------------------------------------------------
# Models


class Generator(nn.Module):
    """Base of both generators: ``forward(z, labels) -> N x C x S x S`` in [-1, 1] (tanh)."""

    config: GANConfig

    @torch.no_grad()
    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Images for noise ``z`` (``N x z_dim``) and class indices ``labels`` (``N``, conditional only).

        Runs in eval mode (BatchNorm uses its running statistics) and restores the previous mode.
        """
        was_training = self.training
        self.eval()
        try:
            return self(z, labels)
        finally:
            self.train(was_training)


class MLPGenerator(Generator):
    """z (+ a class embedding) -> 256 -> 512 -> H*W*C, BatchNorm + LeakyReLU(0.2), tanh."""

    def __init__(self, config: GANConfig) -> None:
        super().__init__()
        self.config = config
        k = config.n_classes
        self.label_embedding = nn.Embedding(k, k) if k else None
        h1, h2 = config.hidden
        out = config.channels * config.image_size**2
        self.net = nn.Sequential(
            nn.Linear(config.z_dim + k, h1),
            nn.BatchNorm1d(h1),
            nn.LeakyReLU(0.2),
            nn.Linear(h1, h2),
            nn.BatchNorm1d(h2),
            nn.LeakyReLU(0.2),
            nn.Linear(h2, out),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.label_embedding is not None:
            z = torch.cat([z, self.label_embedding(labels)], dim=1)
        return self.net(z).view(z.shape[0], *self.config.image_shape)


class MLPDiscriminator(nn.Module):
    """Image (+ a class embedding) -> 512 -> 256 -> 1 logit, LeakyReLU(0.2) and dropout."""

    def __init__(self, config: GANConfig) -> None:
        super().__init__()
        self.config = config
        k = config.n_classes
        self.label_embedding = nn.Embedding(k, k) if k else None
        h1, h2 = config.hidden
        self.fc1 = nn.Linear(config.channels * config.image_size**2 + k, h2)
        self.fc2 = nn.Linear(h2, h1)
        self.fc3 = nn.Linear(h1, 1)
        self.drop1 = GenDropout(config.dropout)
        self.drop2 = GenDropout(config.dropout)

    def forward(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        x = x.flatten(1)
        if self.label_embedding is not None:
            x = torch.cat([x, self.label_embedding(labels)], dim=1)
        x = self.drop1(F.leaky_relu(self.fc1(x), 0.2), generator)
        x = self.drop2(F.leaky_relu(self.fc2(x), 0.2), generator)
        return self.fc3(x).view(-1)


class DCGANGenerator(Generator):
    """z (+ a class embedding) -> linear -> 4x4 (7x7) map -> ConvTranspose + BatchNorm + ReLU -> S x S, tanh.

    Widths halve per level from ``base_channels * 2**(levels - 1)`` to ``base_channels``; the last
    transposed convolution makes the image. Conditional models look up every BatchNorm's scale and shift
    by class (:class:`~core.generators.gan.blocks.ClassBatchNorm2d`).
    """

    def __init__(self, config: GANConfig) -> None:
        super().__init__()
        self.config = config
        k = config.n_classes
        self.label_embedding = nn.Embedding(k, k) if k else None
        start, levels = conv_ladder(config.image_size)
        widths = [config.base_channels * 2 ** (levels - 1 - i) for i in range(levels)]
        self.start = start
        self.project = nn.Linear(config.z_dim + k, widths[0] * start * start)
        self.norms = nn.ModuleList([ClassBatchNorm2d(widths[0], k)])
        self.ups = nn.ModuleList()
        for a, b in itertools.pairwise(widths):
            self.ups.append(nn.ConvTranspose2d(a, b, 4, 2, 1, bias=False))
            self.norms.append(ClassBatchNorm2d(b, k))
        self.to_image = nn.ConvTranspose2d(widths[-1], config.channels, 4, 2, 1)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.label_embedding is not None:
            z = torch.cat([z, self.label_embedding(labels)], dim=1)
        x = self.project(z).view(z.shape[0], -1, self.start, self.start)
        x = F.relu(self.norms[0](x, labels))
        for up, norm in zip(self.ups, self.norms[1:], strict=True):
            x = F.relu(norm(up(x), labels))
        return torch.tanh(self.to_image(x))


class DCGANDiscriminator(nn.Module):
    """Image (+ one-hot label maps) -> strided Conv + LeakyReLU(0.2) down to 4x4 (7x7 -> 3x3) -> sum over
    space -> 1 logit.

    The logit also sees the minibatch standard deviation of the pooled features (Karras et al. 2018,
    over groups of 4 images): a generator that gives every noise the same image is easy to tell from a
    real batch, which keeps a class's samples from collapsing onto one. Class-conditional models see the
    class twice: as one-hot maps beside the image's channels (from the first layer on: measured, the
    generator then follows the class within a few hundred steps, where the projection alone left it
    mixing classes) and as the projection ``<embed(y), h>`` of the pooled features ``h``.
    """

    GROUP = 4  # images per minibatch-deviation group (smaller batches use 2, or none)

    def __init__(self, config: GANConfig) -> None:
        super().__init__()
        self.config = config
        _, levels = conv_ladder(config.image_size)
        widths = [config.base_channels * 2**i for i in range(levels)]
        layers: list[nn.Module] = []
        previous = config.channels + config.n_classes
        for width in widths:
            layers += [nn.Conv2d(previous, width, 4, 2, 1), nn.LeakyReLU(0.2)]
            previous = width
        self.net = nn.Sequential(*layers)
        self.head = nn.Linear(previous + 1, 1)
        self.label_embedding = nn.Embedding(config.n_classes, previous) if config.n_classes else None

    def _deviation(self, h: torch.Tensor) -> torch.Tensor:
        """``N x 1``: the mean over features of their standard deviation within each group of images."""
        n = h.shape[0]
        group = next(g for g in (self.GROUP, 2, 1) if n % g == 0)
        if group == 1:
            return h.new_zeros(n, 1)
        spread = h.view(group, n // group, -1).var(dim=0, unbiased=False).add(1e-8).sqrt().mean(dim=1)
        return spread.repeat(group).view(n, 1)

    def forward(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        if self.config.n_classes:
            maps = F.one_hot(labels, self.config.n_classes).to(x.dtype)[:, :, None, None]
            x = torch.cat([x, maps.expand(-1, -1, x.shape[2], x.shape[3])], dim=1)
        h = self.net(x).sum(dim=(2, 3))
        out = self.head(torch.cat([h, self._deviation(h)], dim=1)).view(-1)
        if self.label_embedding is not None:
            out = out + (self.label_embedding(labels) * h).sum(dim=1)
        return out


def build_models(config: GANConfig, device: torch.device | str = "cpu") -> tuple[Generator, nn.Module]:
    """The generator and discriminator of ``config``, initialised from the stream ``(seed, "gan", "init")``.

    Layers are constructed on the ``meta`` device, so that their default initialisation draws nothing
    from the global RNG, then materialised on the CPU, initialised from the seed
    (:func:`~core.generators.gan.blocks.init_weights`), given spectral norm if asked, and moved to
    ``device``.
    """
    gen_cls, disc_cls = (
        (MLPGenerator, MLPDiscriminator) if config.arch == "mlp" else (DCGANGenerator, DCGANDiscriminator)
    )
    with torch.device("meta"):
        generator_net, discriminator = gen_cls(config), disc_cls(config)
    rng = torch_generator(config.seed, "gan", "init")
    for model in (generator_net, discriminator):
        model.to_empty(device="cpu")
        init_weights(model, rng)
    if config.spectral_norm:
        for module in list(discriminator.modules()):
            if isinstance(module, nn.Linear | nn.Conv2d):
                parametrize.register_parametrization(module, "weight", SpectralNorm(module.weight, rng))
    return generator_net.to(device), discriminator.to(device)
