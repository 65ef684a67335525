"""core.generators.gan.model: the configuration's checks and round trip, the networks' shapes, and the
building blocks that draw from a passed generator (dropout, spectral norm, DiffAugment)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from core.errors import ConfigError
from core.generators.gan import GANConfig, SpectralNorm, build_models, diff_augment


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"arch": "vae"}, "arch"),  # unknown architecture
        ({"image_size": 4}, "image_size"),  # below the MLP's 8 px
        ({"image_size": 65}, "image_size"),  # above the MLP's 64 px
        ({"arch": "dcgan", "image_size": 48}, "image_size"),  # DCGAN makes 32 or 64 only
        ({"channels": 2}, "channels"),  # neither gray nor RGB
        ({"channels": True}, "channels"),  # a bool is not a channel count
        ({"n_classes": 1}, "n_classes"),  # conditional on one class makes no sense
        ({"n_classes": -1}, "n_classes"),  # negative
        ({"n_classes": 101}, "n_classes"),  # over the cap
        ({"z_dim": 0}, "z_dim"),  # empty noise
        ({"batch_size": 1}, "batch_size"),  # too small for BatchNorm
        ({"lr": 0.0}, "lr"),  # no learning
        ({"lr": float("nan")}, "lr"),  # not a number
        ({"beta1": 1.0}, "beta1"),  # Adam needs beta1 < 1
        ({"loss": "wasserstein"}, "loss"),  # unknown loss
        ({"label_smoothing": 0.5}, "label_smoothing"),  # real target 0.5 = fake target
        ({"loss": "hinge", "label_smoothing": 0.1}, "hinge"),  # smoothing is bce-only
        ({"spectral_norm": 1}, "spectral_norm"),  # not a bool
        ({"diffaugment": "yes"}, "diffaugment"),  # not a bool
        ({"seed": -1}, "seed"),  # negative seed
        ({"seed": 1.5}, "seed"),  # fractional seed
        ({"hidden": (256,)}, "hidden"),  # one width
        ({"hidden": (256, 0)}, "hidden"),  # an empty layer
        ({"base_channels": 0}, "base_channels"),  # no feature maps
        ({"dropout": 1.0}, "dropout"),  # drops everything
        ({"held_out": 0.5}, "held_out"),  # half held out: a class of two would train on nothing
        ({"held_out": -0.1}, "held_out"),  # negative share
    ],
)
def test_config_rejects_with_a_sentence_naming_the_setting(overrides, field):
    with pytest.raises(ConfigError) as info:
        GANConfig(**overrides)
    message = str(info.value)
    assert field in message and message.endswith(".")


@pytest.mark.parametrize(
    "overrides, lr, width",
    [
        ({}, 2e-4, 32),  # the MLP GAN on digits: the classic learning rate
        ({"arch": "dcgan", "image_size": 16}, 1e-3, 32),  # the conv GAN learns faster with 1e-3
        ({"arch": "dcgan", "image_size": 32}, 1e-3, 16),  # 16 maps from 32 px on: twice the steps
        ({"arch": "dcgan", "image_size": 64, "lr": 5e-4, "base_channels": 8}, 5e-4, 8),  # given: kept
    ],
)
def test_defaults_that_follow_the_architecture_and_size(overrides, lr, width):
    config = GANConfig(**overrides)
    assert (config.lr, config.base_channels) == (lr, width)
    assert GANConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config  # stored resolved


def test_config_json_round_trip_and_plain_types():
    config = GANConfig(arch="dcgan", image_size=64, channels=3, n_classes=5, loss="hinge", spectral_norm=True)
    data = json.loads(json.dumps(config.to_dict()))
    assert GANConfig.from_dict(data) == config
    assert GANConfig.from_dict({}) == GANConfig()
    with pytest.raises(ConfigError, match="Unknown"):
        GANConfig.from_dict({"arch": "mlp", "depth": 3})
    # numpy scalars (from a slider or an array) become plain Python numbers, so JSON can write them
    numpy_made = GANConfig(image_size=np.int64(16), lr=np.float32(0.5), hidden=[np.int32(8), 16])
    assert json.loads(json.dumps(numpy_made.to_dict()))["image_size"] == 16
    assert type(numpy_made.lr) is float and numpy_made.hidden == (8, 16)


@pytest.mark.parametrize(
    "config",
    [
        GANConfig(),  # the classic MLP GAN on 8x8 gray
        GANConfig.dry_run(n_classes=3, image_size=16, channels=3),  # conditional, colour, other widths
        GANConfig.dry_run(spectral_norm=True),  # parametrized weights
    ],
)
def test_mlp_layers_follow_the_config(config):
    """G: z (+ one-hot-sized embedding) -> h1 -> h2 -> pixels; D mirrors it: pixels -> h2 -> h1 -> 1."""
    generator, discriminator = build_models(config)
    h1, h2 = config.hidden
    pixels = config.channels * config.image_size**2
    k = config.n_classes
    linear = torch.nn.Linear
    g = [(m.in_features, m.out_features) for m in generator.modules() if isinstance(m, linear)]
    d = [(m.in_features, m.out_features) for m in discriminator.modules() if isinstance(m, linear)]
    assert g == [(config.z_dim + k, h1), (h1, h2), (h2, pixels)]
    assert d == [(pixels + k, h2), (h2, h1), (h1, 1)]
    z = torch.zeros(5, config.z_dim)
    labels = torch.zeros(5, dtype=torch.long) if k else None
    out = generator.generate(z, labels)
    assert out.shape == (5, *config.image_shape) and float(out.abs().max()) <= 1.0  # tanh


@pytest.mark.parametrize(
    "size, start, levels",
    [
        (16, 4, 2),  # drawn shapes: 4 -> 8 -> 16
        (28, 7, 2),  # MNIST-sized: 7 -> 14 -> 28
        (32, 4, 3),  # texture patches, CIFAR-sized
        (64, 4, 4),  # photos
    ],
)
def test_dcgan_maps_noise_to_images_and_images_to_one_logit(size, start, levels):
    config = GANConfig.dry_run(arch="dcgan", image_size=size, channels=3, n_classes=2)
    generator, discriminator = build_models(config)
    labels = torch.tensor([0, 1, 1, 0])
    images = generator.generate(torch.zeros(4, config.z_dim), labels)
    assert images.shape == (4, 3, size, size) and float(images.abs().max()) <= 1.0
    assert discriminator(images, labels).shape == (4,)
    assert generator.project.out_features == config.base_channels * 2 ** (levels - 1) * start * start
    assert len(generator.ups) == levels - 1  # then one more transposed convolution makes the image
    strided = [m for m in discriminator.net if isinstance(m, torch.nn.Conv2d)]
    assert [m.out_channels for m in strided] == [config.base_channels * 2**i for i in range(levels)]
    assert strided[0].in_channels == 3 + 2  # RGB and one map per class


def test_the_discriminator_sees_the_class_as_input_maps_and_through_a_projection():
    """D(x, y) = head([h, deviation(h)]) + <embed(y), h>, h = the convolutions of [x, one-hot maps of y]
    summed over space: rebuilt here from the parts, with the maps made by numpy."""
    config = GANConfig.dry_run(arch="dcgan", image_size=16, n_classes=3)
    _, discriminator = build_models(config)
    x = torch.from_numpy(np.random.default_rng(0).normal(size=(4, 1, 16, 16)).astype(np.float32))
    for c in range(3):
        maps = np.zeros((4, 3, 16, 16), np.float32)
        maps[:, c] = 1.0
        h = discriminator.net(torch.cat([x, torch.from_numpy(maps)], dim=1)).sum(dim=(2, 3))
        unconditional = discriminator.head(torch.cat([h, discriminator._deviation(h)], dim=1)).view(-1)
        expected = unconditional + h @ discriminator.label_embedding.weight[c]
        assert torch.allclose(discriminator(x, torch.full((4,), c)), expected, atol=1e-5)
    assert discriminator.net[0].in_channels == 1 + 3  # the image's channel and the three class maps


@pytest.mark.parametrize(
    "rows, spread",
    [
        ("same", 0.0),  # four copies of one image: no spread, what a collapsed generator shows
        ("different", None),  # four different images: a positive spread, the same for the group
    ],
)
def test_minibatch_deviation_sees_a_collapsed_batch(rows, spread):
    config = GANConfig.dry_run(arch="dcgan", image_size=16)
    _, discriminator = build_models(config)
    rng = np.random.default_rng(1)
    h = torch.from_numpy(rng.normal(size=(1 if rows == "same" else 4, 6)).astype(np.float32)).expand(4, 6)
    deviation = discriminator._deviation(h.contiguous())
    by_hand = float(np.mean(np.sqrt(np.var(h.numpy(), axis=0) + 1e-8)))
    assert deviation.shape == (4, 1) and torch.allclose(deviation, torch.full((4, 1), by_hand), atol=1e-6)
    if spread is not None:
        assert by_hand == pytest.approx(spread, abs=1e-3)


def test_same_seed_same_weights_other_seed_other_weights_global_rng_untouched():
    before = torch.random.get_rng_state()
    a, b = build_models(GANConfig.dry_run(seed=3)), build_models(GANConfig.dry_run(seed=3))
    c = build_models(GANConfig.dry_run(seed=4))
    for net in (0, 1):
        pa, pb, pc = (list(m[net].parameters()) for m in (a, b, c))
        assert all(torch.equal(x, y) for x, y in zip(pa, pb, strict=True))
        assert not all(torch.equal(x, z) for x, z in zip(pa, pc, strict=True))
    assert torch.equal(torch.random.get_rng_state(), before)


def test_dropout_and_augmentation_follow_the_generator():
    x = torch.zeros(6, 1, 8, 8)
    a = diff_augment(x, torch.Generator().manual_seed(3))
    b = diff_augment(x, torch.Generator().manual_seed(3))
    c = diff_augment(x, torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    # cutout zeroes a 4x4 square (clipped at the border) of every image, brightness shifts the rest
    assert all(int((img == 0).sum()) >= 4 for img in a)


def test_spectral_norm_matches_the_largest_singular_value():
    weight = torch.from_numpy(np.random.default_rng(0).normal(size=(6, 10)).astype(np.float32))
    norm = SpectralNorm(weight, torch.Generator().manual_seed(0))
    for _ in range(50):
        normed = norm(weight)
    sigma = np.linalg.svd(weight.numpy(), compute_uv=False)[0]
    assert abs(float(np.linalg.svd(normed.detach().numpy(), compute_uv=False)[0]) - 1.0) < 1e-3
    assert torch.allclose(normed, weight / float(sigma), atol=1e-4)
