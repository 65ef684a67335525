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

The same seed therefore gives the same weights and samples on the same machine and thread count.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from core.config import check_int, check_seed
from core.errors import ConfigError
from core.generators.checkpoint import CheckpointError, check_payload, seal, to_cpu
from core.generators.engine import clone_state, pick_device
from core.generators.gan.data import to_uint8
from core.generators.gan.model import GANConfig, build_models, diff_augment
from core.present.grids import make_grid
from core.seeding import torch_generator

PREVIEW_PER_CLASS = 8  # preview columns per class row (conditional models)
PREVIEW_UNCONDITIONAL = 64  # preview images of an unconditional model, as an 8 x 8 grid
PREVIEW_MAX_ROWS = 20  # conditional previews show the first 20 classes at most
PREVIEW_MIN_CELL = 32  # preview cells are enlarged (nearest neighbour) to at least this many pixels
GENERATE_CHUNK = 512  # images per forward pass in generate()
MAX_GENERATE = 10**6  # images per generate() call
ADAM_BETA2 = 0.999


def preview_grid(images: np.ndarray, cols: int, min_cell: int = PREVIEW_MIN_CELL) -> np.ndarray:
    """uint8 images (``N x S x S`` or ``N x S x S x 3``) as one RGB grid, row by row, 1-pixel white gaps.

    Cells are enlarged by a whole factor (nearest neighbour) to at least ``min_cell`` pixels, so an
    8x8 digit stays crisp on a page; the layout is :func:`core.present.grids.make_grid`'s.
    """
    if images.ndim == 3:
        images = np.repeat(images[..., None], 3, axis=3)
    factor = max(1, math.ceil(min_cell / images.shape[1]))
    if factor > 1:
        images = images.repeat(factor, axis=1).repeat(factor, axis=2)
    return make_grid(list(images), cols, pad=1)


