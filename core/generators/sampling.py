"""What the image generators (GAN, VAE) share: noise in, images out, class by class; the preview grid.

:class:`ImageSampler` is the base of :class:`~core.generators.gan.GANTrainer` and
:class:`~core.generators.vae.VAETrainer`. A subclass sets ``config`` (with ``n_classes``,
``conditional``, ``seed``), ``device``, ``classes``, ``KIND`` (``"gan"`` or ``"vae"``: the random
streams' and the messages' name), and implements :meth:`ImageSampler.noise_dim` and
:meth:`ImageSampler.decode`; it gets:

- :meth:`~ImageSampler.generate`: ``n`` images (per class when conditional) from the stream
  ``(seed, KIND, "sample")``;
- :meth:`~ImageSampler.preview`: the fixed noise batch ``fixed_z``, ``fixed_labels`` that the subclass
  draws in its constructor with :meth:`~ImageSampler._fixed_noise` (the stream
  ``(config.seed, KIND, "preview")``), one row of :data:`PREVIEW_PER_CLASS` images per class with the
  class name written at its left (:func:`labelled_grid`), as one image, so previews compare across
  steps; :attr:`~ImageSampler.preview_rows` lists the rows' names.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from core.config import check_int, check_seed
from core.errors import ConfigError
from core.present.grids import make_grid
from core.seeding import torch_generator

PREVIEW_PER_CLASS = 8  # preview columns per class row (conditional models)
PREVIEW_UNCONDITIONAL = 64  # preview images of an unconditional model, as an 8 x 8 grid
PREVIEW_MAX_ROWS = 20  # conditional previews show the first 20 classes at most
PREVIEW_MIN_CELL = 32  # preview cells are enlarged (nearest neighbour) to at least this many pixels
GENERATE_CHUNK = 512  # images per forward pass in generate()
MAX_GENERATE = 10**6  # images per generate() call
_NAMES = {"gan": "GAN", "vae": "VAE"}


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """``N x C x S x S`` in [-1, 1] -> uint8 ``N x S x S`` (C = 1) or ``N x S x S x 3`` (C = 3)."""
    pixels = ((images.detach().float().cpu() + 1.0) * 127.5).round_().clamp_(0, 255).to(torch.uint8)
    pixels = pixels.permute(0, 2, 3, 1).numpy()
    return np.ascontiguousarray(pixels[..., 0] if pixels.shape[3] == 1 else pixels)


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


LABEL_CHARS = 16  # longer row names are cut, with an ellipsis


def labelled_grid(
    images: np.ndarray, names: list[str], cols: int, min_cell: int = PREVIEW_MIN_CELL
) -> np.ndarray:
    """:func:`preview_grid` of ``len(names)`` rows, each row's name written on a white margin at its left.

    The names are drawn (Pillow's bundled font, black, right-aligned, centred on the row), so the
    grid stays one image wherever it is shown; names over :data:`LABEL_CHARS` characters are cut.
    Characters the font lacks show as boxes: pages also list the names as text.

    Args:
        images: uint8 ``N x S x S`` or ``N x S x S x 3``, row by row (``cols`` per row).
        names: One name per row.
        cols: Images per row.
        min_cell: As :func:`preview_grid`.

    Returns:
        ``H x (margin + W) x 3`` uint8.
    """
    from PIL import Image, ImageDraw, ImageFont

    grid = preview_grid(images, cols, min_cell)
    if not names:
        return grid
    cell = (grid.shape[0] - 1) // len(names) - 1
    font = ImageFont.load_default(size=max(10, min(16, cell // 2)))
    labels = [n if len(n) <= LABEL_CHARS else n[: LABEL_CHARS - 1] + "…" for n in map(str, names)]
    width = max(int(font.getbbox(label)[2]) for label in labels) + 10
    margin = Image.new("RGB", (width, grid.shape[0]), (255, 255, 255))
    draw = ImageDraw.Draw(margin)
    for row, label in enumerate(labels):
        middle = 1 + row * (cell + 1) + cell / 2
        draw.text((width - 5, middle), label, fill=(0, 0, 0), font=font, anchor="rm")
    return np.concatenate([np.asarray(margin, dtype=np.uint8), grid], axis=1)


class ImageSampler:
    """Sampling and previews of a trained image generator (see the module docstring)."""

    KIND = "gan"
    config: Any
    device: torch.device
    classes: list[str]
    fixed_z: torch.Tensor
    fixed_labels: torch.Tensor | None

    # -- set-up shared by the trainers --------------------------------------------------------------

    def _set_data(self, images: torch.Tensor | None, labels: torch.Tensor | None, classes: list[str]) -> None:
        """Check and keep the training images (``self.images``, ``self.labels``, ``self.classes``).

        Raises:
            ConfigError: The images, labels or classes do not fit the configuration.
        """
        config = self.config
        self.classes = [str(c) for c in classes]
        if config.conditional and len(self.classes) != config.n_classes:
            raise ConfigError(
                f"The configuration has {config.n_classes} classes but {len(self.classes)} were given."
            )
        self.images: torch.Tensor | None = None
        self.labels: torch.Tensor | None = None
        if images is None:
            return
        if images.ndim != 4 or tuple(images.shape[1:]) != config.image_shape or images.shape[0] == 0:
            raise ConfigError(
                f"The training images must be N x {' x '.join(map(str, config.image_shape))}, N >= 1, "
                f"got {tuple(images.shape)}; prepare them with prepare_images(images, config)."
            )
        self.images = images.to(self.device, torch.float32).contiguous()
        if config.conditional:
            if labels is None or labels.shape != (images.shape[0],):
                raise ConfigError(
                    f"A conditional {_NAMES[self.KIND]} needs one class index per training image."
                )
            if int(labels.min()) < 0 or int(labels.max()) >= config.n_classes:
                raise ConfigError(f"Class indices must lie in 0..{config.n_classes - 1}.")
            self.labels = labels.to(self.device, torch.long)

    @classmethod
    def _checkpoint_config(
        cls,
        payload: dict[str, Any],
        config_type: Any,
        images: torch.Tensor | None,
        classes: list[str] | None,
        name: str,
    ) -> tuple[Any, list[str]]:
        """The configuration and class list of a checked payload, and that they fit ``images``/``classes``.

        Raises:
            CheckpointError: A configuration that is not valid, a class list that does not match it,
                or images or classes that do not fit the model (each naming the file).
        """
        from core.generators.checkpoint import CheckpointError, check_payload

        check_payload(payload, name, cls.KIND)
        try:
            config = config_type.from_dict(payload.get("config"))
        except (ConfigError, TypeError) as exc:
            raise CheckpointError(f"{name} holds a configuration that is not valid: {exc}") from None
        saved = payload.get("classes", [])
        if not isinstance(saved, list) or len(saved) != config.n_classes:
            raise CheckpointError(
                f"{name}: its class list does not match its configuration ({config.n_classes} classes)."
            )
        if classes is not None and [str(c) for c in classes] != [str(c) for c in saved]:
            raise CheckpointError(
                f"The images' classes ({', '.join(map(str, classes[:10]))}) differ from those of {name} "
                f"({', '.join(map(str, saved[:10]))})."
            )
        if images is not None and tuple(images.shape[1:]) != config.image_shape:
            raise CheckpointError(
                f"{name} makes {' x '.join(map(str, config.image_shape))} images but the training images "
                f"are {' x '.join(map(str, images.shape[1:]))}; prepare them with its config."
            )
        return config, [str(c) for c in saved]

    def _restore_counters(self, payload: dict[str, Any], name: str, stream: tuple[Any, ...]) -> None:
        """Set ``steps_done`` and the training stream ``self.rng`` from a payload.

        A stream saved on another kind of device continues on a fresh one, still from the seed:
        ``(seed, KIND, "train", steps)``.

        Raises:
            CheckpointError: A step count or random state that is not valid.
        """
        from core.generators.checkpoint import CheckpointError

        steps = payload.get("steps", 0)
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise CheckpointError(f"{name}: its step count is not valid ({steps!r}).")
        self.steps_done = steps
        rng = payload.get("rng")
        if isinstance(rng, torch.Tensor) and payload.get("rng_device") == self.device.type:
            try:
                self.rng.set_state(rng)
            except (RuntimeError, TypeError) as exc:
                raise CheckpointError(f"{name}: its random state is not valid ({exc}).") from None
        else:
            self.rng = torch_generator(*stream, steps, device=self.device)

    # -- sampling -------------------------------------------------------------------------------------

    def noise_dim(self) -> int:
        """Length of the noise (latent) vector."""
        raise NotImplementedError

    def decode(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """Images in [-1, 1], ``N x C x S x S``, for noise ``z`` and class indices ``labels`` (eval mode)."""
        raise NotImplementedError

    def _noise(self, n: int, rng: torch.Generator) -> torch.Tensor:
        """``n x noise_dim`` standard normal noise drawn on the CPU (the same on every device), moved over."""
        return torch.randn(n, self.noise_dim(), generator=rng).to(self.device)

    def _fixed_noise(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The preview batch: 8 per class, one class per row (first 20 classes), or 64 unconditional."""
        rng = torch_generator(self.config.seed, self.KIND, "preview")
        if self.config.conditional:
            rows = min(self.config.n_classes, PREVIEW_MAX_ROWS)
            labels = torch.arange(rows).repeat_interleave(PREVIEW_PER_CLASS).to(self.device)
            return self._noise(rows * PREVIEW_PER_CLASS, rng), labels
        return self._noise(PREVIEW_UNCONDITIONAL, rng), None

    @property
    def preview_rows(self) -> list[str]:
        """The class name of each preview row (conditional models; empty when unconditional)."""
        return list(self.classes[:PREVIEW_MAX_ROWS]) if self.config.conditional else []

    def preview(self) -> np.ndarray:
        """The model on the fixed noise batch, in eval mode, as a uint8 RGB grid (HxWx3).

        Conditional: one row per class (the first 20), 8 columns, each row's class name at its left
        (:func:`labelled_grid`). Unconditional: 8 x 8.
        """
        images = to_uint8(self.decode(self.fixed_z, self.fixed_labels))
        return labelled_grid(images, self.preview_rows, PREVIEW_PER_CLASS)

    def generate(
        self, n: int, labels: list[int] | None = None, seed: int = 0
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Sample images in eval mode; the same ``seed`` gives the same images.

        Args:
            n: Images to make; for a conditional model with ``labels=None``, images per class.
            labels: Conditional models only: one class index per image (``len(labels) == n``), or None
                for ``n`` of every class, class by class.
            seed: The sampling seed: the noise comes from the stream ``(seed, KIND, "sample")`` (a
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
                raise ConfigError(
                    f"This {_NAMES[self.KIND]} is unconditional; generate without class labels."
                )
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
        z = torch.randn(total, self.noise_dim(), generator=torch_generator(seed, self.KIND, "sample"))
        chunks = []
        for start in range(0, total, GENERATE_CHUNK):
            zc = z[start : start + GENERATE_CHUNK].to(self.device)
            lc = (
                None
                if wanted is None
                else torch.from_numpy(wanted[start : start + GENERATE_CHUNK]).to(self.device)
            )
            chunks.append(to_uint8(self.decode(zc, lc)))
        return np.concatenate(chunks), wanted
