"""Generative adversarial networks for small image datasets: the classic MLP GAN and a small DCGAN.

The pieces, in the order a page uses them:

1. :class:`GANConfig`: a frozen, validated, JSON round-trippable description of the model and its training.
2. :func:`prepare_images`: AugLab images (:class:`core.data.image_io.LoadedImage`) to an ``N x C x S x S``
   float tensor in [-1, 1], integer labels and the sorted class names.
3. :class:`GANTrainer`: one discriminator and one generator update per :meth:`GANTrainer.step`, a preview
   grid from a fixed noise batch, ``state()``/``load_state()`` for :class:`engine.TrainingRun`,
   ``checkpoint()``/``from_checkpoint()`` in the :mod:`core.generators.checkpoint` format, and ``generate()``.

Randomness never comes from the global torch RNG (Streamlit serves every browser session as a thread
of one process): the networks are built on the ``meta`` device (so constructing a layer draws
nothing) and every parameter is then initialised from a ``torch.Generator`` derived from the config
seed; batches, noise, dropout masks, DiffAugment and the spectral-norm power-iteration vectors all
draw from the trainer's own generator, whose state travels with ``state()`` and the checkpoint.
The same seed therefore gives the same weights and samples on the same machine and thread count.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from core.config import from_mapping
from core.data.image_io import LoadedImage
from core.errors import ConfigError
from core.generators.checkpoint import FORMAT_VERSION, CheckpointError
from core.generators.engine import clone_state, pick_device

ARCHS = ("mlp", "dcgan")
LOSSES = ("bce", "hinge")
DCGAN_SIZES = (32, 64)
MLP_SIZE_RANGE = (8, 64)  # pixels, inclusive
MAX_CLASSES = 100  # conditional models: one-hot label maps grow the discriminator with the class count
PREVIEW_PER_CLASS = 8  # preview columns per class row (conditional models)
PREVIEW_UNCONDITIONAL = 64  # preview images of an unconditional model, as an 8 x 8 grid
PREVIEW_MAX_ROWS = 20  # conditional previews show the first 20 classes at most
PREVIEW_MIN_CELL = 32  # preview cells are enlarged (nearest neighbour) to at least this many pixels
GENERATE_CHUNK = 512  # images per forward pass in generate()
ADAM_BETA2 = 0.999


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
    seed: int = 0  # weights, batches, noise, dropout and augmentation all derive from it
    hidden: tuple[int, int] = (256, 512)  # mlp generator widths; the discriminator mirrors them
    base_channels: int = 64  # dcgan feature maps next to the image (ngf = ndf); doubled per level
    dropout: float = 0.3  # mlp discriminator dropout probability

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "hidden", tuple(self.hidden) if isinstance(self.hidden, list) else self.hidden
        )
        if self.arch not in ARCHS:
            raise ConfigError(f"The architecture must be one of {', '.join(ARCHS)}, got {self.arch!r}.")
        _check_int("image_size", self.image_size, 1, 4096)
        if self.arch == "mlp" and not MLP_SIZE_RANGE[0] <= self.image_size <= MLP_SIZE_RANGE[1]:
            raise ConfigError(
                f"The MLP GAN takes image sizes from {MLP_SIZE_RANGE[0]} to {MLP_SIZE_RANGE[1]} pixels, "
                f"got {self.image_size}."
            )
        if self.arch == "dcgan" and self.image_size not in DCGAN_SIZES:
            raise ConfigError(
                f"The DCGAN makes 32x32 or 64x64 images, got an image size of {self.image_size}."
            )
        if self.channels not in (1, 3) or isinstance(self.channels, bool):
            raise ConfigError(f"Channels must be 1 (grayscale) or 3 (RGB), got {self.channels!r}.")
        _check_int("n_classes", self.n_classes, 0, MAX_CLASSES)
        if self.n_classes == 1:
            raise ConfigError("A conditional GAN needs at least 2 classes; use n_classes=0 for one class.")
        _check_int("z_dim", self.z_dim, 1, 1024)
        _check_int("batch_size", self.batch_size, 2, 4096)
        _check_float("lr", self.lr, 0.0, 1.0, low_open=True)
        _check_float("beta1", self.beta1, 0.0, 1.0, high_open=True)
        if self.loss not in LOSSES:
            raise ConfigError(f"The loss must be one of {', '.join(LOSSES)}, got {self.loss!r}.")
        _check_float("label_smoothing", self.label_smoothing, 0.0, 0.5, high_open=True)
        if self.label_smoothing > 0 and self.loss != "bce":
            raise ConfigError("Label smoothing only applies to the bce loss; set it to 0 for the hinge loss.")
        for name in ("spectral_norm", "diffaugment"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be true or false, got {getattr(self, name)!r}.")
        _check_int("seed", self.seed, 0, 2**63 - 1)
        if not (isinstance(self.hidden, tuple) and len(self.hidden) == 2):
            raise ConfigError(f"hidden must be two layer widths, e.g. (256, 512), got {self.hidden!r}.")
        for width in self.hidden:
            _check_int("hidden width", width, 1, 8192)
        _check_int("base_channels", self.base_channels, 1, 512)
        _check_float("dropout", self.dropout, 0.0, 1.0, high_open=True)

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


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{name} must be a whole number from {low:,} to {high:,}, got {value!r}.")


def _check_float(
    name: str, value: Any, low: float, high: float, low_open: bool = False, high_open: bool = False
) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
    if not ok:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ConfigError(f"{name} must be a number in {interval}, got {value!r}.")


def derive_seed(seed: int, stream: str) -> int:
    """A 63-bit seed for one named random stream ("init", "train", "preview") of a config seed."""
    digest = hashlib.sha256(f"auglab-gan:{seed}:{stream}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


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
    """The generator and discriminator of ``config``, initialised from ``derive_seed(config.seed, "init")``.

    Layers are constructed on the ``meta`` device, so that their default initialisation draws nothing
    from the global RNG, then materialised on the CPU, initialised from the seed, given spectral norm
    if asked, and moved to ``device``.
    """
    gen_cls, disc_cls = (
        (MLPGenerator, MLPDiscriminator) if config.arch == "mlp" else (DCGANGenerator, DCGANDiscriminator)
    )
    with torch.device("meta"):
        generator_net, discriminator = gen_cls(config), disc_cls(config)
    rng = torch.Generator().manual_seed(derive_seed(config.seed, "init"))
    for model in (generator_net, discriminator):
        model.to_empty(device="cpu")
        _init_weights(model, rng)
    if config.spectral_norm:
        for module in list(discriminator.modules()):
            if isinstance(module, nn.Linear | nn.Conv2d):
                parametrize.register_parametrization(module, "weight", SpectralNorm(module.weight, rng))
    return generator_net.to(device), discriminator.to(device)


# ---------------------------------------------------------------------------------------------
# Data


def _to_channels(array: np.ndarray, channels: int) -> np.ndarray:
    """HxW, HxWx3 or HxWx4 uint8 -> HxW (channels 1) or HxWx3 (channels 3); alpha is dropped."""
    if array.ndim == 3 and array.shape[2] == 4:
        array = array[:, :, :3]
    if channels == 1:
        return cv2.cvtColor(array, cv2.COLOR_RGB2GRAY) if array.ndim == 3 else array
    return array if array.ndim == 3 else np.repeat(array[:, :, None], 3, axis=2)


def _resize_square(array: np.ndarray, size: int) -> np.ndarray:
    """Centre-crop to a square (keeps the aspect ratio), then resize to ``size`` x ``size``.

    Shrinking uses ``cv2.INTER_AREA`` (averages, no aliasing); enlarging uses ``cv2.INTER_LINEAR``:
    smooth edges suit the networks better than the blocks of INTER_NEAREST, and, unlike cubic, it
    never overshoots the 0..255 range.
    """
    h, w = array.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    array = array[top : top + side, left : left + side]
    if side == size:
        return np.ascontiguousarray(array)
    interpolation = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(array), (size, size), interpolation=interpolation)


def prepare_images(
    dataset_images: Sequence[LoadedImage], config: GANConfig
) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Turn AugLab images into the GAN's training tensor.

    Each image loses its alpha channel, becomes grayscale (ITU-R 601 luma) or RGB (gray replicated)
    to match ``config.channels``, is centre-cropped to a square and resized to ``config.image_size``
    (see :func:`_resize_square`), and is scaled from 0..255 to [-1, 1].

    Args:
        dataset_images: The images, e.g. ``ImageDataset.images``.
        config: The GAN configuration (image size, channels, classes).

    Returns:
        ``(images, labels, classes)``: float32 ``N x C x S x S`` in [-1, 1]; int64 ``N`` class
        indices into ``classes`` (all 0 for unconditional configs); the sorted distinct labels
        (empty for unconditional configs).

    Raises:
        ConfigError: No images; a conditional config with unlabelled images, or with a class count
            other than the images'.
    """
    if not dataset_images:
        raise ConfigError("There are no images to train on; load a dataset first.")
    classes: list[str] = []
    if config.conditional:
        unlabelled = [img.name for img in dataset_images if img.label is None]
        if unlabelled:
            raise ConfigError(
                f"A class-conditional GAN needs a label on every image, but {len(unlabelled):,} have none "
                f"(e.g. {unlabelled[0]}). Put images in one folder per class, or train an unconditional GAN."
            )
        classes = sorted({str(img.label) for img in dataset_images})
        if len(classes) != config.n_classes:
            raise ConfigError(
                f"The configuration expects {config.n_classes} classes but the images have {len(classes)} "
                f"({', '.join(classes[:10])}{', ...' if len(classes) > 10 else ''})."
            )
    index = {name: i for i, name in enumerate(classes)}
    out = np.empty((len(dataset_images), config.image_size, config.image_size, config.channels), np.uint8)
    for i, img in enumerate(dataset_images):
        pixels = _resize_square(_to_channels(img.array, config.channels), config.image_size)
        out[i] = pixels.reshape(config.image_size, config.image_size, config.channels)
    images = torch.from_numpy(out).permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0).contiguous()
    labels = torch.tensor(
        [index[str(img.label)] if classes else 0 for img in dataset_images], dtype=torch.long
    )
    return images, labels, classes


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """``N x C x S x S`` in [-1, 1] -> uint8 ``N x S x S`` (C = 1) or ``N x S x S x 3`` (C = 3)."""
    pixels = ((images.detach().float().cpu() + 1.0) * 127.5).round_().clamp_(0, 255).to(torch.uint8)
    pixels = pixels.permute(0, 2, 3, 1).numpy()
    return np.ascontiguousarray(pixels[..., 0] if pixels.shape[3] == 1 else pixels)


