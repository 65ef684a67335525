"""The GAN's configuration and networks: the classic MLP GAN and a small DCGAN, with no I/O.

- :class:`GANConfig`: a frozen, validated, JSON round-trippable description of the model, its training
  and its held-out share.
- :func:`build_models`: the generator and discriminator of a config, initialised from the stream
  ``(config.seed, "gan", "init")`` of :mod:`core.seeding`.

Randomness never comes from the global torch RNG (Streamlit serves every browser session as a thread
of one process): the networks are built on the ``meta`` device (so constructing a layer draws
nothing) and every parameter is then initialised from a ``torch.Generator``; dropout masks, DiffAugment
and the spectral-norm power-iteration vectors draw from the generator passed to them.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from core.config import check_bool, check_choice, check_float, check_int, check_seed, from_mapping
from core.errors import ConfigError
from core.seeding import torch_generator

ARCHS = ("mlp", "dcgan")
LOSSES = ("bce", "hinge")
DCGAN_SIZES = (32, 64)
MLP_SIZE_RANGE = (8, 64)  # pixels, inclusive
# The image sizes offered per architecture (the pages' menus, the CLI's default is the first).
SIZE_CHOICES = {"mlp": (8, 16, 28, 32), "dcgan": DCGAN_SIZES}
MAX_CLASSES = 100  # conditional models: one-hot label maps grow the discriminator with the class count
MAX_HELD_OUT = 0.5  # below one half, every class keeps at least one training image (largest remainders)


# ---------------------------------------------------------------------------------------------
# Configuration


@dataclass(frozen=True)
class GANConfig:
    """What to build and how to train it; validated on construction (:class:`ConfigError`)."""

    arch: str = "mlp"  # "mlp": the classic fully connected GAN; "dcgan": convolutional, 32 or 64 px
    image_size: int = 8  # side of the square images, pixels (mlp 8..64; dcgan 32 or 64); 8 = digits
    channels: int = 1  # 1 grayscale, 3 RGB
    n_classes: int = 0  # 0: unconditional; > 0: class-conditional on that many classes
    z_dim: int = 100  # length of the generator's noise vector
    batch_size: int = 64  # real images per step (and as many generated ones)
    lr: float = 2e-4  # Adam learning rate of both networks
    beta1: float = 0.5  # Adam beta1 of both networks (beta2 stays 0.999)
    loss: str = "bce"  # "bce": non-saturating GAN loss; "hinge": D hinge loss, G = -D(fake).mean()
    label_smoothing: float = 0.0  # one-sided: real target 1 - s for the discriminator (bce only)
    spectral_norm: bool = False  # spectral normalisation on every discriminator weight
    diffaugment: bool = False  # DiffAugment (brightness, translation, cutout) on real and fake before D
    seed: int = 0  # weights, batches, noise, dropout, augmentation and the held-out split derive from it
    hidden: tuple[int, int] = (256, 512)  # mlp generator widths; the discriminator mirrors them
    base_channels: int = 64  # dcgan feature maps next to the image (ngf = ndf); doubled per level
    dropout: float = 0.3  # mlp discriminator dropout probability
    held_out: float = 0.2  # share of each class kept out of training for the quality checks (0: none)

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
            raise ConfigError(
                f"The DCGAN makes 32x32 or 64x64 images (image_size 32 or 64), got {self.image_size}."
            )
        put("channels", check_int("channels", self.channels, 1, 3))
        if self.channels == 2:
            raise ConfigError("channels must be 1 (grayscale) or 3 (RGB), got 2.")
        put("n_classes", check_int("n_classes", self.n_classes, 0, MAX_CLASSES))
        if self.n_classes == 1:
            raise ConfigError("A conditional GAN needs at least 2 classes; use n_classes=0 for one class.")
        put("z_dim", check_int("z_dim", self.z_dim, 1, 1024))
        put("batch_size", check_int("batch_size", self.batch_size, 2, 4096))
        put("lr", check_float("lr", self.lr, 0.0, 1.0, low_open=True))
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
        put("base_channels", check_int("base_channels", self.base_channels, 1, 512))
        put("dropout", check_float("dropout", self.dropout, 0.0, 1.0, high_open=True))
        put("held_out", check_float("held_out", self.held_out, 0.0, MAX_HELD_OUT, high_open=True))

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
# Building blocks that draw from a passed generator, never the global RNG


class GenDropout(nn.Module):
    """Dropout whose mask comes from the generator passed to ``forward`` (nn.Dropout uses the global RNG)."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        if generator is None:
            raise ValueError("GenDropout needs a torch.Generator in training mode.")
        keep = torch.empty_like(x).bernoulli_(1.0 - self.p, generator=generator)
        return x * keep / (1.0 - self.p)


