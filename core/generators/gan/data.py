"""The GAN's data: AugLab images to training tensors, the held-out split, and the settings data suggests.

1. :func:`prepare_images`: AugLab images (:class:`core.data.image_io.LoadedImage`) to an ``N x C x S x S``
   float tensor in [-1, 1], integer labels and the sorted class names.
2. :func:`training_split`: the same, with ``config.held_out`` of each class kept out of training for
   the quality checks (:mod:`core.generators.gan.metrics`). The page and ``python -m core train-gan``
   both train on exactly this training part, so they train the same model.
3. :func:`suggested_settings`: the architecture, size, colour, conditioning and DiffAugment a dataset
   calls for (the page's and the CLI's defaults, for the GAN and the VAE).

The VAE (:mod:`core.generators.vae`) trains on the same split: anything with the data fields of
:class:`ImageModelConfig` will do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np
import torch

from core.data.image_io import LoadedImage
from core.data.split import stratified_split
from core.errors import ConfigError
from core.generators.gan.blocks import CONV_SIZES, VAE_SIZES
from core.generators.sampling import to_uint8  # noqa: F401 - re-exported: where callers look for it
from core.seeding import derive_seed

HELD_OUT_PARTS = ("train", "held_out")  # the names of the two parts, for core.data.split
MIN_HELD_OUT_IMAGES = 20  # fewer images than this: no held-out part (too few to judge anything by)
# Measured (bench/bench_gan.py): on 8x8 digits the MLP GAN beats the convolutional one (trained on the
# digits enlarged to 16 px); from 16 px on, the convolutional GAN wins. Images no larger than this
# default to the MLP GAN at 8 px, larger ones to the convolutional GAN.
SMALL_IMAGE = 8
DEFAULT_MAX_SIZE = 32  # pixels: larger images default to this size (64 px is offered; it is 4x slower)
# Measured (bench/bench_gan.py): with 10 digits per class plain BCE copies its training images
# (memorisation share 0.74) while DiffAugment keeps it at 0.10; with all digits it costs TSTR.
SMALL_PER_CLASS = 50  # fewer images per class than this: DiffAugment on by default
# Measured too: with 10 digits per class the averaged generator's samples sit on the training images
# (memorisation share 0.43 after 3,000 steps, 0.08 without the average): below SMALL_PER_CLASS per class
# the GAN samples from its own weights by default.
# Measured too: from 32 px on, the convolutional GAN gains from DiffAugment at any class size (texture
# patches, 200 per class: TSTR / TRTR 0.59 without, 0.93 with), while 16 px line drawings lose by it.
DIFFAUGMENT_SIZE = 32


def _to_channels(array: np.ndarray, channels: int) -> np.ndarray:
    """HxW, HxWx3 or HxWx4 uint8 -> HxW (channels 1) or HxWx3 (channels 3); alpha is dropped."""
    if array.ndim == 3 and array.shape[2] == 4:
        array = array[:, :, :3]
    if channels == 1:
        return cv2.cvtColor(array, cv2.COLOR_RGB2GRAY) if array.ndim == 3 else array
    return array if array.ndim == 3 else np.repeat(array[:, :, None], 3, axis=2)


def _resize_square(array: np.ndarray, size: int) -> np.ndarray:
    """Centre-crop to a square (keeps the aspect ratio), then resize to ``size`` x ``size``.

    Shrinking uses ``cv2.INTER_AREA`` (averages, no aliasing); enlarging uses ``cv2.INTER_LINEAR``:
    smooth edges suit the networks better than the blocks of INTER_NEAREST, and, unlike cubic, it
    never overshoots the 0..255 range.
    """
    h, w = array.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    array = array[top : top + side, left : left + side]
    if side == size:
        return np.ascontiguousarray(array)
    interpolation = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(array), (size, size), interpolation=interpolation)


class ImageModelConfig(Protocol):
    """The data fields of a GAN's or a VAE's configuration."""

    image_size: int
    channels: int
    n_classes: int
    seed: int
    held_out: float

    @property
    def conditional(self) -> bool: ...


def prepare_images(
    dataset_images: Sequence[LoadedImage], config: ImageModelConfig
) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Turn AugLab images into the GAN's training tensor.

    Each image loses its alpha channel, becomes grayscale (ITU-R 601 luma) or RGB (gray replicated)
    to match ``config.channels``, is centre-cropped to a square and resized to ``config.image_size``
    (see :func:`_resize_square`), and is scaled from 0..255 to [-1, 1].

    Args:
        dataset_images: The images, e.g. ``ImageDataset.images``.
        config: The GAN's or VAE's configuration (image size, channels, classes).

    Returns:
        ``(images, labels, classes)``: float32 ``N x C x S x S`` in [-1, 1]; int64 ``N`` class
        indices into ``classes`` (all 0 for unconditional configs); the sorted distinct labels
        (empty for unconditional configs).

    Raises:
        ConfigError: No images; a conditional config with unlabelled images, or with a class count
            other than the images'.
    """
    if not dataset_images:
        raise ConfigError("There are no images to train on; load a dataset first.")
    classes: list[str] = []
    if config.conditional:
        unlabelled = [img.name for img in dataset_images if img.label is None]
        if unlabelled:
            raise ConfigError(
                f"A class-conditional GAN needs a label on every image, but {len(unlabelled):,} have none "
                f"(e.g. {unlabelled[0]}). Put images in one folder per class, or train an unconditional GAN."
            )
        classes = sorted({str(img.label) for img in dataset_images})
        if len(classes) != config.n_classes:
            raise ConfigError(
                f"The configuration expects {config.n_classes} classes but the images have {len(classes)} "
                f"({', '.join(classes[:10])}{', ...' if len(classes) > 10 else ''})."
            )
    index = {name: i for i, name in enumerate(classes)}
    out = np.empty((len(dataset_images), config.image_size, config.image_size, config.channels), np.uint8)
    for i, img in enumerate(dataset_images):
        pixels = _resize_square(_to_channels(img.array, config.channels), config.image_size)
        out[i] = pixels.reshape(config.image_size, config.image_size, config.channels)
    images = torch.from_numpy(out).permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0).contiguous()
    labels = torch.tensor(
        [index[str(img.label)] if classes else 0 for img in dataset_images], dtype=torch.long
    )
    return images, labels, classes


