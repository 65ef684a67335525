"""The VAE's trainer: one ELBO step per call, previews, sampling, checkpoints.

:class:`VAETrainer` implements :class:`core.generators.engine.Trainer` and samples like the GAN
(:class:`core.generators.sampling.ImageSampler`): the same previews, ``generate()`` and pool items.

Random streams (:mod:`core.seeding`), each a ``torch.Generator`` of its own:

- ``(config.seed, "vae", "init")``: initial weights (:func:`~core.generators.vae.model.build_vae`);
- ``(config.seed, "vae", "train")``: batches and the reparameterisation noise; its state travels with
  ``state()`` and the checkpoint;
- ``(config.seed, "vae", "preview")``: the fixed preview noise;
- ``(seed, "vae", "sample")``: the noise of ``generate(n, labels, seed)``.

The held-out split is the GAN's (the stream ``(seed, "gan", "held_out")``), so a GAN and a VAE with the
same seed are judged on the same images.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
import torch.nn.functional as F

from core.errors import ConfigError
from core.generators.checkpoint import CheckpointError, seal, to_cpu
from core.generators.engine import clone_state, pick_device
from core.generators.sampling import ImageSampler
from core.generators.vae.model import VAEConfig, build_vae
from core.seeding import torch_generator

LOSS_NAMES = ("-ELBO", "reconstruction", "KL")  # the curves of a run, each in nats per image


class VAETrainer(ImageSampler):
    """Trains a :class:`~core.generators.vae.model.ConvVAE` one step at a time.

    Attributes:
        config: The configuration.
        classes: Class names, index = label (empty when unconditional).
        device: Where the network and the training images live.
        model: The VAE.
        steps_done: Optimisation steps taken.
    """

    KIND = "vae"

    def __init__(
        self,
        images: torch.Tensor | None,
        labels: torch.Tensor | None,
        classes: list[str],
        config: VAEConfig,
        device: torch.device | str | None = None,
    ) -> None:
        """
        Args:
            images: ``N x C x S x S`` float in [-1, 1] (the training part of
                :func:`~core.generators.gan.data.training_split`); None for a model that only samples.
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
        self.model = build_vae(config, self.device)
        self._optimizer: torch.optim.Adam | None = None
        self._pending_optimizer: dict[str, Any] | None = None  # a checkpoint's, loaded on first use
        self.rng = torch_generator(config.seed, "vae", "train", device=self.device)
        self.steps_done = 0
        self.fixed_z, self.fixed_labels = self._fixed_noise()

    @property
    def optimizer(self) -> torch.optim.Adam:
        """The Adam optimiser, made on first use (a model loaded to sample never needs one)."""
        if self._optimizer is None:
            optimizer = torch.optim.Adam(self.model.parameters(), lr=self.config.lr)
            pending, self._pending_optimizer = self._pending_optimizer, None
            if pending is not None:
                optimizer.load_state_dict(pending)
            self._optimizer = optimizer
        return self._optimizer

    # -- training -------------------------------------------------------------------------------

    def step(self) -> dict[str, float]:
        """One Adam step on ``reconstruction + beta * KL`` of a random batch.

        Reconstruction: the Bernoulli negative log-likelihood of the pixel intensities (in [0, 1]) under
        the decoder's logits, summed over the pixels; KL: ``KL(q(z|x, y) || N(0, I))`` in closed form.
        Both in nats per image, averaged over the batch; ``-ELBO`` is their sum (whatever ``beta``).

        Returns:
            ``{"-ELBO": ..., "reconstruction": ..., "KL": ...}``.

        Raises:
            ConfigError: The trainer was loaded without training images.
        """
        if self.images is None:
            raise ConfigError(
                "This VAE was loaded for sampling only; give it training images to continue training."
            )
        cfg, rng, dev = self.config, self.rng, self.device
        n = cfg.batch_size
        index = torch.randint(self.images.shape[0], (n,), generator=rng, device=dev)
        x = self.images[index]
        y = self.labels[index] if cfg.conditional else None
        mu, logvar = self.model.encode(x, y)
        eps = torch.randn(mu.shape, generator=rng, device=dev)
        z = mu + torch.exp(0.5 * logvar) * eps
        logits = self.model.decode_logits(z, y)
        recon = F.binary_cross_entropy_with_logits(logits, (x + 1.0) / 2.0, reduction="sum") / n
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum() / n
        loss = recon + cfg.beta * kl
        optimizer = self.optimizer
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        self.steps_done += 1
        r, k = recon.item(), kl.item()
        return {"-ELBO": r + k, "reconstruction": r, "KL": k}

    # -- sampling (the rest is ImageSampler's) ------------------------------------------------

    def noise_dim(self) -> int:
        return self.config.latent_dim

    def decode(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """The decoder's mean image for ``z`` and ``labels``, in [-1, 1]."""
        return self.model.generate(z, labels)

    # -- state ----------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """A deep copy of the weights, the optimiser, the step count and the training RNG state."""
        return clone_state(
            {
                "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "steps_done": self.steps_done,
                "rng": self.rng.get_state(),
            }
        )

    def load_state(self, state: dict[str, Any]) -> None:
        """Go back to a state from :meth:`state` (copied, so the same state can be loaded again)."""
        state = clone_state(state)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.steps_done = int(state["steps_done"])
        self.rng.set_state(state["rng"])

    def checkpoint(self) -> dict[str, Any]:
        """The :mod:`~core.generators.checkpoint` payload (plain tensors and JSON values, weights_only).

        ``{"kind": "vae", "format_version", "model", "config", "classes", "optimizer", "steps", "rng",
        "rng_device", "digest"}``.
        """
        state = self.state()
        payload = to_cpu(
            {
                "kind": "vae",
                "model": state["model"],
                "config": self.config.to_dict(),
                "classes": list(self.classes),
                "optimizer": state["optimizer"],
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
    ) -> VAETrainer:
        """Rebuild a trainer from :meth:`checkpoint`; arguments as ``GANTrainer.from_checkpoint``'s.

        Raises:
            CheckpointError: Another kind or version, an altered file, a configuration that is not valid,
                weights that do not fit it, or images or classes that do not fit the model.
        """
        config, saved_classes = cls._checkpoint_config(payload, VAEConfig, images, classes, name)
        try:
            trainer = cls(images, labels, saved_classes, config, device)
        except ConfigError as exc:
            raise CheckpointError(f"{name} cannot resume on these images: {exc}") from None
        model = payload.get("model")
        if not isinstance(model, dict):
            raise CheckpointError(f"{name} has no VAE weights.")
        try:
            trainer.model.load_state_dict(model)
        except (RuntimeError, TypeError, KeyError) as exc:
            detail = " ".join(line.strip() for line in str(exc).strip().splitlines()[:3])[:300]
            raise CheckpointError(f"{name}: its weights do not fit its configuration ({detail}).") from None
        optimizer = payload.get("optimizer")
        if isinstance(optimizer, dict):
            trainer._pending_optimizer = copy.deepcopy(optimizer)
            try:
                if images is not None:  # a sampler makes its optimiser (and loads this) only if asked to
                    trainer.optimizer  # noqa: B018 - made now, so that a bad state is refused now
            except (ValueError, KeyError, TypeError, RuntimeError) as exc:
                raise CheckpointError(
                    f"{name}: its optimiser state does not fit its model ({exc})."
                ) from None
        trainer._restore_counters(payload, name, (config.seed, "vae", "train"))
        return trainer
