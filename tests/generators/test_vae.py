"""core.generators.vae: the configuration's checks, the networks' shapes, the ELBO's parts against a hand
computation, determinism, checkpoints (round trip, resume, refusals by name) and pool items.

Every model here is tiny (``VAEConfig.dry_run``); the conditioning check on real data is in
test_conditioning.py.
"""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
import torch
from generator_helpers import make_trainer, random_images

from core.errors import ConfigError
from core.generators.checkpoint import CheckpointError, load_checkpoint, save_checkpoint, seal
from core.generators.gan import GANConfig
from core.generators.pool import image_samples, samples_from_checkpoint
from core.generators.vae import VAEConfig, VAETrainer, build_vae


def vae(config: VAEConfig, n: int = 24, data_seed: int = 0) -> VAETrainer:
    """A VAE on ``n`` random images, labels cycling over the classes (``c0``, ``c1``, ...)."""
    images = random_images(n, config.image_shape, data_seed)
    labels = torch.arange(n) % max(config.n_classes, 1)
    return VAETrainer(images, labels, [f"c{i}" for i in range(config.n_classes)], config, device="cpu")


COND = VAEConfig.dry_run(n_classes=3)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"image_size": 12}, "image_size"),  # not a size the networks make
        ({"image_size": 128}, "image_size"),  # above 64 px
        ({"channels": 2}, "channels"),  # neither gray nor RGB
        ({"n_classes": 1}, "n_classes"),  # conditional on one class
        ({"latent_dim": 0}, "latent_dim"),  # an empty latent
        ({"beta": 0.0}, "beta"),  # no KL term: not a VAE
        ({"lr": -1.0}, "lr"),  # negative learning rate
        ({"held_out": 0.5}, "held_out"),  # half held out
        ({"seed": 1.5}, "seed"),  # fractional seed
    ],
)
def test_config_rejects_with_a_sentence_naming_the_setting(overrides, field):
    with pytest.raises(ConfigError) as info:
        VAEConfig(**overrides)
    assert field in str(info.value) and str(info.value).endswith(".")


def test_config_json_round_trip():
    config = VAEConfig(image_size=32, channels=3, n_classes=5, latent_dim=8, beta=0.5, seed=3)
    assert VAEConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    with pytest.raises(ConfigError, match="Unknown"):
        VAEConfig.from_dict({"depth": 3})


@pytest.mark.parametrize(
    "size, channels, n_classes",
    [
        (8, 1, 0),  # digits, unconditional: one level from 4x4
        (16, 1, 3),  # drawn shapes, conditional: two levels
        (28, 3, 2),  # MNIST-sized colour: 7x7 doubled twice
        (32, 1, 3),  # texture patches: three levels
        (64, 3, 0),  # photos: four levels
    ],
)
def test_encoder_and_decoder_shapes(size, channels, n_classes):
    config = VAEConfig.dry_run(image_size=size, channels=channels, n_classes=n_classes)
    model = build_vae(config)
    x = torch.zeros(5, channels, size, size)
    labels = torch.arange(5) % n_classes if n_classes else None
    mu, logvar = model.encode(x, labels)
    assert mu.shape == logvar.shape == (5, config.latent_dim)
    assert model.decode_logits(mu, labels).shape == (5, channels, size, size)
    images = model.generate(mu, labels)
    assert float(images.min()) >= -1.0 and float(images.max()) <= 1.0


def test_step_reports_the_elbo_parts_as_a_hand_computation_gives_them():
    """Redo the first step's forward pass with the same noise: reconstruction (Bernoulli NLL summed over
    pixels), KL (closed form) and -ELBO = their sum, nats per image."""
    trainer = vae(COND)
    rng_state = trainer.rng.get_state()
    weights = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    losses = trainer.step()
    model = build_vae(COND)
    model.load_state_dict(weights)
    rng = torch.Generator().manual_seed(0)
    rng.set_state(rng_state)
    n = COND.batch_size
    index = torch.randint(trainer.images.shape[0], (n,), generator=rng)
    x, y = trainer.images[index], trainer.labels[index]
    mu, logvar = model.encode(x, y)
    z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=rng)
    p = torch.sigmoid(model.decode_logits(z, y)).double()
    target = ((x + 1) / 2).double()
    recon = -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).sum().item() / n
    kl = (
        sum(
            0.5 * (m**2 + math.exp(v) - 1 - v)
            for m, v in zip(mu.flatten().tolist(), logvar.flatten().tolist(), strict=True)
        )
        / n
    )
    assert losses["reconstruction"] == pytest.approx(recon, rel=1e-4)
    assert losses["KL"] == pytest.approx(kl, rel=1e-4) and losses["KL"] >= 0
    assert losses["-ELBO"] == pytest.approx(recon + kl, rel=1e-4)


@pytest.mark.parametrize(
    "config",
    [
        COND,  # conditional, gray 8 px
        VAEConfig.dry_run(image_size=16, channels=3),  # unconditional colour
    ],
)
def test_same_seed_same_samples_other_seed_other_samples_global_rng_untouched(config):
    def run(cfg: VAEConfig) -> bytes:
        trainer = vae(cfg)
        for _ in range(3):
            trainer.step()
        return trainer.generate(4, None, seed=2)[0].tobytes() + trainer.preview().tobytes()

    before = torch.random.get_rng_state()
    assert run(config) == run(config)
    assert run(config) != run(VAEConfig.from_dict({**config.to_dict(), "seed": 9}))
    assert torch.equal(torch.random.get_rng_state(), before)