@dataclass(frozen=True)
class TrainingData:
    """The training part and the held-out part of a dataset, as the GAN's tensors.

    Attributes:
        images: Training images, float32 ``N x C x S x S`` in [-1, 1].
        labels: Their class indices into ``classes`` (int64 ``N``; all 0 when unconditional).
        classes: The sorted class names (empty when unconditional).
        held_out_images: Images kept out of training, ``M x C x S x S`` (M may be 0).
        held_out_labels: Their class indices (int64 ``M``).
    """

    images: torch.Tensor
    labels: torch.Tensor
    classes: list[str]
    held_out_images: torch.Tensor
    held_out_labels: torch.Tensor

    @property
    def has_held_out(self) -> bool:
        """Whether there is a held-out part to measure quality on."""
        return self.held_out_images.shape[0] > 0


def held_out_parts(labels: Sequence[str | None], fraction: float, seed: int) -> list[str]:
    """``"train"`` or ``"held_out"`` per example: ``fraction`` of each class held out, stratified.

    Built on :func:`core.data.split.stratified_split` with the stream ``(seed, "gan", "held_out")``, so
    the held-out part depends on the seed and each class's own members only. Below one half, every
    class keeps at least one training image.

    Args:
        labels: One label per image (None: unlabelled, its own group).
        fraction: Share held out, in [0, 0.5).
        seed: The GAN config's seed.
    """
    if fraction == 0 or len(labels) < MIN_HELD_OUT_IMAGES:
        return [HELD_OUT_PARTS[0]] * len(labels)
    return stratified_split(
        labels, derive_seed(seed, "gan", "held_out"), (1.0 - fraction, fraction), HELD_OUT_PARTS
    )


def training_split(dataset_images: Sequence[LoadedImage], config: ImageModelConfig) -> TrainingData:
    """The images as training tensors, ``config.held_out`` of each class kept apart (:func:`held_out_parts`).

    Stratified by the images' own labels, also for an unconditional model, so the held-out part is the
    same whatever the conditioning. With fewer than :data:`MIN_HELD_OUT_IMAGES` images, or
    ``held_out == 0``, every image trains and the held-out part is empty.

    Raises:
        ConfigError: As :func:`prepare_images`.
    """
    images, labels, classes = prepare_images(dataset_images, config)
    parts = held_out_parts([img.label for img in dataset_images], config.held_out, config.seed)
    held = torch.tensor([part == HELD_OUT_PARTS[1] for part in parts], dtype=torch.bool)
    return TrainingData(images[~held], labels[~held], classes, images[held], labels[held])


@dataclass(frozen=True)
class SuggestedSettings:
    """What a dataset calls for; the page's widgets and the CLI's flags start from it."""

    arch: str  # "mlp" for 8 px images (digits), "dcgan" for larger ones
    image_size: int  # GAN pixels: the smallest offered size that holds the images, at most DEFAULT_MAX_SIZE
    channels: int  # 1 when every image is grayscale, else 3
    conditional: bool  # every image labelled, 2 classes or more
    diffaugment: bool  # fewer than SMALL_PER_CLASS images per class, or the conv GAN at 32 px and up
    vae_size: int = 8  # VAE pixels: the smallest VAE size that holds the images, at most DEFAULT_MAX_SIZE
    ema: bool = True  # sample from the averaged generator; off below SMALL_PER_CLASS images per class


def default_diffaugment(n_images: int, n_classes: int, image_size: int = 0) -> bool:
    """DiffAugment by default below :data:`SMALL_PER_CLASS` images per class (all in one when unlabelled),
    and for the convolutional GAN's images of :data:`DIFFAUGMENT_SIZE` pixels and more."""
    return n_images / max(1, n_classes) < SMALL_PER_CLASS or image_size >= DIFFAUGMENT_SIZE


def suggested_settings(dataset_images: Sequence[LoadedImage]) -> SuggestedSettings:
    """The defaults for a dataset (sizes and colours looked up on its first few hundred images).

    Raises:
        ConfigError: No images.
    """
    if not dataset_images:
        raise ConfigError("There are no images to train on; load a dataset first.")
    side = max(max(img.height, img.width) for img in dataset_images[:200])
    arch = "mlp" if side <= SMALL_IMAGE else "dcgan"

    def fitting(sizes: Sequence[int]) -> int:
        offered = [s for s in sizes if s <= DEFAULT_MAX_SIZE]
        return next((s for s in offered if s >= side), offered[-1])

    size = SMALL_IMAGE if arch == "mlp" else fitting(CONV_SIZES)
    grey = all(img.channels == 1 for img in dataset_images[:500])
    labels = {img.label for img in dataset_images}
    classes = labels - {None}
    conditional = None not in labels and len(classes) >= 2
    return SuggestedSettings(
        arch=arch,
        image_size=size,
        channels=1 if grey else 3,
        conditional=conditional,
        diffaugment=default_diffaugment(len(dataset_images), len(classes), size if arch == "dcgan" else 0),
        vae_size=fitting(VAE_SIZES),
        ema=len(dataset_images) / max(1, len(classes)) >= SMALL_PER_CLASS,
    )
