"""core.generators.gan.data: images to training tensors, the held-out split both the page and the CLI
train on, and the settings a dataset suggests."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch
from generator_helpers import loaded

from core.errors import ConfigError
from core.generators.gan import (
    MIN_HELD_OUT_IMAGES,
    GANConfig,
    prepare_images,
    suggested_settings,
    training_split,
)

RNG = np.random.default_rng(5)
GRAY8 = RNG.integers(0, 256, (8, 8), dtype=np.uint8)
RGB8 = RNG.integers(0, 256, (8, 8, 3), dtype=np.uint8)
RGBA8 = np.dstack([RGB8, RNG.integers(0, 256, (8, 8), dtype=np.uint8)])
GRAY16 = RNG.integers(0, 256, (16, 16), dtype=np.uint8)


def luma(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.float64) @ np.array([0.299, 0.587, 0.114])


# ---------------------------------------------------------------------------------------------
# prepare_images


@pytest.mark.parametrize(
    "array, channels, expected",
    [
        (GRAY8, 1, GRAY8.astype(np.float64)[None]),  # unchanged
        (GRAY8, 3, np.stack([GRAY8] * 3).astype(np.float64)),  # gray replicated
        (RGB8, 3, RGB8.transpose(2, 0, 1).astype(np.float64)),  # unchanged
        (RGBA8, 3, RGB8.transpose(2, 0, 1).astype(np.float64)),  # alpha dropped
        (RGB8, 1, luma(RGB8)[None]),  # ITU-R 601 luma
        (RGBA8, 1, luma(RGB8)[None]),  # alpha dropped, then luma
        (GRAY16, 1, GRAY16.reshape(8, 2, 8, 2).astype(np.float64).mean(axis=(1, 3))[None]),  # 2x2 area mean
        (np.hstack([GRAY8 * 0, GRAY8, GRAY8 * 0]), 1, GRAY8.astype(np.float64)[None]),  # 8x24: centre crop
    ],
)
def test_prepare_images_converts(array, channels, expected):
    config = GANConfig(channels=channels)
    images, labels, classes = prepare_images([loaded(array)], config)
    assert images.dtype == torch.float32 and images.shape == (1, channels, 8, 8)
    assert float(images.min()) >= -1.0 and float(images.max()) <= 1.0
    got = (images[0].numpy().astype(np.float64) + 1.0) * 127.5
    assert np.abs(got - expected).max() <= 1.0 + 1e-4  # rounding to uint8 on the way
    assert classes == [] and labels.tolist() == [0]


def test_prepare_images_enlarges_and_labels():
    small = np.full((4, 4), 255, np.uint8)
    config = GANConfig(arch="dcgan", image_size=32, channels=3, n_classes=2)
    images, labels, classes = prepare_images(
        [loaded(small, "b"), loaded(RGB8, "a"), loaded(GRAY8, "b")], config
    )
    assert images.shape == (3, 3, 32, 32)
    assert torch.equal(images[0], torch.ones(3, 32, 32))  # a flat image stays flat when enlarged
    assert classes == ["a", "b"] and labels.tolist() == [1, 0, 1]
    assert float(images[1].min()) >= -1.0 and float(images[1].max()) <= 1.0


@pytest.mark.parametrize(
    "images, config, words",
    [
        (
            [loaded(GRAY8, "a"), loaded(GRAY8, None), loaded(GRAY8, "b")],
            GANConfig(n_classes=2),
            "label",
        ),  # one unlabelled
        (
            [loaded(GRAY8, "a"), loaded(GRAY8, "b")],
            GANConfig(n_classes=3),
            "3 classes",
        ),  # class count differs
        ([], GANConfig(), "no images"),  # nothing to train on
    ],
)
def test_prepare_images_refuses(images, config, words):
    with pytest.raises(ConfigError, match=words):
        prepare_images(images, config)


# ---------------------------------------------------------------------------------------------
# training_split


def numbered(counts: dict[str | None, int]) -> list:
    """Images whose first two pixels spell their index (so a test can tell which went where)."""
    out = []
    for label, count in counts.items():
        for _ in range(count):
            index = len(out)
            pixels = np.zeros((8, 8), np.uint8)
            pixels[0, 0], pixels[0, 1] = index % 256, index // 256
            out.append(loaded(pixels, label, f"{index}.png"))
    return out


def indices(images: torch.Tensor) -> list[int]:
    """The index spelled by each image (inverse of :func:`numbered`)."""
    pixels = ((images[:, 0, 0, :2] + 1.0) * 127.5).round().long()
    return (pixels[:, 0] + 256 * pixels[:, 1]).tolist()


CLASSES = {"a": 50, "b": 31, "c": 7, "d": 1, "e": 2}  # sizes that do not divide evenly


@pytest.mark.parametrize("held_out", [0.2, 0.1, 0.4])
def test_held_out_is_stratified_ordered_and_labels_travel(held_out):
    images = numbered(CLASSES)
    config = GANConfig(n_classes=len(CLASSES), held_out=held_out)
    data = training_split(images, config)
    train, held = indices(data.images), indices(data.held_out_images)
    assert sorted(train + held) == list(range(len(images)))  # a partition of the data
    assert train == sorted(train) and held == sorted(held)  # each part in the original order
    label_of = [img.label for img in images]
    assert [data.classes[i] for i in data.labels.tolist()] == [label_of[i] for i in train]
    assert [data.classes[i] for i in data.held_out_labels.tolist()] == [label_of[i] for i in held]
    held_counts = Counter(label_of[i] for i in held)
    train_counts = Counter(label_of[i] for i in train)
    for label, n in CLASSES.items():
        assert abs(held_counts[label] - held_out * n) < 1  # within one image of the exact share
        assert train_counts[label] >= 1  # every class keeps a training image


def test_held_out_depends_on_the_seed_only():
    images = numbered({"a": 40, "b": 40})
    split = {
        s: indices(training_split(images, GANConfig(n_classes=2, seed=s)).held_out_images) for s in (1, 2)
    }
    assert split[1] == indices(training_split(images, GANConfig(n_classes=2, seed=1)).held_out_images)
    assert split[1] != split[2]
    # conditioning and model settings do not move it: the same images are held out for every model
    other = GANConfig.dry_run(n_classes=0, seed=1, loss="hinge", diffaugment=True)
    assert indices(training_split(images, other).held_out_images) == split[1]


@pytest.mark.parametrize(
    "counts, held_out, expected_held",
    [
        ({"a": 10, "b": 10}, 0.0, 0),  # no held-out share asked for
        ({"a": MIN_HELD_OUT_IMAGES - 1}, 0.2, 0),  # too few images to judge anything by
        ({None: 30}, 0.2, 6),  # unlabelled images: held out all the same (memorisation needs no label)
        ({None: 15, "a": 15}, 0.2, 6),  # unlabelled images are a group of their own
    ],
)
def test_held_out_size(counts, held_out, expected_held):
    data = training_split(numbered(counts), GANConfig(held_out=held_out))
    assert len(data.held_out_images) == expected_held
    assert data.has_held_out == (expected_held > 0)
    assert len(data.images) + len(data.held_out_images) == sum(counts.values())


# ---------------------------------------------------------------------------------------------
# suggested_settings


def many(array: np.ndarray, labels: list[str | None]) -> list:
    return [loaded(array, label) for label in labels]


TEN_BY_60 = [str(i % 10) for i in range(600)]
GRAY28 = np.zeros((28, 28), np.uint8)
GRAY12 = np.zeros((12, 12), np.uint8)
RGB64 = np.zeros((64, 48, 3), np.uint8)


@pytest.mark.parametrize(
    "images, expected",
    [
        (many(GRAY8, TEN_BY_60), ("mlp", 8, 1, True, False, 8)),  # digits-like: 60 per class, no DiffAugment
        (many(GRAY8, TEN_BY_60[:100]), ("mlp", 8, 1, True, True, 8)),  # 10 per class: DiffAugment
        (many(GRAY28, ["a", "b"] * 40), ("dcgan", 28, 1, True, True, 28)),  # MNIST-sized: the conv GAN's 28
        (many(GRAY12, ["a"] * 80), ("dcgan", 16, 1, False, False, 16)),  # 12 px: the next size up; one class
        (many(RGB64, [None] * 30), ("dcgan", 32, 3, False, True, 32)),  # photos: 32 px by default, colour
        (many(RGBA8, ["a", None] * 40), ("mlp", 8, 3, False, False, 8)),  # partly labelled: unconditional
        # 100 per class: DiffAugment from 32 px on (the conv GAN gains by it there), not at 16 px
        (many(RGB64, ["a", "b"] * 100), ("dcgan", 32, 3, True, True, 32)),
        (many(GRAY16, ["a", "b"] * 100), ("dcgan", 16, 1, True, False, 16)),
    ],
)
def test_suggested_settings(images, expected):
    s = suggested_settings(images)
    assert (s.arch, s.image_size, s.channels, s.conditional, s.diffaugment, s.vae_size) == expected


@pytest.mark.parametrize(
    "per_class, ema",
    [
        (10, False),  # a few images per class: the average's samples copy them, so sample from G itself
        (49, False),  # just below SMALL_PER_CLASS
        (50, True),  # from 50 per class on: the averaged generator
    ],
)
def test_the_averaged_generator_is_suggested_from_50_images_per_class(per_class, ema):
    assert suggested_settings(many(GRAY8, ["a", "b"] * per_class)).ema is ema
