"""core.generators.gan.metrics: nearest distances, the memorisation share, TSTR, and the quality report
the page and the CLI show, all on data whose answer is known without the code under test."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from core.errors import ConfigError
from core.generators.gan import (
    GANConfig,
    TrainingData,
    evaluate_quality,
    memorisation_share,
    nearest_distances,
    split_dataset,
    tstr,
)
from core.generators.gan.data import held_out_parts


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.round(bunch.images * 255 / 16).astype(np.uint8)
    return split_dataset(images, bunch.target, 0.2, seed=0)


def test_nearest_distances_match_brute_force():
    rng = np.random.default_rng(1)
    a, b = rng.random((37, 5)), rng.random((11, 5))
    brute = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
    assert np.allclose(nearest_distances(a, b, chunk=8), brute)


def test_split_dataset_is_the_gan_split_and_stratified(digits):
    counts_train = np.bincount(digits.train_labels)
    counts_held = np.bincount(digits.held_out_labels)
    assert np.all(np.abs(counts_held - 0.2 * (counts_train + counts_held)) < 1)
    assert len(digits.train_images) + len(digits.held_out_images) == 1797
    labels = np.arange(100) % 4
    a, b, c = (split_dataset(np.arange(100), labels, 0.25, seed=s) for s in (3, 3, 4))
    assert np.array_equal(a.held_out_images, b.held_out_images)
    assert not np.array_equal(a.held_out_images, c.held_out_images)
    assert np.array_equal(labels[a.held_out_images], a.held_out_labels)  # images travel with their labels
    assert sorted(np.concatenate([a.train_images, a.held_out_images]).tolist()) == list(range(100))
    # the benchmarks' arrays are split as the page and the CLI split the same labels
    parts = held_out_parts([str(v) for v in labels], 0.25, 3)
    assert [i for i, part in enumerate(parts) if part == "held_out"] == a.held_out_images.tolist()


def test_memorisation_share_of_copies_of_real_images_and_of_noise(digits):
    copies = memorisation_share(digits.train_images[:500], digits.train_images, digits.held_out_images)
    assert copies.share == 1.0
    fresh = memorisation_share(
        digits.held_out_images, digits.train_images, digits.held_out_images, quantile=0.05
    )
    assert abs(fresh.share - 0.05) <= 0.01  # the held-out images are, by definition, at the quantile
    assert fresh.threshold == pytest.approx(np.quantile(fresh.held_out_distances, 0.05))
    noise = np.random.default_rng(0).integers(0, 256, (200, 8, 8), dtype=np.uint8)
    assert memorisation_share(noise, digits.train_images, digits.held_out_images).share == 0.0


def two_tones(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Class 0: dark 4x4 images (0..40), class 1: bright ones (215..255): linearly separable."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    images = rng.integers(0, 41, (n, 4, 4)) + 215 * labels[:, None, None]
    return images.astype(np.uint8), labels


@pytest.mark.parametrize(
    "relabel, expected_synthetic",
    [
        (lambda y: y, 1.0),  # samples of the right class teach the classifier perfectly
        (lambda y: 1 - y, 0.0),  # samples drawn with the other class's label teach it backwards
    ],
)
def test_tstr_on_separable_classes(relabel, expected_synthetic):
    samples, sample_labels = two_tones(40, 1)
    train, train_labels = two_tones(40, 2)
    test, test_labels = two_tones(30, 3)
    result = tstr(samples, relabel(sample_labels), train, train_labels, test, test_labels)
    assert result.accuracy_synthetic == expected_synthetic
    assert result.accuracy_real == 1.0
    assert result.ratio == expected_synthetic


@pytest.mark.parametrize(
    "shapes, words",
    [
        (((5, 4, 4), 4, (5, 4, 4), (5, 4, 4)), "samples: 5 images but 4 labels"),  # a label missing
        (((5, 4, 4), 5, (5, 3, 3), (5, 4, 4)), "same number of pixels"),  # training images of another size
        (((0, 4, 4), 0, (5, 4, 4), (5, 4, 4)), "non-empty"),  # no samples at all
    ],
)
def test_tstr_refuses_mismatched_inputs(shapes, words):
    samples, n_labels, train, test = shapes
    with pytest.raises(ConfigError, match=words):
        tstr(
            np.zeros(samples, np.uint8),
            np.zeros(n_labels),
            np.zeros(train, np.uint8),
            np.zeros(train[0]),
            np.zeros(test, np.uint8),
            np.zeros(test[0]),
        )


def copying_trainer(images: np.ndarray, labels: np.ndarray, conditional: bool):
    """A stand-in GAN whose samples are its training images: a perfect copier."""

    def generate(n, wanted, seed):
        return images, (labels if conditional else None)

    return SimpleNamespace(config=GANConfig(n_classes=2 if conditional else 0), generate=generate)


def as_tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images).float().div(127.5).sub(1.0).unsqueeze(1)


@pytest.mark.parametrize("conditional", [True, False])
def test_quality_report_of_a_copying_generator(conditional):
    train, train_labels = two_tones(40, 2)
    held, held_labels = two_tones(30, 3)
    data = TrainingData(
        as_tensor(train),
        torch.from_numpy(train_labels),
        ["dark", "bright"],
        as_tensor(held),
        torch.from_numpy(held_labels),
    )
    report = evaluate_quality(copying_trainer(train, train_labels, conditional), data)
    assert report.memorisation.share == 1.0  # every sample is a training image
    assert report.held_out == 30 and report.samples == 40
    if conditional:
        assert report.tstr.accuracy_synthetic == report.tstr.accuracy_real == 1.0  # copies teach as reals do
    else:
        assert report.tstr is None  # no class per sample: no TSTR


def test_quality_needs_a_held_out_part():
    train, labels = two_tones(10, 2)
    empty = TrainingData(
        as_tensor(train), torch.from_numpy(labels), [], torch.zeros(0, 1, 4, 4), torch.zeros(0)
    )
    with pytest.raises(ConfigError, match="held-out"):
        evaluate_quality(copying_trainer(train, labels, False), empty)
