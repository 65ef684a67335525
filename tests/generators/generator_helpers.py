"""Small builders the generator tests share (data from numpy, never the torch global RNG)."""

from __future__ import annotations

import numpy as np
import torch

from core.data.image_io import LoadedImage
from core.generators.gan import GANConfig, GANTrainer


def random_images(n: int, shape: tuple[int, int, int], seed: int) -> torch.Tensor:
    """``n`` images in [-1, 1] from numpy."""
    rng = np.random.default_rng(seed)
    return torch.from_numpy(rng.uniform(-1, 1, (n, *shape)).astype(np.float32))


def make_trainer(config: GANConfig, n: int = 24, data_seed: int = 0) -> GANTrainer:
    """A trainer on ``n`` random images, labels cycling over the classes (``c0``, ``c1``, ...)."""
    images = random_images(n, config.image_shape, data_seed)
    k = max(config.n_classes, 1)
    labels = torch.arange(n) % k
    classes = [f"c{i}" for i in range(config.n_classes)]
    return GANTrainer(images, labels, classes, config, device="cpu")


def loaded(array: np.ndarray, label: str | None = "a", name: str = "x.png") -> LoadedImage:
    """A LoadedImage of a uint8 array."""
    return LoadedImage(name=name, array=np.ascontiguousarray(array, dtype=np.uint8), label=label)


def unescape(markdown: str) -> str:
    """Text shown through ``ui.common.literal``, with its backslash escapes removed."""
    out, escaped = [], False
    for ch in markdown:
        if escaped or ch != "\\":
            out.append(ch)
            escaped = False
        else:
            escaped = True
    return "".join(out)