def test_generate_gives_n_per_class_in_class_order():
    images, labels = vae(COND).generate(2, None, seed=0)
    assert images.shape == (6, 8, 8) and images.dtype == np.uint8
    assert labels.tolist() == [0, 0, 1, 1, 2, 2]
    with pytest.raises(ConfigError, match=r"0\.\.2"):
        vae(COND).generate(1, [3], seed=0)


def restore(data: bytes, **kwargs) -> VAETrainer:
    return VAETrainer.from_checkpoint(
        load_checkpoint(data, "vae.pt", "vae"), device="cpu", name="vae.pt", **kwargs
    )


def test_checkpoint_round_trip_and_resume_continue_exactly():
    trainer = vae(COND)
    for _ in range(3):
        trainer.step()
    data = save_checkpoint(trainer.checkpoint())
    payload = torch.load(io.BytesIO(data), weights_only=True)  # plain data only
    assert payload["kind"] == "vae" and payload["steps"] == 3 and payload["config"] == COND.to_dict()
    sampler = restore(data)
    assert sampler.classes == ["c0", "c1", "c2"] and sampler.steps_done == 3
    assert np.array_equal(sampler.generate(2, None, seed=4)[0], trainer.generate(2, None, seed=4)[0])
    with pytest.raises(ConfigError, match="sampling only"):
        sampler.step()
    resumed = restore(data, images=trainer.images, labels=trainer.labels, classes=trainer.classes)
    assert [resumed.step() for _ in range(2)] == [trainer.step() for _ in range(2)]


@pytest.mark.parametrize(
    "change, words",
    [
        ({"image_size": 16}, "do not fit"),  # weights made for 8x8 images
        ({"latent_dim": 7}, "do not fit"),  # another latent size
        ({"n_classes": 4}, "class list"),  # the class list no longer matches
        ({"beta": -1}, "not valid"),  # not a valid config at all
    ],
)
def test_a_config_that_does_not_fit_the_weights_is_refused_by_name(change, words):
    trainer = vae(COND)
    trainer.step()
    payload = load_checkpoint(save_checkpoint(trainer.checkpoint()), "vae.pt", "vae")
    payload["config"] = {**payload["config"], **change}
    seal(payload)  # a consistent file, just a wrong config
    with pytest.raises(CheckpointError, match=words) as info:
        VAETrainer.from_checkpoint(payload, device="cpu", name="vae.pt")
    assert str(info.value).startswith("vae.pt")


def test_gan_and_vae_checkpoints_are_refused_by_each_other_and_both_fill_the_image_pool():
    gan = make_trainer(GANConfig.dry_run(n_classes=3))
    gan.step()
    model = vae(COND)
    model.step()
    gan_file, vae_file = save_checkpoint(gan.checkpoint()), save_checkpoint(model.checkpoint())
    with pytest.raises(CheckpointError, match=r"^v\.pt is a VAE checkpoint \('vae'\), not a GAN"):
        load_checkpoint(vae_file, "v.pt", "gan")
    with pytest.raises(CheckpointError, match=r"^g\.pt is a GAN checkpoint \('gan'\), not a VAE"):
        samples_from_checkpoint(gan_file, "g.pt", ("vae",), 0, 1)  # what sample-vae asks for
    items = samples_from_checkpoint(vae_file, "v.pt", "gan", 5, 2)  # the image pool takes either
    assert [item.generator for item in items] == ["vae"] * 6
    assert [item.label for item in items] == ["c0", "c0", "c1", "c1", "c2", "c2"]
    assert all(
        np.array_equal(a.array, b.array) for a, b in zip(items, image_samples(model, "x", 5, 2), strict=True)
    )
    assert {item.generator for item in samples_from_checkpoint(gan_file, "g.pt", "gan", 5, 1)} == {"gan"}


def test_the_decoder_output_is_a_sigmoid_mean():
    model = build_vae(COND)
    z, labels = torch.zeros(2, COND.latent_dim), torch.tensor([0, 2])
    assert torch.allclose(model.generate(z, labels), torch.sigmoid(model.decode_logits(z, labels)) * 2 - 1)
    assert not torch.equal(model.decode_logits(z, labels)[0], model.decode_logits(z, labels)[1])  # y matters


def test_an_export_regenerates_vae_samples_like_gan_samples(tmp_path):
    """The export's replay (core.dataset.replay) samples a recipe's VAE source again, byte for byte."""
    from core.dataset.recipe import SyntheticSource
    from core.dataset.replay import samples_from_sources
    from core.generators.checkpoint import checkpoint_hash

    model = vae(COND)
    model.step()
    data = save_checkpoint(model.checkpoint())
    path = tmp_path / "vae.pt"
    path.write_bytes(data)
    source = SyntheticSource(str(path), checkpoint_hash(data), seed=3, n=2)
    notes: list[str] = []
    samples, extra = samples_from_sources("images", [source], notes.append)
    expected = image_samples(model, checkpoint_hash(data), 3, 2)
    assert [(s.label, s.generator, s.seed, s.index) for s in samples] == [
        (e.label, "vae", 3, e.index) for e in expected
    ]
    assert all(np.array_equal(s.array, e.array) for s, e in zip(samples, expected, strict=True))
    assert list(extra) == [f"generators/{checkpoint_hash(data)}.pt"] and len(notes) == 1
