"""Building blocks of the image generators (GAN and VAE) that draw only from a passed generator.

Randomness never comes from the global torch RNG (Streamlit serves every browser session as a thread
of one process): dropout masks, DiffAugment and the spectral-norm power-iteration vectors draw from the
generator passed to them, and :func:`init_weights` initialises a model built on the ``meta`` device.

:func:`conv_ladder` is the one place that knows which image sizes the convolutional networks make and
how: from a 4x4 (or 7x7) map, doubling per level.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from core.errors import ConfigError

CONV_SIZES = (16, 28, 32, 64)  # pixels: what the convolutional GAN makes
VAE_SIZES = (8, *CONV_SIZES)  # pixels: what the VAE makes (one level from 4x4 is enough for an encoder)


def conv_ladder(size: int, smallest: int = 16) -> tuple[int, int]:
    """``(start, levels)``: a ``size`` image is a ``start`` x ``start`` map doubled ``levels`` times.

    4x4 for powers of two (16: 2 levels, 32: 3, 64: 4; 8: 1), 7x7 for 28 (2 levels).

    Raises:
        ConfigError: Not a size the convolutional networks make.
    """
    for start in (4, 7):
        levels = 0
        while start << levels < size:
            levels += 1
        if start << levels == size and levels >= 1 and size >= smallest:
            return start, levels
    raise ConfigError(
        f"The convolutional networks make {smallest} to 64 px images (4 or 7 times a power of 2), got {size}."
    )


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


class ClassBatchNorm2d(nn.Module):
    """BatchNorm whose scale and shift are looked up per class (conditional BatchNorm, de Vries et al.
    2017; the BigGAN generator's): the class changes every layer of the generator, not only its input.

    ``forward(x, labels)``; without classes (``n_classes == 0``) it is a plain ``BatchNorm2d``.
    """

    def __init__(self, channels: int, n_classes: int) -> None:
        super().__init__()
        self.n_classes = n_classes
        self.norm = nn.BatchNorm2d(channels, affine=n_classes == 0)
        if n_classes:
            self.gain = nn.Parameter(torch.empty(n_classes, channels))
            self.shift = nn.Parameter(torch.empty(n_classes, channels))

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        x = self.norm(x)
        if not self.n_classes:
            return x
        return x * self.gain[labels][:, :, None, None] + self.shift[labels][:, :, None, None]


def init_weights(model: nn.Module, generator: torch.Generator) -> None:
    """Initialise every parameter and buffer from ``generator`` (the model was built on ``meta``).

    Convolutions: normal(0, 0.02) and zero biases (DCGAN). Linear layers: PyTorch's default
    (kaiming-uniform weights with a=sqrt(5), biases uniform in +-1/sqrt(fan_in)). BatchNorm: weight
    normal(1, 0.02), bias 0, fresh running statistics; per-class ones (:class:`ClassBatchNorm2d`) the
    same for every class. Embeddings: normal(0, 1).
    """
    for module in model.modules():
        if isinstance(module, ClassBatchNorm2d) and module.n_classes:
            nn.init.normal_(module.gain, 1.0, 0.02, generator=generator)
            nn.init.zeros_(module.shift)
        if isinstance(module, nn.Conv2d | nn.ConvTranspose2d):
            nn.init.normal_(module.weight, 0.0, 0.02, generator=generator)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Linear):
            nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=generator)
            if module.bias is not None:
                bound = 1 / math.sqrt(module.in_features)
                nn.init.uniform_(module.bias, -bound, bound, generator=generator)
        elif isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
            if module.affine:
                nn.init.normal_(module.weight, 1.0, 0.02, generator=generator)
                nn.init.zeros_(module.bias)
            module.reset_running_stats()
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, 0.0, 1.0, generator=generator)