def image_grid(images: np.ndarray, cols: int, pad: int = 1, min_cell: int = PREVIEW_MIN_CELL) -> np.ndarray:
    """uint8 images (``N x S x S`` or ``N x S x S x 3``) as one RGB grid, row by row, white gaps.

    Cells are enlarged by a whole factor (nearest neighbour) to at least ``min_cell`` pixels, so an
    8x8 digit stays crisp on a page.
    """
    if images.ndim == 3:
        images = np.repeat(images[..., None], 3, axis=3)
    factor = max(1, math.ceil(min_cell / images.shape[1]))
    if factor > 1:
        images = images.repeat(factor, axis=1).repeat(factor, axis=2)
    n, s = images.shape[0], images.shape[1]
    rows = max(1, math.ceil(n / cols))
    grid = np.full((rows * s + (rows + 1) * pad, cols * s + (cols + 1) * pad, 3), 255, np.uint8)
    for k in range(n):
        r, c = divmod(k, cols)
        y, x = pad + r * (s + pad), pad + c * (s + pad)
        grid[y : y + s, x : x + s] = images[k]
    return grid


# ---------------------------------------------------------------------------------------------
# Checkpoint integrity


def _digest(value: Any, h: Any) -> None:
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu().contiguous().reshape(-1)
        h.update(f"T{t.dtype}{tuple(value.shape)}".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    elif isinstance(value, dict):
        h.update(b"D")
        for key in sorted(value, key=repr):
            h.update(repr(key).encode())
            _digest(value[key], h)
    elif isinstance(value, list | tuple):
        h.update(f"L{len(value)}".encode())
        for item in value:
            _digest(item, h)
    else:
        h.update(f"V{value!r}".encode())


def payload_digest(payload: dict[str, Any]) -> str:
    """sha256 over every entry of a checkpoint except ``"integrity"`` (tensors by dtype, shape, bytes).

    torch's zip reader does not check its CRCs, so a flipped byte inside a weight loads silently;
    this digest, written by :meth:`GANTrainer.checkpoint`, catches it.
    """
    h = hashlib.sha256()
    _digest({k: v for k, v in payload.items() if k != "integrity"}, h)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# Trainer


class GANTrainer:
    """Trains a GAN one step at a time; implements :class:`core.generators.engine.Trainer`.

    Attributes:
        config: The configuration.
        classes: Class names, index = label (empty when unconditional).
        device: Where the networks and the training images live.
        G: The generator. D: The discriminator.
        steps_done: Steps taken (one D and one G update each).
    """

    def __init__(
        self,
        images: torch.Tensor | None,
        labels: torch.Tensor | None,
        classes: list[str],
        config: GANConfig,
        device: torch.device | str | None = None,
    ) -> None:
        """
        Args:
            images: ``N x C x S x S`` float in [-1, 1] from :func:`prepare_images`; None for a model
                that only samples (``step()`` then raises ConfigError).
            labels: ``N`` class indices (ignored when unconditional).
            classes: Class names; ``len(classes) == config.n_classes`` when conditional.
            config: The configuration.
            device: Default :func:`core.generators.engine.pick_device`.

        Raises:
            ConfigError: The images, labels or classes do not fit the configuration.
        """
        self.config = config
        self.device = torch.device(device) if device is not None else pick_device()
        self.classes = [str(c) for c in classes]
        if config.conditional and len(self.classes) != config.n_classes:
            raise ConfigError(
                f"The configuration has {config.n_classes} classes but {len(self.classes)} were given."
            )
        self.images: torch.Tensor | None = None
        self.labels: torch.Tensor | None = None
        if images is not None:
            if images.ndim != 4 or tuple(images.shape[1:]) != config.image_shape or images.shape[0] == 0:
                raise ConfigError(
                    f"The training images must be N x {' x '.join(map(str, config.image_shape))}, N >= 1, "
                    f"got {tuple(images.shape)}; prepare them with prepare_images(images, config)."
                )
            self.images = images.to(self.device, torch.float32).contiguous()
            if config.conditional:
                if labels is None or labels.shape != (images.shape[0],):
                    raise ConfigError("A conditional GAN needs one class index per training image.")
                if int(labels.min()) < 0 or int(labels.max()) >= config.n_classes:
                    raise ConfigError(f"Class indices must lie in 0..{config.n_classes - 1}.")
                self.labels = labels.to(self.device, torch.long)
        self.G, self.D = build_models(config, self.device)
        betas = (config.beta1, ADAM_BETA2)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=config.lr, betas=betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=config.lr, betas=betas)
        self.rng = torch.Generator(self.device).manual_seed(derive_seed(config.seed, "train"))
        self.steps_done = 0
        self.fixed_z, self.fixed_labels = self._fixed_noise()

    # -- noise ----------------------------------------------------------------------------------

    def _noise(self, n: int, rng: torch.Generator) -> torch.Tensor:
        """``n x z_dim`` standard normal noise drawn on the CPU (the same on every device), moved over."""
        return torch.randn(n, self.config.z_dim, generator=rng).to(self.device)

    def _fixed_noise(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The preview batch: 8 per class, one class per row (first 20 classes), or 64 unconditional."""
        rng = torch.Generator().manual_seed(derive_seed(self.config.seed, "preview"))
        if self.config.conditional:
            rows = min(self.config.n_classes, PREVIEW_MAX_ROWS)
            labels = torch.arange(rows).repeat_interleave(PREVIEW_PER_CLASS).to(self.device)
            return self._noise(rows * PREVIEW_PER_CLASS, rng), labels
        return self._noise(PREVIEW_UNCONDITIONAL, rng), None

    # -- training -------------------------------------------------------------------------------

    def _judge(self, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        if self.config.diffaugment:
            x = diff_augment(x, self.rng)
        return self.D(x, labels, self.rng)

    def step(self) -> dict[str, float]:
        """One discriminator update, then one generator update on the same generated batch.

        bce: D minimises BCE(D(real), 1 - label_smoothing) + BCE(D(fake), 0); G minimises
        BCE(D(fake), 1) (non-saturating). hinge: D minimises mean(relu(1 - D(real))) +
        mean(relu(1 + D(fake))); G minimises -mean(D(fake)).

        Returns:
            ``{"discriminator": loss, "generator": loss}``.

        Raises:
            ConfigError: The trainer was loaded without training images.
        """
        if self.images is None:
            raise ConfigError(
                "This GAN was loaded for sampling only; give it training images to continue training."
            )
        cfg, rng, dev = self.config, self.rng, self.device
        n = cfg.batch_size
        index = torch.randint(self.images.shape[0], (n,), generator=rng, device=dev)
        real = self.images[index]
        real_labels = fake_labels = None
        if cfg.conditional:
            real_labels = self.labels[index]
            fake_labels = torch.randint(cfg.n_classes, (n,), generator=rng, device=dev)
        z = torch.randn(n, cfg.z_dim, generator=rng, device=dev)
        fake = self.G(z, fake_labels)

        # 1. Discriminator
        d_real = self._judge(real, real_labels)
        d_fake = self._judge(fake.detach(), fake_labels)
        if cfg.loss == "bce":
            target = torch.full_like(d_real, 1.0 - cfg.label_smoothing)
            loss_d = F.binary_cross_entropy_with_logits(d_real, target) + F.binary_cross_entropy_with_logits(
                d_fake, torch.zeros_like(d_fake)
            )
        else:
            loss_d = F.relu(1.0 - d_real).mean() + F.relu(1.0 + d_fake).mean()
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()

        # 2. Generator (D's weights are frozen so that no gradient is spent on them)
        self.D.requires_grad_(False)
        try:
            d_fake = self._judge(fake, fake_labels)
            if cfg.loss == "bce":
                loss_g = F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))
            else:
                loss_g = -d_fake.mean()
            self.opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            self.opt_g.step()
        finally:
            self.D.requires_grad_(True)
        self.steps_done += 1
        return {"discriminator": loss_d.item(), "generator": loss_g.item()}

    # -- looking --------------------------------------------------------------------------------

    def preview(self) -> np.ndarray:
        """The generator on the fixed noise batch, in eval mode, as a uint8 RGB grid (HxWx3).

        Conditional: one row per class (the first 20), 8 columns. Unconditional: 8 x 8.
        """
        images = to_uint8(self.G.generate(self.fixed_z, self.fixed_labels))
        return image_grid(images, PREVIEW_PER_CLASS)

    def generate(
        self, n: int, labels: list[int] | None = None, seed: int = 0
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Sample images in eval mode; the same ``seed`` gives the same images.

        Args:
            n: Images to make; for a conditional model with ``labels=None``, images per class.
            labels: Conditional models only: one class index per image (``len(labels) == n``), or None
                for ``n`` of every class, class by class.
            seed: Seed of the noise (a fresh generator; training randomness is untouched).

        Returns:
            uint8 images ``N x S x S`` (grayscale) or ``N x S x S x 3``, and their class indices
            (int64 ``N``; None for an unconditional model).

        Raises:
            ConfigError: A bad count, labels for an unconditional model or out-of-range labels.
        """
        cfg = self.config
        _check_int("n", n, 1, 10**6)
        if not cfg.conditional:
            if labels is not None:
                raise ConfigError("This GAN is unconditional; generate without class labels.")
            wanted = None
        elif labels is None:
            wanted = np.repeat(np.arange(cfg.n_classes), n)
        else:
            wanted = np.asarray(labels, dtype=np.int64).reshape(-1)
            if len(wanted) != n:
                raise ConfigError(f"Give one class index per image: {n} images but {len(wanted)} labels.")
            if wanted.min() < 0 or wanted.max() >= cfg.n_classes:
                raise ConfigError(f"Class indices must lie in 0..{cfg.n_classes - 1}.")
        total = n if wanted is None else len(wanted)
        z = torch.randn(total, cfg.z_dim, generator=torch.Generator().manual_seed(seed))
        chunks = []
        for start in range(0, total, GENERATE_CHUNK):
            zc = z[start : start + GENERATE_CHUNK].to(self.device)
            lc = (
                None
                if wanted is None
                else torch.from_numpy(wanted[start : start + GENERATE_CHUNK]).to(self.device)
            )
            chunks.append(to_uint8(self.G.generate(zc, lc)))
        return np.concatenate(chunks), wanted

    # -- state ----------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """A deep copy of the weights, both optimisers, the step count and the training RNG state."""
        return clone_state(
            {
                "generator": self.G.state_dict(),
                "discriminator": self.D.state_dict(),
                "opt_generator": self.opt_g.state_dict(),
                "opt_discriminator": self.opt_d.state_dict(),
                "steps_done": self.steps_done,
                "rng": self.rng.get_state(),
            }
        )

    def load_state(self, state: dict[str, Any]) -> None:
        """Go back to a state from :meth:`state` (copied, so the same state can be loaded again)."""
        state = clone_state(state)
        self.G.load_state_dict(state["generator"])
        self.D.load_state_dict(state["discriminator"])
        self.opt_g.load_state_dict(state["opt_generator"])
        self.opt_d.load_state_dict(state["opt_discriminator"])
        self.steps_done = int(state["steps_done"])
        self.rng.set_state(state["rng"])

    def checkpoint(self) -> dict[str, Any]:
        """The :mod:`checkpoint` payload (plain tensors and JSON values, loadable with weights_only).

        ``{"kind": "gan", "format_version", "model": {"generator", "discriminator"}, "config",
        "classes", "optimizer": {"generator", "discriminator"}, "steps", "rng", "integrity"}``;
        ``integrity`` is :func:`payload_digest` of the rest.
        """
        state = self.state()
        payload = _to_cpu(
            {
                "kind": "gan",
                "format_version": FORMAT_VERSION,
                "model": {"generator": state["generator"], "discriminator": state["discriminator"]},
                "config": self.config.to_dict(),
                "classes": list(self.classes),
                "optimizer": {
                    "generator": state["opt_generator"],
                    "discriminator": state["opt_discriminator"],
                },
                "steps": self.steps_done,
                "rng": state["rng"],
                "rng_device": self.device.type,
            }
        )
        payload["integrity"] = payload_digest(payload)
        return payload

    @classmethod
    def from_checkpoint(
        cls,
        payload: dict[str, Any],
        images: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        device: torch.device | str | None = None,
        classes: list[str] | None = None,
    ) -> GANTrainer:
        """Rebuild a trainer from :meth:`checkpoint` (e.g. via :func:`checkpoint.load_checkpoint`).

        Args:
            payload: The checkpoint dict.
            images: Training images to resume training (as from :func:`prepare_images`); None to
                only sample.
            labels: Their class indices, into the checkpoint's classes (conditional models).
            device: Default :func:`core.generators.engine.pick_device`.
            classes: The class names behind ``labels``; when given they must equal the checkpoint's.

        Raises:
            CheckpointError: Another kind, an altered file, a configuration that is not valid, weights
                that do not fit their configuration, or images or classes that do not fit the model.
        """
        if not isinstance(payload, dict) or payload.get("kind") != "gan":
            kind = payload.get("kind") if isinstance(payload, dict) else type(payload).__name__
            raise CheckpointError(f"This is a {kind!r} checkpoint, not a GAN one.")
        if payload.get("integrity") != payload_digest(payload):
            raise CheckpointError(
                "The checkpoint has been altered or damaged since it was saved (its contents do not match "
                "their recorded sha256); download it again."
            )
        try:
            config = GANConfig.from_dict(payload.get("config"))
        except (ConfigError, TypeError) as exc:
            raise CheckpointError(f"The checkpoint's configuration is not valid: {exc}") from None
        saved_classes = payload.get("classes", [])
        if not isinstance(saved_classes, list) or len(saved_classes) != config.n_classes:
            raise CheckpointError(
                f"The checkpoint's class list does not match its configuration ({config.n_classes} classes)."
            )
        if classes is not None and [str(c) for c in classes] != [str(c) for c in saved_classes]:
            raise CheckpointError(
                f"The images' classes ({', '.join(map(str, classes[:10]))}) differ from the checkpoint's "
                f"({', '.join(map(str, saved_classes[:10]))})."
            )
        if images is not None and tuple(images.shape[1:]) != config.image_shape:
            raise CheckpointError(
                f"The checkpoint's model makes {' x '.join(map(str, config.image_shape))} images but the "
                f"training images are {' x '.join(map(str, images.shape[1:]))}; prepare them with its config."
            )
        try:
            trainer = cls(images, labels, saved_classes, config, device)
        except ConfigError as exc:
            raise CheckpointError(f"The checkpoint cannot resume on these images: {exc}") from None
        model, optimizer = payload.get("model"), payload.get("optimizer")
        if not isinstance(model, dict) or not {"generator", "discriminator"} <= set(model):
            raise CheckpointError("The checkpoint has no generator and discriminator weights.")
        try:
            trainer.G.load_state_dict(model["generator"])
            trainer.D.load_state_dict(model["discriminator"])
        except (RuntimeError, TypeError, KeyError) as exc:
            first = str(exc).strip().splitlines()
            detail = " ".join(line.strip() for line in first[:3])[:300]
            raise CheckpointError(
                f"The checkpoint's weights do not fit its configuration ({detail})."
            ) from None
        if isinstance(optimizer, dict) and {"generator", "discriminator"} <= set(optimizer):
            try:
                trainer.opt_g.load_state_dict(optimizer["generator"])
                trainer.opt_d.load_state_dict(optimizer["discriminator"])
            except (ValueError, KeyError, TypeError, RuntimeError) as exc:
                raise CheckpointError(
                    f"The checkpoint's optimiser state does not fit its model ({exc})."
                ) from None
        steps = payload.get("steps", 0)
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise CheckpointError(f"The checkpoint's step count is not valid: {steps!r}.")
        trainer.steps_done = steps
        rng = payload.get("rng")
        if isinstance(rng, torch.Tensor) and payload.get("rng_device") == trainer.device.type:
            try:
                trainer.rng.set_state(rng)
            except (RuntimeError, TypeError) as exc:
                raise CheckpointError(f"The checkpoint's random state is not valid ({exc}).") from None
        else:  # saved on another kind of device: continue on a fresh stream, still from the seed
            trainer.rng.manual_seed(derive_seed(config.seed, f"train:{steps}"))
        return trainer


def _to_cpu(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: _to_cpu(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_to_cpu(v) for v in value)
    return value


__all__ = [
    "ARCHS",
    "LOSSES",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "GANConfig",
    "GANTrainer",
    "GenDropout",
    "Generator",
    "MLPDiscriminator",
    "MLPGenerator",
    "SpectralNorm",
    "build_models",
    "derive_seed",
    "diff_augment",
    "image_grid",
    "payload_digest",
    "prepare_images",
    "to_uint8",
]