class SpectralNorm(nn.Module):
    """Spectral normalisation as a parametrization, like ``torch.nn.utils.parametrizations.spectral_norm``
    (one power iteration per training forward, 15 at creation) but with ``u``/``v`` drawn from a generator.
    """

    def __init__(self, weight: torch.Tensor, generator: torch.Generator, eps: float = 1e-12) -> None:
        super().__init__()
        self.eps = eps
        matrix = weight.detach().flatten(1)
        h, w = matrix.shape
        u = torch.randn(h, generator=generator, dtype=weight.dtype, device=weight.device)
        v = torch.randn(w, generator=generator, dtype=weight.dtype, device=weight.device)
        self.register_buffer("_u", F.normalize(u, dim=0, eps=eps))
        self.register_buffer("_v", F.normalize(v, dim=0, eps=eps))
        self._power_method(matrix, 15)

    @torch.no_grad()
    def _power_method(self, matrix: torch.Tensor, iterations: int) -> None:
        for _ in range(iterations):
            self._u = F.normalize(torch.mv(matrix, self._v), dim=0, eps=self.eps, out=self._u)
            self._v = F.normalize(torch.mv(matrix.t(), self._u), dim=0, eps=self.eps, out=self._v)

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        matrix = weight.flatten(1)
        if self.training:
            self._power_method(matrix, 1)
        u = self._u.clone(memory_format=torch.contiguous_format)
        v = self._v.clone(memory_format=torch.contiguous_format)
        sigma = torch.dot(u, torch.mv(matrix, v))
        return weight / sigma


