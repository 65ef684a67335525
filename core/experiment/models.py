"""The models an experiment trains: a small CNN and logistic regression for images, a bag-of-n-grams
linear classifier (scikit-learn) and a fastText-style embedding bag (torch) for text.

No I/O here and no training loop (:mod:`core.experiment.training` fits them). The torch models are
built on the ``meta`` device and initialised from a ``torch.Generator`` passed in, so building one
draws nothing from torch's global generator, and the same generator state gives the same weights
whatever the arm (that is how the arms of one repeat share their initial weights). Dropout draws its
masks from a generator too.

Why logistic regression in torch rather than scikit-learn: it then trains in the same loop as the CNN
(the same optimiser steps, batches, time budget and stop checks), so the CNN-versus-linear contrast
differs in the model only. The text ``bag`` model is scikit-learn's, as the issue asks: a convex
problem solved to convergence (L-BFGS from zero weights), so it needs no initial weights to pair.
"""

from __future__ import annotations

import itertools
import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# Hyper-parameters, tuned on the built-in digits and documentation paragraphs (bench/bench_experiment.py).
CNN_DROPOUT = 0.3  # on the flattened features, before the classifier
CNN_STEM = 32  # channels of the first convolution (16 from 32 px up, where it runs at full size)
CNN_WIDTH = 64  # channels of the last stages
FINAL_SIDE = 4  # pixels: the feature map the classifier reads is FINAL_SIDE x FINAL_SIDE
EMBED_DIM = 64  # embedding bag: dimensions per token
EMBED_BUCKETS = 1 << 17  # hashed word and word-bigram buckets (fastText hashes n-grams the same way)
BAG_C = 100.0  # inverse regularisation of the bag-of-n-grams logistic regression
BAG_MAX_ITER = 1000  # L-BFGS iterations at most (it converges long before on these sizes)


@dataclass(frozen=True)
class TrainSettings:
    """How a torch model is optimised: Adam, these rates, no weight decay unless given."""

    lr: float
    weight_decay: float = 0.0
    sparse_lr: float | None = None  # SparseAdam's rate for sparse embeddings (embedding bag only)


SETTINGS = {
    "cnn": TrainSettings(lr=1e-3),
    "linear": TrainSettings(lr=1e-2),
    "embed": TrainSettings(lr=1e-2, sparse_lr=2e-2),
}


def dropout(x: torch.Tensor, p: float, generator: torch.Generator | None) -> torch.Tensor:
    """Inverted dropout with a mask from ``generator`` (never the global RNG); identity without one."""
    if generator is None or p <= 0.0:
        return x
    keep = torch.rand(x.shape, generator=generator, device=x.device) >= p
    return x * keep / (1.0 - p)