class GANTrainer:
    """Trains a GAN one step at a time; implements :class:`core.generators.engine.Trainer`.

    Attributes:
        config: The configuration.
        classes: Class names, index = label (empty when unconditional).
        device: Where the networks and the training images live.
        G: The generator. D: The discriminator.
        steps_done: Steps taken (one D and one G update each).
    """

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
        self.classes = [str(c) for c in classes]
        if config.conditional and len(self.classes) != config.n_classes:
            raise ConfigError(
                f"The configuration has {config.n_classes} classes but {len(self.classes)} were given."
            )
        self.images: torch.Tensor | None = None
        self.labels: torch.Tensor | None = None
        if images is not None:
            if images.ndim != 4 or tuple(images.shape[1:]) != config.image_shape or images.shape[0] == 0:
                raise ConfigError(
                    f"The training images must be N x {' x '.join(map(str, config.image_shape))}, N >= 1, "
                    f"got {tuple(images.shape)}; prepare them with prepare_images(images, config)."
                )
            self.images = images.to(self.device, torch.float32).contiguous()
            if config.conditional:
                if labels is None or labels.shape != (images.shape[0],):
                    raise ConfigError("A conditional GAN needs one class index per training image.")
                if int(labels.min()) < 0 or int(labels.max()) >= config.n_classes:
                    raise ConfigError(f"Class indices must lie in 0..{config.n_classes - 1}.")
                self.labels = labels.to(self.device, torch.long)
        self.G, self.D = build_models(config, self.device)
        self._optimizers: tuple[torch.optim.Adam, torch.optim.Adam] | None = None
        self._pending_optimizers: dict[str, Any] | None = None  # a checkpoint's, loaded on first use
        self.rng = torch_generator(config.seed, "gan", "train", device=self.device)
        self.steps_done = 0
        self.fixed_z, self.fixed_labels = self._fixed_noise()

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

    # -- noise ----------------------------------------------------------------------------------

    def _noise(self, n: int, rng: torch.Generator) -> torch.Tensor:
        """``n x z_dim`` standard normal noise drawn on the CPU (the same on every device), moved over."""
        return torch.randn(n, self.config.z_dim, generator=rng).to(self.device)

    def _fixed_noise(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The preview batch: 8 per class, one class per row (first 20 classes), or 64 unconditional."""
        rng = torch_generator(self.config.seed, "gan", "preview")
        if self.config.conditional:
            rows = min(self.config.n_classes, PREVIEW_MAX_ROWS)
            labels = torch.arange(rows).repeat_interleave(PREVIEW_PER_CLASS).to(self.device)
            return self._noise(rows * PREVIEW_PER_CLASS, rng), labels
        return self._noise(PREVIEW_UNCONDITIONAL, rng), None

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
        self.steps_done += 1
        return {"discriminator": loss_d.item(), "generator": loss_g.item()}

    # -- looking --------------------------------------------------------------------------------

    def preview(self) -> np.ndarray:
        """The generator on the fixed noise batch, in eval mode, as a uint8 RGB grid (HxWx3).

        Conditional: one row per class (the first 20), 8 columns. Unconditional: 8 x 8.
        """
        images = to_uint8(self.G.generate(self.fixed_z, self.fixed_labels))
        return preview_grid(images, PREVIEW_PER_CLASS)

    def generate(
        self, n: int, labels: list[int] | None = None, seed: int = 0
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Sample images in eval mode; the same ``seed`` gives the same images.

        Args:
            n: Images to make; for a conditional model with ``labels=None``, images per class.
            labels: Conditional models only: one class index per image (``len(labels) == n``), or None
                for ``n`` of every class, class by class.
            seed: The sampling seed: the noise comes from the stream ``(seed, "gan", "sample")`` (a
                fresh generator; training randomness is untouched).

        Returns:
            uint8 images ``N x S x S`` (grayscale) or ``N x S x S x 3``, and their class indices
            (int64 ``N``; None for an unconditional model).

        Raises:
            ConfigError: A bad count or seed, labels for an unconditional model or out-of-range labels.
        """
        cfg = self.config
        n = check_int("The number of images", n, 1, MAX_GENERATE)
        seed = check_seed("The sampling seed", seed)
        if not cfg.conditional:
            if labels is not None:
                raise ConfigError("This GAN is unconditional; generate without class labels.")
            wanted = None
        elif labels is None:
            if n * cfg.n_classes > MAX_GENERATE:
                raise ConfigError(
                    f"{n:,} images per class of {cfg.n_classes} classes is over {MAX_GENERATE:,} in all."
                )
            wanted = np.repeat(np.arange(cfg.n_classes), n)
        else:
            wanted = np.asarray(labels, dtype=np.int64).reshape(-1)
            if len(wanted) != n:
                raise ConfigError(f"Give one class index per image: {n} images but {len(wanted)} labels.")
            if wanted.min() < 0 or wanted.max() >= cfg.n_classes:
                raise ConfigError(f"Class indices must lie in 0..{cfg.n_classes - 1}.")
        total = n if wanted is None else len(wanted)
        z = torch.randn(total, cfg.z_dim, generator=torch_generator(seed, "gan", "sample"))
        chunks = []
        for start in range(0, total, GENERATE_CHUNK):
            zc = z[start : start + GENERATE_CHUNK].to(self.device)
            lc = (
                None
                if wanted is None
                else torch.from_numpy(wanted[start : start + GENERATE_CHUNK]).to(self.device)
            )
            chunks.append(to_uint8(self.G.generate(zc, lc)))
        return np.concatenate(chunks), wanted

    # -- state ----------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """A deep copy of the weights, both optimisers, the step count and the training RNG state."""
        return clone_state(
            {
                "generator": self.G.state_dict(),
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
        self.D.load_state_dict(state["discriminator"])
        self.opt_g.load_state_dict(state["opt_generator"])
        self.opt_d.load_state_dict(state["opt_discriminator"])
        self.steps_done = int(state["steps_done"])
        self.rng.set_state(state["rng"])

    def checkpoint(self) -> dict[str, Any]:
        """The :mod:`~core.generators.checkpoint` payload (plain tensors and JSON values, weights_only).

        ``{"kind": "gan", "format_version", "model": {"generator", "discriminator"}, "config",
        "classes", "optimizer": {"generator", "discriminator"}, "steps", "rng", "rng_device", "digest"}``.
        """
        state = self.state()
        payload = to_cpu(
            {
                "kind": "gan",
                "model": {"generator": state["generator"], "discriminator": state["discriminator"]},
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
        check_payload(payload, name, "gan")
        try:
            config = GANConfig.from_dict(payload.get("config"))
        except (ConfigError, TypeError) as exc:
            raise CheckpointError(f"{name} holds a configuration that is not valid: {exc}") from None
        saved_classes = payload.get("classes", [])
        if not isinstance(saved_classes, list) or len(saved_classes) != config.n_classes:
            raise CheckpointError(
                f"{name}: its class list does not match its configuration ({config.n_classes} classes)."
            )
        if classes is not None and [str(c) for c in classes] != [str(c) for c in saved_classes]:
            raise CheckpointError(
                f"The images' classes ({', '.join(map(str, classes[:10]))}) differ from those of {name} "
                f"({', '.join(map(str, saved_classes[:10]))})."
            )
        if images is not None and tuple(images.shape[1:]) != config.image_shape:
            raise CheckpointError(
                f"{name} makes {' x '.join(map(str, config.image_shape))} images but the training images "
                f"are {' x '.join(map(str, images.shape[1:]))}; prepare them with its config."
            )
        try:
            trainer = cls(images, labels, saved_classes, config, device)
        except ConfigError as exc:
            raise CheckpointError(f"{name} cannot resume on these images: {exc}") from None
        model, optimizer = payload.get("model"), payload.get("optimizer")
        if not isinstance(model, dict) or not {"generator", "discriminator"} <= set(model):
            raise CheckpointError(f"{name} has no generator and discriminator weights.")
        try:
            trainer.G.load_state_dict(model["generator"])
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
        steps = payload.get("steps", 0)
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise CheckpointError(f"{name}: its step count is not valid ({steps!r}).")
        trainer.steps_done = steps
        rng = payload.get("rng")
        if isinstance(rng, torch.Tensor) and payload.get("rng_device") == trainer.device.type:
            try:
                trainer.rng.set_state(rng)
            except (RuntimeError, TypeError) as exc:
                raise CheckpointError(f"{name}: its random state is not valid ({exc}).") from None
        else:  # saved on another kind of device: continue on a fresh stream, still from the seed
            trainer.rng = torch_generator(config.seed, "gan", "train", steps, device=trainer.device)
        return trainer
