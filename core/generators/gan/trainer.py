"""The GAN's trainer: one discriminator and one generator update per step, previews, sampling, checkpoints.

:class:`GANTrainer` implements :class:`core.generators.engine.Trainer`: :meth:`~GANTrainer.step`, a
preview grid from a fixed noise batch, ``state()``/``load_state()``, ``checkpoint()``/``from_checkpoint()``
in the :mod:`core.generators.checkpoint` format, and ``generate()``.

Random streams (:mod:`core.seeding`), each a ``torch.Generator`` of its own:

- ``(config.seed, "gan", "init")``: initial weights (:func:`~core.generators.gan.model.build_models`);
- ``(config.seed, "gan", "train")``: batches, noise, dropout masks, DiffAugment; its state travels with
  ``state()`` and the checkpoint;
- ``(config.seed, "gan", "preview")``: the fixed preview noise;
- ``(seed, "gan", "sample")``: the noise of ``generate(n, labels, seed)``.

Samples and previews come from an exponential moving average of the generator's weights (``config.ema``,
with a warm-up so early previews are not held back by the random start; Karras et al. 2018, Yazici et
al. 2019): on small data it is steadier and sharper than the generator of the last step.

The same seed therefore gives the same weights and samples on the same machine and thread count.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
import torch.nn.functional as F

from core.errors import ConfigError
from core.generators.checkpoint import CheckpointError, seal, to_cpu
from core.generators.engine import clone_state, pick_device
from core.generators.gan.model import GANConfig, Generator, build_models, diff_augment
from core.generators.sampling import ImageSampler, preview_grid  # noqa: F401 - preview_grid: re-exported
from core.seeding import torch_generator

ADAM_BETA2 = 0.999


class GANTrainer(ImageSampler):
    """Trains a GAN one step at a time; implements :class:`core.generators.engine.Trainer`.

    Attributes:
        config: The configuration.
        classes: Class names, index = label (empty when unconditional).
        device: Where the networks and the training images live.
        G: The generator. D: The discriminator.
        steps_done: Steps taken (one D and one G update each).
    """

    KIND = "gan"

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
            images: ``N x C x S x S`` float in [-1, 1] from :func:`~core.generators.gan.data.prepare_images`
                (or the training part of :func:`~core.generators.gan.data.training_split`); None for a
                model that only samples (``step()`` then raises ConfigError).
            labels: ``N`` class indices (ignored when unconditional).
            classes: Class names; ``len(classes) == config.n_classes`` when conditional.
            config: The configuration.
            device: Default :func:`core.generators.engine.pick_device`.

        Raises:
            ConfigError: The images, labels or classes do not fit the configuration.
        """
        self.config = config
        self.device = torch.device(device) if device is not None else pick_device()
        self._set_data(images, labels, classes)
        self.G, self.D = build_models(config, self.device)
        self.G_ema = self._ema_copy()
        self._optimizers: tuple[torch.optim.Adam, torch.optim.Adam] | None = None
        self._pending_optimizers: dict[str, Any] | None = None  # a checkpoint's, loaded on first use
        self.rng = torch_generator(config.seed, "gan", "train", device=self.device)
        self.steps_done = 0
        self.fixed_z, self.fixed_labels = self._fixed_noise()

    def _ema_copy(self) -> Generator:
        """The sampling generator: a frozen copy of G (or G itself when ``config.ema`` is 0)."""
        if self.config.ema == 0:
            return self.G
        ema = copy.deepcopy(self.G)
        ema.requires_grad_(False)
        ema.eval()
        return ema

    @torch.no_grad()
    def _update_ema(self) -> None:
        """``ema = d * ema + (1 - d) * G``, ``d = min(config.ema, (1 + t) / (10 + t))``; buffers copied."""
        if self.G_ema is self.G:
            return
        t = self.steps_done
        decay = min(self.config.ema, (1.0 + t) / (10.0 + t))
        for mine, theirs in zip(self.G_ema.parameters(), self.G.parameters(), strict=True):
            mine.lerp_(theirs, 1.0 - decay)
        for mine, theirs in zip(self.G_ema.buffers(), self.G.buffers(), strict=True):
            mine.copy_(theirs)

    # -- optimisers -----------------------------------------------------------------------------

    def _adam(self) -> tuple[torch.optim.Adam, torch.optim.Adam]:
        """Both Adam optimisers (generator, discriminator), made on first use.

        A model loaded only to sample never needs them, and the first optimiser of a process imports
        ``torch._dynamo`` (over a second): ``python -m core sample-gan`` is spared it.
        """
        if self._optimizers is None:
            betas = (self.config.beta1, ADAM_BETA2)
            opt_g = torch.optim.Adam(self.G.parameters(), lr=self.config.lr, betas=betas)
            opt_d = torch.optim.Adam(self.D.parameters(), lr=self.config.lr, betas=betas)
            pending, self._pending_optimizers = self._pending_optimizers, None
            if pending is not None:
                opt_g.load_state_dict(pending["generator"])
                opt_d.load_state_dict(pending["discriminator"])
            self._optimizers = (opt_g, opt_d)
        return self._optimizers

    @property
    def opt_g(self) -> torch.optim.Adam:
        """The generator's Adam optimiser."""
        return self._adam()[0]

    @property
    def opt_d(self) -> torch.optim.Adam:
        """The discriminator's Adam optimiser."""
        return self._adam()[1]

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
        opt_g, opt_d = self._adam()
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
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()

        # 2. Generator (D's weights are frozen so that no gradient is spent on them)
        self.D.requires_grad_(False)
        try:
            d_fake = self._judge(fake, fake_labels)
            if cfg.loss == "bce":
                loss_g = F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))
            else:
                loss_g = -d_fake.mean()
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
        finally:
            self.D.requires_grad_(True)
        self._update_ema()
        self.steps_done += 1
        return {"discriminator": loss_d.item(), "generator": loss_g.item()}

    # -- sampling (the rest is ImageSampler's) ------------------------------------------------

    def noise_dim(self) -> int:
        return self.config.z_dim

    def decode(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """The averaged generator (``G_ema``) on ``z`` and ``labels``, in eval mode."""
        return self.G_ema.generate(z, labels)

    # -- state ----------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """A deep copy of the weights, both optimisers, the step count and the training RNG state."""
        return clone_state(
            {
                "generator": self.G.state_dict(),
                "generator_ema": self.G_ema.state_dict(),
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
        self.G_ema.load_state_dict(state["generator_ema"])
        self.D.load_state_dict(state["discriminator"])
        self.opt_g.load_state_dict(state["opt_generator"])
        self.opt_d.load_state_dict(state["opt_discriminator"])
        self.steps_done = int(state["steps_done"])
        self.rng.set_state(state["rng"])

    def checkpoint(self) -> dict[str, Any]:
        """The :mod:`~core.generators.checkpoint` payload (plain tensors and JSON values, weights_only).

        ``{"kind": "gan", "format_version", "model": {"generator", "generator_ema", "discriminator"},
        "config",
        "classes", "optimizer": {"generator", "discriminator"}, "steps", "rng", "rng_device", "digest"}``.
        """
        state = self.state()
        payload = to_cpu(
            {
                "kind": "gan",
                "model": {
                    "generator": state["generator"],
                    "generator_ema": state["generator_ema"],
                    "discriminator": state["discriminator"],
                },
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
        return seal(payload)

    @classmethod
    def from_checkpoint(
        cls,
        payload: dict[str, Any],
        images: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        device: torch.device | str | None = None,
        classes: list[str] | None = None,
        name: str = "The checkpoint",
    ) -> GANTrainer:
        """Rebuild a trainer from :meth:`checkpoint` (e.g. via :func:`checkpoint.load_checkpoint`).

        Args:
            payload: The checkpoint dict.
            images: Training images to resume training (the training part of
                :func:`~core.generators.gan.data.training_split` with the checkpoint's config); None to
                only sample.
            labels: Their class indices, into the checkpoint's classes (conditional models).
            device: Default :func:`core.generators.engine.pick_device`.
            classes: The class names behind ``labels``; when given they must equal the checkpoint's.
            name: The file's name, for messages.

        Raises:
            CheckpointError: Another kind or version, an altered file, a configuration that is not valid,
                weights that do not fit their configuration, or images or classes that do not fit the model.
        """
        config, saved_classes = cls._checkpoint_config(payload, GANConfig, images, classes, name)
        try:
            trainer = cls(images, labels, saved_classes, config, device)
        except ConfigError as exc:
            raise CheckpointError(f"{name} cannot resume on these images: {exc}") from None
        model, optimizer = payload.get("model"), payload.get("optimizer")
        if not isinstance(model, dict) or not {"generator", "generator_ema", "discriminator"} <= set(model):
            raise CheckpointError(f"{name} has no generator, averaged generator and discriminator weights.")
        try:
            trainer.G.load_state_dict(model["generator"])
            trainer.G_ema.load_state_dict(model["generator_ema"])
            trainer.D.load_state_dict(model["discriminator"])
        except (RuntimeError, TypeError, KeyError) as exc:
            first = str(exc).strip().splitlines()
            detail = " ".join(line.strip() for line in first[:3])[:300]
            raise CheckpointError(f"{name}: its weights do not fit its configuration ({detail}).") from None
        if isinstance(optimizer, dict) and {"generator", "discriminator"} <= set(optimizer):
            trainer._pending_optimizers = optimizer
            try:
                if images is not None:  # a sampler makes its optimisers (and loads these) only if asked to
                    trainer._adam()
            except (ValueError, KeyError, TypeError, RuntimeError) as exc:
                raise CheckpointError(
                    f"{name}: its optimiser state does not fit its model ({exc})."
                ) from None
        trainer._restore_counters(payload, name, (config.seed, "gan", "train"))
        return trainer