class SmallCNN(nn.Module):
    """A few 3x3 convolutions with max-pooling down to a 4x4 map, then dropout and a linear classifier.

    Sized for the image: ``stages = max(1, floor(log2(size / 4)))`` poolings (8 px: 1, 16: 2, 32: 3,
    64: 4), an adaptive average pool to 4x4 for sizes that are not a power of two. Narrow early stages
    on large images keep a step cheap (about 17 MFLOPs per 64x64 image forward).

    Input: ``N x C x S x S`` floats in [0, 1]. Output: ``N x classes`` logits.
    """

    def __init__(self, size: int, channels: int, classes: int) -> None:
        super().__init__()
        stages = max(1, math.floor(math.log2(size / FINAL_SIDE)))
        stem = CNN_STEM if stages < 3 else CNN_STEM // 2
        layers: list[nn.Module] = [nn.Conv2d(channels, stem, 3, padding=1), nn.ReLU()]
        width = stem
        for s in range(stages):
            out = max(16, CNN_WIDTH // 2 ** max(0, stages - 2 - s))
            layers += [nn.Conv2d(width, out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            width = out
        layers += [nn.Conv2d(width, CNN_WIDTH, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(FINAL_SIDE)]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(CNN_WIDTH * FINAL_SIDE * FINAL_SIDE, classes)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        h = self.features(x).flatten(1)
        return self.classifier(dropout(h, CNN_DROPOUT, generator))


class PixelLogistic(nn.Module):
    """Multinomial logistic regression on the pixels: one linear layer. Input as :class:`SmallCNN`'s."""

    def __init__(self, size: int, channels: int, classes: int) -> None:
        super().__init__()
        self.linear = nn.Linear(size * size * channels, classes)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.linear(x.flatten(1))


class EmbeddingBagClassifier(nn.Module):
    """fastText's classifier (Joulin et al. 2017): the mean of hashed word and word-bigram embeddings,
    then a linear layer. Input: ``(tokens, offsets)`` as :func:`hashed_tokens` and :func:`pack` give."""

    def __init__(self, classes: int, buckets: int = EMBED_BUCKETS, dim: int = EMBED_DIM) -> None:
        super().__init__()
        self.embedding = nn.EmbeddingBag(buckets, dim, mode="mean", sparse=True)
        self.linear = nn.Linear(dim, classes)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor], generator: torch.Generator | None = None):
        tokens, offsets = batch
        return self.linear(self.embedding(tokens, offsets))


_WORD = re.compile(r"\w+")


def hashed_tokens(text: str, buckets: int = EMBED_BUCKETS) -> list[int]:
    """The bucket of each lower-cased word and each pair of neighbouring words (CRC-32, so the same in
    every process, unlike ``hash``); an empty text gets bucket 0 so that its bag is not empty."""
    words = _WORD.findall(text.lower())
    grams = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
    return [zlib.crc32(g.encode("utf-8")) % buckets for g in grams] or [0]


def pack(rows: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Token arrays (int64) to an embedding bag's flat ``tokens`` and ``offsets`` tensors."""
    lengths = [len(r) for r in rows]
    offsets = torch.tensor([0, *lengths[:-1]], dtype=torch.long).cumsum(0)
    tokens = torch.from_numpy(np.concatenate(rows)) if rows else torch.empty(0, dtype=torch.long)
    return tokens, offsets


def _init(model: nn.Module, generator: torch.Generator) -> None:
    """Every parameter from ``generator``: PyTorch's default schemes for convolutions and linear layers
    (kaiming-uniform weights with a = sqrt(5), biases uniform in +-1/sqrt(fan_in)); embeddings uniform
    in +-1/dim, as fastText."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d | nn.Linear):
            nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=generator)
            fan_in = module.weight[0].numel()
            nn.init.uniform_(module.bias, -1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in), generator=generator)
        elif isinstance(module, nn.EmbeddingBag):
            bound = 1.0 / module.embedding_dim
            nn.init.uniform_(module.weight, -bound, bound, generator=generator)


def build_torch_model(
    name: str, classes: int, generator: torch.Generator, size: int = 0, channels: int = 0
) -> nn.Module:
    """A freshly initialised torch model (``"cnn"``, ``"linear"`` or ``"embed"``) on the CPU.

    Args:
        name: The model.
        classes: Number of classes.
        generator: Draws every initial weight.
        size: Images: side in pixels.
        channels: Images: 1 or 3.
    """
    with torch.device("meta"):
        if name == "cnn":
            model: nn.Module = SmallCNN(size, channels, classes)
        elif name == "linear":
            model = PixelLogistic(size, channels, classes)
        elif name == "embed":
            model = EmbeddingBagClassifier(classes)
        else:
            raise ValueError(f"not a torch model: {name}")
    model.to_empty(device="cpu")
    _init(model, generator)
    return model


def bag_model():
    """The text ``bag`` model: TF-IDF of words and word bigrams (sublinear term frequency), then
    multinomial logistic regression (L-BFGS, ``C`` = :data:`BAG_C`).

    The inverse document frequency is unsmoothed (``ln(n / df) + 1``), so that a training set made of
    copies of the same texts weighs its terms exactly as the texts themselves: with the sample weights
    :func:`core.experiment.training.fit_bag` gives, an arm that only repeats its originals fits the
    same model as real-only (the sanity check of an augmentation that changes nothing).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, smooth_idf=False),
        LogisticRegression(C=BAG_C, max_iter=BAG_MAX_ITER),
    )


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The training loss of every torch model."""
    return F.cross_entropy(logits, targets)
