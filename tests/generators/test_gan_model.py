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


@pytest.mark.parametrize("size", [32, 64])
def test_dcgan_maps_noise_to_images_and_images_to_one_logit(size):
    config = GANConfig.dry_run(arch="dcgan", image_size=size, channels=3, n_classes=2)
    generator, discriminator = build_models(config)
    labels = torch.tensor([0, 1, 1])
    images = generator.generate(torch.zeros(3, config.z_dim), labels)
    assert images.shape == (3, 3, size, size)
    assert discriminator(images, labels).shape == (3,)


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