def diff_augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """DiffAugment (Zhao et al., 2020), differentiable, on an ``N x C x H x W`` batch in [-1, 1].

    1. Brightness: add one value uniform in [-0.5, 0.5) per image.
    2. Translation: shift each image by whole pixels, up to 1/8 of the side each way, zero fill.
    3. Cutout: set one square of half the side (centre anywhere in the image) to 0 per image.
    """
    n, c, h, w = x.shape
    dev = x.device
    # 1. brightness
    x = x + (torch.rand(n, 1, 1, 1, generator=generator, device=dev, dtype=x.dtype) - 0.5)
    # 2. translation: gather from a 1-pixel zero-padded copy, source indices clamped onto the padding
    #    (one flat gather per image: its backward is a cheap scatter-add, unlike advanced indexing)
    sh, sw = int(h * 0.125 + 0.5), int(w * 0.125 + 0.5)
    ty = torch.randint(-sh, sh + 1, (n, 1, 1), generator=generator, device=dev)
    tx = torch.randint(-sw, sw + 1, (n, 1, 1), generator=generator, device=dev)
    rows = torch.clamp(torch.arange(h, device=dev)[None, :, None] + ty + 1, 0, h + 1)
    cols = torch.clamp(torch.arange(w, device=dev)[None, None, :] + tx + 1, 0, w + 1)
    index = (rows * (w + 2) + cols).reshape(n, 1, h * w).expand(n, c, h * w)
    x = torch.gather(F.pad(x, [1, 1, 1, 1]).reshape(n, c, -1), 2, index).reshape(n, c, h, w)
    # 3. cutout: zero the square [oy - ch/2, oy + ch/2) x [ox - cw/2, ox + cw/2), clipped to the image
    ch, cw = int(h * 0.5 + 0.5), int(w * 0.5 + 0.5)
    oy = torch.randint(0, h + (1 - ch % 2), (n, 1, 1), generator=generator, device=dev)
    ox = torch.randint(0, w + (1 - cw % 2), (n, 1, 1), generator=generator, device=dev)
    r = torch.arange(h, device=dev)[None, :, None] - (oy - ch // 2)
    q = torch.arange(w, device=dev)[None, None, :] - (ox - cw // 2)
    inside = (r >= 0) & (r < ch) & (q >= 0) & (q < cw)
    return x * (~inside).to(x.dtype).unsqueeze(1)


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
    """z (+ a class embedding) as a 1x1 map -> ConvTranspose + BatchNorm + ReLU up to S x S, tanh."""

    def __init__(self, config: GANConfig) -> None:
        super().__init__()
        self.config = config
        k = config.n_classes
        self.label_embedding = nn.Embedding(k, k) if k else None
        levels = int(math.log2(config.image_size)) - 2  # 4x4 -> image_size by doubling
        widths = [config.base_channels * 2 ** (levels - 1 - i) for i in range(levels)]
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(config.z_dim + k, widths[0], 4, 1, 0, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(),
        ]
        for a, b in itertools.pairwise(widths):
            layers += [nn.ConvTranspose2d(a, b, 4, 2, 1, bias=False), nn.BatchNorm2d(b), nn.ReLU()]
        layers += [nn.ConvTranspose2d(widths[-1], config.channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.label_embedding is not None:
            z = torch.cat([z, self.label_embedding(labels)], dim=1)
        return self.net(z[:, :, None, None])


class DCGANDiscriminator(nn.Module):
    """Image (+ one-hot label maps) -> strided Conv + LeakyReLU(0.2) down to 4x4 -> 1 logit."""

    def __init__(self, config: GANConfig) -> None:
        super().__init__()
        self.config = config
        levels = int(math.log2(config.image_size)) - 2
        widths = [config.base_channels * 2**i for i in range(levels)]
        layers: list[nn.Module] = []
        previous = config.channels + config.n_classes
        for width in widths:
            layers += [nn.Conv2d(previous, width, 4, 2, 1), nn.LeakyReLU(0.2)]
            previous = width
        layers.append(nn.Conv2d(previous, 1, 4, 1, 0))
        self.net = nn.Sequential(*layers)

    def forward(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        if self.config.n_classes:
            maps = F.one_hot(labels, self.config.n_classes).to(x.dtype)[:, :, None, None]
            x = torch.cat([x, maps.expand(-1, -1, x.shape[2], x.shape[3])], dim=1)
        return self.net(x).view(-1)


def _init_weights(model: nn.Module, generator: torch.Generator) -> None:
    """Initialise every parameter and buffer from ``generator`` (the model was built on ``meta``).

    Convolutions: normal(0, 0.02) and zero biases (DCGAN). Linear layers: PyTorch's default
    (kaiming-uniform weights with a=sqrt(5), biases uniform in +-1/sqrt(fan_in)). BatchNorm: weight
    normal(1, 0.02), bias 0, fresh running statistics. Embeddings: normal(0, 1).
    """
    for module in model.modules():
        if isinstance(module, nn.Conv2d | nn.ConvTranspose2d):
            nn.init.normal_(module.weight, 0.0, 0.02, generator=generator)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Linear):
            nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=generator)
            bound = 1 / math.sqrt(module.in_features)
            nn.init.uniform_(module.bias, -bound, bound, generator=generator)
        elif isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
            nn.init.normal_(module.weight, 1.0, 0.02, generator=generator)
            nn.init.zeros_(module.bias)
            module.reset_running_stats()
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, 0.0, 1.0, generator=generator)


def build_models(config: GANConfig, device: torch.device | str = "cpu") -> tuple[Generator, nn.Module]:
    """The generator and discriminator of ``config``, initialised from the stream ``(seed, "gan", "init")``.

    Layers are constructed on the ``meta`` device, so that their default initialisation draws nothing
    from the global RNG, then materialised on the CPU, initialised from the seed, given spectral norm
    if asked, and moved to ``device``.
    """
    gen_cls, disc_cls = (
        (MLPGenerator, MLPDiscriminator) if config.arch == "mlp" else (DCGANGenerator, DCGANDiscriminator)
    )
    with torch.device("meta"):
        generator_net, discriminator = gen_cls(config), disc_cls(config)
    rng = torch_generator(config.seed, "gan", "init")
    for model in (generator_net, discriminator):
        model.to_empty(device="cpu")
        _init_weights(model, rng)
    if config.spectral_norm:
        for module in list(discriminator.modules()):
            if isinstance(module, nn.Linear | nn.Conv2d):
                parametrize.register_parametrization(module, "weight", SpectralNorm(module.weight, rng))
    return generator_net.to(device), discriminator.to(device)
