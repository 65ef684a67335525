"""Image datasets: the built-in samples (bundled with scikit-learn / scikit-image, no download) and summaries.

Pages, the CLI and recipes pick built-in samples by name through :mod:`core.data.sources`; :data:`BUILTIN`
is the table of loaders it reads.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from core.data.image_io import LoadedImage, LoadProblem
from core.data.labels import UNLABELLED, count_labels

__all__ = [
    "BUILTIN",
    "DIGITS",
    "PHOTOS",
    "UNLABELLED",
    "DatasetSummary",
    "ImageDataset",
    "SizeStats",
    "count_labels",
    "load_digits",
    "load_photos",
    "summarize",
]


@dataclass
class ImageDataset:
    """A named collection of loaded images and the problems met while loading them.

    Attributes:
        name: Display name, e.g. the uploaded file's name or a built-in dataset's name.
        images: The images, in load order.
        problems: Files or members that could not be used.
    """

    name: str
    images: list[LoadedImage] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        """Sorted distinct class labels, ignoring unlabelled images."""
        return sorted({img.label for img in self.images if img.label is not None})

    @property
    def labelled(self) -> bool:
        """True when at least one image carries a class label."""
        return any(img.label is not None for img in self.images)


def load_digits() -> ImageDataset:
    """scikit-learn's handwritten digits: 1,797 grayscale 8x8 images in 10 classes ``"0"``..``"9"``.

    The 17 ink levels 0..16 are mapped to uint8 as ``round(v * 255 / 16)``. Names are
    ``digits/0000.png`` .. ``digits/1796.png`` (index in scikit-learn's order); no file is written.
    """
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    lut = np.array([round(v * 255 / 16) for v in range(17)], dtype=np.uint8)
    # One read-only block; each image is a contiguous read-only view into it, so nothing is copied.
    pixels = lut[np.asarray(bunch.images, dtype=np.int64)]
    pixels.flags.writeable = False
    notes = ("scikit-learn digit, ink levels 0..16 scaled to 0..255",)
    images = [
        LoadedImage(
            name=f"digits/{index:04d}.png",
            array=pixels[index],
            label=str(int(target)),
            source_mode="L",
            notes=notes,
        )
        for index, target in enumerate(bunch.target)
    ]
    return ImageDataset(name=DIGITS, images=images)


def _photo_sources() -> list[tuple[str, Callable[[], np.ndarray]]]:
    from skimage import data
    from sklearn.datasets import load_sample_images

    sklearn_images: list[np.ndarray] = []

    def sklearn_image(index: int) -> Callable[[], np.ndarray]:
        def load() -> np.ndarray:
            if not sklearn_images:  # both photos come from one call; read them once
                sklearn_images.extend(load_sample_images().images)
            return sklearn_images[index]

        return load

    return [
        ("photos/astronaut.png", data.astronaut),
        ("photos/chelsea.png", data.chelsea),
        ("photos/coffee.png", data.coffee),
        ("photos/rocket.jpg", data.rocket),
        ("photos/camera.png", data.camera),
        ("photos/china.jpg", sklearn_image(0)),
        ("photos/flower.jpg", sklearn_image(1)),
    ]


def load_photos() -> ImageDataset:
    """Seven real photos shipped inside scikit-image and scikit-learn (no download, no labels).

    astronaut, chelsea (a cat), coffee, rocket and camera (grayscale) from ``skimage.data``; china and
    flower from ``sklearn.datasets.load_sample_images``. A photo that cannot be read (a broken install)
    becomes a problem entry instead of an error.
    """
    images: list[LoadedImage] = []
    problems: list[LoadProblem] = []
    for name, loader in _photo_sources():
        try:
            array = np.asarray(loader())
        except (OSError, ImportError, ValueError) as exc:
            problems.append(LoadProblem(name, f"could not be read from the local install ({exc}); reinstall"))
            continue
        mode = "L" if array.ndim == 2 else {3: "RGB", 4: "RGBA"}[array.shape[2]]
        images.append(LoadedImage(name=name, array=array.astype(np.uint8, copy=False), source_mode=mode))
    return ImageDataset(name=PHOTOS, images=images, problems=problems)


DIGITS = "Digits (scikit-learn, 1,797 x 8x8, 10 classes)"
PHOTOS = "Photos (scikit-image / scikit-learn)"

BUILTIN: dict[str, Callable[[], ImageDataset]] = {
    DIGITS: load_digits,
    PHOTOS: load_photos,
}
"""Built-in image datasets by display name; each loader works offline and returns a fresh dataset.

Pick them by short or display name through :func:`core.data.sources.load_builtin_images`."""


@dataclass(frozen=True)
class SizeStats:
    """Minimum, median and maximum of one image dimension, in pixels."""

    minimum: int
    median: float
    maximum: int


@dataclass(frozen=True)
class DatasetSummary:
    """Counts and sizes of a set of images.

    Attributes:
        total: Number of images.
        class_counts: Images per class, sorted by class name, with ``"(unlabelled)"`` last for images
            without a label.
        width: Width statistics in pixels, or None when there are no images.
        height: Height statistics in pixels, or None when there are no images.
        layout_counts: Images per channel layout: ``"grayscale"``, ``"RGB"`` or ``"RGBA"``.
        source_mode_counts: Images per original Pillow mode (e.g. ``"P"``, ``"I;16"``), sorted by mode.
    """

    total: int
    class_counts: dict[str, int]
    width: SizeStats | None
    height: SizeStats | None
    layout_counts: dict[str, int]
    source_mode_counts: dict[str, int]


_LAYOUTS = {1: "grayscale", 3: "RGB", 4: "RGBA"}


def _stats(values: list[int]) -> SizeStats | None:
    if not values:
        return None
    return SizeStats(minimum=min(values), median=float(statistics.median(values)), maximum=max(values))


def summarize(images: Sequence[LoadedImage]) -> DatasetSummary:
    """Count images per class, channel layout and source mode, and describe their sizes.

    Args:
        images: The images to describe.

    Returns:
        The summary; see :class:`DatasetSummary`.
    """
    class_counts = count_labels(img.label for img in images)
    layouts = Counter(_LAYOUTS[img.channels] for img in images)
    modes = Counter(img.source_mode for img in images)
    return DatasetSummary(
        total=len(images),
        class_counts=class_counts,
        width=_stats([img.width for img in images]),
        height=_stats([img.height for img in images]),
        layout_counts={layout: layouts[layout] for layout in _LAYOUTS.values() if layouts[layout]},
        source_mode_counts=dict(sorted(modes.items())),
    )
