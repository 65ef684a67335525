"""How good and how original are a GAN's samples? Offline measures on the held-out part of the data.

- :func:`memorisation_share`: how many samples sit closer to a training image than real unseen
  images usually do (a copying generator scores near 1, an original one near the quantile, 0.05).
- :func:`tstr`: "train on synthetic, test on real": a small classifier trained on samples alone,
  against the same classifier trained on the real training images, both scored on held-out images.
- :func:`evaluate_quality`: both, for a trainer and the :class:`~core.generators.gan.data.TrainingData`
  it was trained on; the page and the CLI call it, on the held-out part of
  :func:`~core.generators.gan.data.training_split`.
- :func:`split_dataset`: the same held-out split for arrays (benchmarks).

Images are given as arrays ``N x ...``: uint8 (0..255, scaled to [0, 1]) or floats already in [0, 1].
The memorisation share compares images as flat vectors of pixels (any shape); TSTR's classifier needs
them as images, ``N x H x W`` or ``N x H x W x C`` (see :func:`conv_features`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from core.errors import ConfigError
from core.generators.gan.data import HELD_OUT_PARTS, TrainingData, held_out_parts

if TYPE_CHECKING:
    import torch

    from core.generators.gan.trainer import GANTrainer

CHUNK_ROWS = 1024  # query rows per distance block: 1,024 x 1,500 float64 = 12 MB
TSTR_MAX_ITER = 2000  # LogisticRegression iterations (lbfgs, deterministic)


def _flat01(images: np.ndarray, name: str) -> np.ndarray:
    """``N x ...`` uint8 or [0, 1] floats -> ``N x D`` float64 in [0, 1]."""
    array = np.asarray(images)
    if array.ndim < 2 or array.shape[0] == 0:
        raise ConfigError(f"{name} must be a non-empty array of images (N x ...), got shape {array.shape}.")
    flat = array.reshape(array.shape[0], -1)
    if flat.dtype == np.uint8:
        return flat.astype(np.float64) / 255.0
    flat = flat.astype(np.float64)
    if not np.all(np.isfinite(flat)) or flat.min() < 0.0 or flat.max() > 1.0:
        raise ConfigError(f"{name} must be uint8 or floats in [0, 1].")
    return flat


def nearest_distances(queries: np.ndarray, references: np.ndarray, chunk: int = CHUNK_ROWS) -> np.ndarray:
    """Euclidean distance from each query row to its nearest reference row (``N x D``, ``M x D``).

    Computed in row blocks as ``sqrt(|q|^2 + |r|^2 - 2 q.r)`` in float64, clamped at 0, so memory
    stays at ``chunk x M`` whatever N is.
    """
    ref_sq = np.einsum("ij,ij->i", references, references)
    out = np.empty(len(queries))
    for start in range(0, len(queries), chunk):
        q = queries[start : start + chunk]
        d2 = np.einsum("ij,ij->i", q, q)[:, None] + ref_sq[None, :] - 2.0 * (q @ references.T)
        out[start : start + chunk] = np.sqrt(np.maximum(d2.min(axis=1), 0.0))
    return out


@dataclass(frozen=True)
class MemorisationResult:
    """See :func:`memorisation_share`.

    Attributes:
        share: Fraction of samples closer to the training set than the threshold (0..1).
        threshold: The distance threshold (L2, pixels in [0, 1]).
        quantile: The held-out quantile that set the threshold.
        sample_distances: Each sample's nearest-training-image distance.
        held_out_distances: Each held-out image's nearest-training-image distance.
    """

    share: float
    threshold: float
    quantile: float
    sample_distances: np.ndarray
    held_out_distances: np.ndarray


def memorisation_share(
    samples: np.ndarray, train: np.ndarray, held_out: np.ndarray, quantile: float = 0.05
) -> MemorisationResult:
    """The share of generated samples that are suspiciously close to a training image.

    Definition: every image is flattened to a vector of pixel values in [0, 1]. For each sample,
    d(sample) is the Euclidean (L2) distance to its nearest training image; for each held-out real
    image (never trained on), d(held-out) is the same distance. The threshold is the ``quantile``
    (default 5%) quantile of the held-out distances (numpy's linear interpolation): only 5% of genuinely
    new real images come that close to a training image. The memorisation share is the fraction of
    samples with d(sample) < threshold. A generator that copies its training images scores near 1.0;
    one whose samples are as new as unseen real images scores near ``quantile`` (about 0.05); lower
    still means samples stay further from the training images than real ones do (often blurrier).

    Args:
        samples: Generated images, ``N x ...`` (uint8, or floats in [0, 1]).
        train: The generator's training images, same pixel shape.
        held_out: Real images of the same kind not used in training, same pixel shape.
        quantile: The held-out quantile that sets the threshold, in (0, 1).

    Returns:
        A :class:`MemorisationResult`.

    Raises:
        ConfigError: Empty inputs, different pixel shapes, values out of range, or a bad quantile.
    """
    if not 0.0 < quantile < 1.0:
        raise ConfigError(f"The quantile must lie strictly between 0 and 1, got {quantile!r}.")
    s, t, h = _flat01(samples, "samples"), _flat01(train, "train"), _flat01(held_out, "held_out")
    if not s.shape[1] == t.shape[1] == h.shape[1]:
        raise ConfigError(
            f"Samples, training and held-out images must have the same number of pixels, "
            f"got {s.shape[1]}, {t.shape[1]} and {h.shape[1]}."
        )
    held = nearest_distances(h, t)
    threshold = float(np.quantile(held, quantile))
    dist = nearest_distances(s, t)
    return MemorisationResult(
        share=float(np.mean(dist < threshold)),
        threshold=threshold,
        quantile=quantile,
        sample_distances=dist,
        held_out_distances=held,
    )


@dataclass(frozen=True)
class TSTRResult:
    """See :func:`tstr`.

    Attributes:
        accuracy_synthetic: Held-out accuracy of the classifier trained on the samples only.
        accuracy_real: Held-out accuracy of the same classifier trained on the real training images.
    """

    accuracy_synthetic: float
    accuracy_real: float

    @property
    def ratio(self) -> float:
        """accuracy_synthetic / accuracy_real (1.0: the samples teach as much as the real images)."""
        return self.accuracy_synthetic / self.accuracy_real if self.accuracy_real else float("nan")


TSTR_FILTERS = 32  # random 5x5 filters of the TSTR classifier's features
TSTR_GRID = 2  # their responses are averaged over a 2 x 2 grid of the image


def _as_images(array: np.ndarray, name: str) -> np.ndarray:
    """``N x H x W`` or ``N x H x W x C`` images (uint8, or floats in [0, 1]) as float32 ``N x C x H x W``."""
    array = np.asarray(array)
    if array.ndim not in (3, 4):
        raise ConfigError(f"{name} must be images, N x H x W or N x H x W x C, got shape {array.shape}.")
    flat = _flat01(array, name)  # checks the range and that there is at least one image
    images = flat.reshape(array.shape).astype(np.float32)
    return images[:, None] if images.ndim == 3 else images.transpose(0, 3, 1, 2)


def conv_features(images: np.ndarray, name: str = "images") -> np.ndarray:
    """The TSTR classifier's features: fixed random convolutions, rectified and pooled, plus the brightness.

    1. :data:`TSTR_FILTERS` random 5x5 filters (one per output, spanning the channels), drawn once from
       the stream ``(0, "tstr", "filters", channels)`` — the same for every model and user — with zero
       mean and unit norm, applied with zero padding;
    2. each response split into its positive and negative parts (ReLU of +r and -r);
    3. each of those averaged over the cells of a :data:`TSTR_GRID` x :data:`TSTR_GRID` grid of the image;
    4. the pixels' mean per channel and grid cell appended (the zero-mean filters do not see brightness).

    Random convolutional features see edges, strokes and textures wherever they are, which raw pixels
    do not: logistic regression on pixels scores 0.58 on the texture patches of
    :mod:`core.generators.small_sets` (chance 0.33), on these features 0.97.

    Args:
        images: ``N x H x W`` or ``N x H x W x C``, uint8 or floats in [0, 1].
        name: For messages.

    Returns:
        float64 ``N x (2 * filters + channels) * grid**2``.
    """
    import torch
    import torch.nn.functional as F

    from core.seeding import torch_generator

    x = torch.from_numpy(np.ascontiguousarray(_as_images(images, name)))
    c = x.shape[1]
    w = torch.randn(TSTR_FILTERS, c, 5, 5, generator=torch_generator(0, "tstr", "filters", c))
    w -= w.mean(dim=(1, 2, 3), keepdim=True)
    w /= w.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
    with torch.no_grad():
        r = F.conv2d(x, w, padding=2)
        parts = torch.cat([F.relu(r), F.relu(-r), x], dim=1)
        pooled = F.adaptive_avg_pool2d(parts, TSTR_GRID).flatten(1)
    return pooled.double().numpy()


def _classifier_accuracy(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray
) -> float:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    if len(np.unique(y_train)) < 2:
        return float(np.mean(y_test == y_train[0]))  # one class: the classifier can only say that
    mean, scale = x_train.mean(axis=0), x_train.std(axis=0) + 1e-6  # standardised on its training set
    model = LogisticRegression(max_iter=TSTR_MAX_ITER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit((x_train - mean) / scale, y_train)
    return float(np.mean(model.predict((x_test - mean) / scale) == y_test))


def tstr(
    samples: np.ndarray,
    sample_labels: np.ndarray,
    train_real: np.ndarray,
    train_labels: np.ndarray,
    test_real: np.ndarray,
    test_labels: np.ndarray,
) -> TSTRResult:
    """Train on synthetic, test on real.

    The same classifier — scikit-learn ``LogisticRegression`` (lbfgs, ``max_iter=2000``, default
    regularisation; deterministic) on :func:`conv_features`, standardised with its training set's mean
    and spread — is fitted twice: once on the generated samples and their intended classes only, once
    on the real training images. Both are scored by accuracy on the held-out real images.

    Args:
        samples: Generated images ``N x H x W (x C)``; sample_labels: their intended classes ``N``.
        train_real: Real training images; train_labels: their classes.
        test_real: Held-out real images; test_labels: their classes.

    Returns:
        A :class:`TSTRResult`.

    Raises:
        ConfigError: Empty inputs, counts or image shapes that do not match.
    """
    named = (("samples", samples, sample_labels), ("train_real", train_real, train_labels))
    named += (("test_real", test_real, test_labels),)
    shapes = []
    for name, x, y in named:
        x, y = np.asarray(x), np.asarray(y).reshape(-1)
        _as_images(x, name)
        if len(x) != len(y):
            raise ConfigError(f"{name}: {len(x)} images but {len(y)} labels.")
        shapes.append(x.shape[1:] if x.ndim == 4 else (*x.shape[1:], 1))
    if len(set(shapes)) != 1:
        raise ConfigError(
            "Samples, training and test images must have the same number of pixels and channels."
        )
    xs, xr, xt = (conv_features(x, name) for name, x, _ in named)
    ys, yr, yt = (np.asarray(y).reshape(-1) for _, _, y in named)
    return TSTRResult(
        accuracy_synthetic=_classifier_accuracy(xs, ys, xt, yt),
        accuracy_real=_classifier_accuracy(xr, yr, xt, yt),
    )


class Split(NamedTuple):
    """A train / held-out split: images and labels of each part."""

    train_images: np.ndarray
    train_labels: np.ndarray
    held_out_images: np.ndarray
    held_out_labels: np.ndarray


def split_dataset(images: np.ndarray, labels: np.ndarray, held_out_fraction: float, seed: int) -> Split:
    """:func:`~core.generators.gan.data.held_out_parts` for arrays: the split a GAN with this seed uses.

    Order within each part follows the original order.

    Args:
        images: ``N x ...`` images (any dtype).
        labels: ``N`` class labels (compared as strings).
        held_out_fraction: Fraction of each class held out, in (0, 0.5).
        seed: The GAN config's seed.

    Raises:
        ConfigError: A bad fraction, or images and labels of different lengths.
    """
    if not 0.0 < held_out_fraction < 0.5:
        raise ConfigError(f"The held-out fraction must lie in (0, 0.5), got {held_out_fraction!r}.")
    images, labels = np.asarray(images), np.asarray(labels).reshape(-1)
    if len(images) != len(labels):
        raise ConfigError(f"{len(images)} images but {len(labels)} labels.")
    parts = held_out_parts([str(label) for label in labels.tolist()], held_out_fraction, seed)
    held = np.array([part == HELD_OUT_PARTS[1] for part in parts], dtype=bool)
    return Split(images[~held], labels[~held], images[held], labels[held])


# ---------------------------------------------------------------------------------------------
# A trainer's quality on its held-out part

QUALITY_PER_CLASS = 200  # samples per class of a conditional model (TSTR's training set)
QUALITY_UNCONDITIONAL = 1000  # samples of an unconditional model
QUALITY_SEED = 12345  # sampling seed of the quality samples: the same model, the same figures


def unit_images(images: np.ndarray | torch.Tensor) -> np.ndarray:
    """Images as float32 ``N x H x W x C`` in [0, 1].

    Takes ``N x C x S x S`` tensors in [-1, 1] (training data) or ``N x S x S (x C)`` uint8 arrays
    (generated samples), so both come out alike.
    """
    if isinstance(images, np.ndarray):
        array = images.astype(np.float32) / 255.0
        return array[..., None] if array.ndim == 3 else array
    array = images.detach().cpu().permute(0, 2, 3, 1).numpy()
    return np.clip((array + 1.0) / 2.0, 0.0, 1.0)


def unit_rows(images: np.ndarray | torch.Tensor) -> np.ndarray:
    """:func:`unit_images` flattened to rows, pixels in (row, column, channel) order."""
    array = unit_images(images)
    return array.reshape(len(array), -1)


@dataclass(frozen=True)
class QualityReport:
    """See :func:`evaluate_quality`.

    Attributes:
        memorisation: The samples' memorisation share against the training part.
        tstr: Train-on-synthetic / test-on-real on the held-out part (conditional models; else None).
        samples: Samples generated for the measures.
        held_out: Held-out images they were measured on.
    """

    memorisation: MemorisationResult
    tstr: TSTRResult | None
    samples: int
    held_out: int


def evaluate_quality(trainer: GANTrainer, data: TrainingData, seed: int = QUALITY_SEED) -> QualityReport:
    """Memorisation share and (conditional models) TSTR of a trainer's samples, on ``data``'s held-out part.

    Samples: :data:`QUALITY_PER_CLASS` per class (conditional) or :data:`QUALITY_UNCONDITIONAL`, from
    ``trainer.generate(..., seed)``; a few seconds on a CPU for the digits.

    Args:
        trainer: The trained GAN.
        data: What it was trained on (:func:`~core.generators.gan.data.training_split`).
        seed: The sampling seed.

    Raises:
        ConfigError: ``data`` has no held-out part.
    """
    if not data.has_held_out:
        raise ConfigError(
            "The quality checks need a held-out part of the data: train with held_out above 0 on at least "
            "20 images."
        )
    conditional = trainer.config.conditional
    fake, fake_labels = trainer.generate(
        QUALITY_PER_CLASS if conditional else QUALITY_UNCONDITIONAL, None, seed
    )
    samples, train, held = unit_images(fake), unit_images(data.images), unit_images(data.held_out_images)
    result = None
    if conditional:
        result = tstr(samples, fake_labels, train, data.labels.numpy(), held, data.held_out_labels.numpy())
    return QualityReport(memorisation_share(samples, train, held), result, len(samples), len(held))
