"""The examples of an arm, computed: originals, augmented variants and synthetic samples as model input.

:mod:`core.experiment.arms` decides which items a fit trains on; a :class:`Bank` turns those items
into what the models read: for images uint8 ``N x S x S x C`` arrays at one size and colour mode
(:class:`ImageFormat`), for text a list of strings. Augmented variants are the export's: variant ``v``
of original ``i`` is ``augment(original, config, seed, i, v)`` (images) or ``augment_text(text,
config, seed, i, v)`` (text), computed on the original as loaded and only then brought to the model's
size, so the variants are the pixels the preview shows and the archive holds.

A variant is computed once per repeat and reused by every size and arm of that repeat (the subsets
are nested, so the largest size's variants hold all the others'); the cache is emptied when the next
repeat starts, which bounds memory by one repeat's training data.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from core.experiment.arms import AUGMENTED, ORIGINAL, Item
from core.experiment.recipe import IMAGE_SIZES

SIZE_STEPS = (8, 16, 32, 64)  # sizes chosen for mixed data: the largest not above the median side
STOP_EVERY = 200  # items computed between two calls of should_stop (it doubles as a heartbeat)


@dataclass(frozen=True)
class ImageFormat:
    """What the image models see: ``size`` x ``size`` pixels, 1 (gray) or 3 (RGB) channels."""

    size: int
    channels: int

    def describe(self) -> str:
        return f"{self.size}x{self.size} {'RGB' if self.channels == 3 else 'grayscale'}"


def image_format(arrays: Sequence[np.ndarray], image_size: int | None = None) -> ImageFormat:
    """The model input format for these images.

    Colour: RGB when any image has colour channels, else grayscale. Size: ``image_size`` when given;
    else the images' own side when they are all one square size from 8 to 64 pixels (digits stay
    8x8); else the largest of 8, 16, 32, 64 not above the median shorter side.
    """
    channels = 3 if any(a.ndim == 3 for a in arrays) else 1
    if image_size is not None:
        return ImageFormat(int(image_size), channels)
    shapes = {a.shape[:2] for a in arrays}
    if len(shapes) == 1:
        ((h, w),) = shapes
        if h == w and SIZE_STEPS[0] <= h <= SIZE_STEPS[-1]:
            return ImageFormat(int(h), channels)
    median = statistics.median(min(a.shape[:2]) for a in arrays)
    size = max([s for s in SIZE_STEPS if s <= median], default=IMAGE_SIZES[0])
    return ImageFormat(size, channels)


def to_model_image(array: np.ndarray, fmt: ImageFormat) -> np.ndarray:
    """One image as the models read it: ``S x S x C`` uint8.

    Alpha is dropped, colour becomes gray (ITU-R 601 luma) or gray becomes RGB as ``fmt`` asks; the
    image is centre-cropped to a square and resized (``INTER_AREA`` to shrink, ``INTER_LINEAR`` to
    enlarge, as the GAN's data preparation does).
    """
    if array.ndim == 3 and array.shape[2] == 4:
        array = array[:, :, :3]
    if fmt.channels == 1 and array.ndim == 3:
        array = cv2.cvtColor(np.ascontiguousarray(array), cv2.COLOR_RGB2GRAY)
    elif fmt.channels == 3 and array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    h, w = array.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    array = np.ascontiguousarray(array[top : top + side, left : left + side])
    if side != fmt.size:
        shrink = side > fmt.size
        array = cv2.resize(
            array, (fmt.size, fmt.size), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
        )
    return array.reshape(fmt.size, fmt.size, fmt.channels)


class Bank:
    """Computes and caches the model input of originals, variants and synthetic samples.

    Args:
        kind: ``"images"`` or ``"text"``.
        originals: ``LoadedImage`` items (images) or ``TextExample`` items (text), in input order.
        synthetic: Pool items (``SyntheticImage`` / ``SyntheticText``), in pool order.
        config: The ``ImageAugConfig`` or ``TextAugConfig``.
        seed: The augmentation seed (the recipe's, as in an export).
        fmt: Images: the model input format.
        should_stop: Called every :data:`STOP_EVERY` computed items; True abandons the work by raising
            :class:`Stopped`.
    """

    def __init__(
        self,
        kind: str,
        originals: Sequence[Any],
        synthetic: Sequence[Any],
        config: Any,
        seed: int,
        fmt: ImageFormat | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self.kind, self.originals, self.synthetic = kind, originals, synthetic
        self.config, self.seed, self.fmt = config, seed, fmt
        self.should_stop = should_stop
        self._variants: dict[tuple[int, int], Any] = {}
        self._plain: dict[tuple[str, int], Any] = {}
        self._computed = 0

    def new_repeat(self) -> None:
        """Forget the variants of the previous repeat (see the module docstring)."""
        self._variants.clear()

    def _tick(self) -> None:
        self._computed += 1
        if self.should_stop is not None and self._computed % STOP_EVERY == 0 and self.should_stop():
            raise Stopped

    def _original(self, index: int) -> Any:
        key = (ORIGINAL, index)
        if key not in self._plain:
            item = self.originals[index]
            self._plain[key] = to_model_image(item.array, self.fmt) if self.kind == "images" else item.text
        return self._plain[key]

    def _augmented(self, index: int, variant: int) -> Any:
        key = (index, variant)
        if key not in self._variants:
            self._tick()
            item = self.originals[index]
            if self.kind == "images":
                from core.augment.image import augment

                image, _ = augment(item.array, self.config, self.seed, index, variant)
                self._variants[key] = to_model_image(image, self.fmt)
            else:
                from core.augment.text import augment_text

                self._variants[key], _ = augment_text(item.text, self.config, self.seed, index, variant)
        return self._variants[key]

    def _synthetic(self, index: int) -> Any:
        key = ("synthetic", index)
        if key not in self._plain:
            item = self.synthetic[index]
            self._plain[key] = to_model_image(item.array, self.fmt) if self.kind == "images" else item.text
        return self._plain[key]

    def example(self, item: Item) -> Any:
        """The model input of one item: an ``S x S x C`` uint8 array, or a string."""
        if item.source == ORIGINAL:
            return self._original(item.index)
        if item.source == AUGMENTED:
            return self._augmented(item.index, int(item.variant or 0))
        return self._synthetic(item.index)

    def inputs(self, items: Sequence[Item]) -> np.ndarray | list[str]:
        """The model input of ``items``: ``N x S x S x C`` uint8 (images) or N strings (text)."""
        examples = [self.example(item) for item in items]
        if self.kind == "images":
            fmt = self.fmt
            return (
                np.stack(examples) if examples else np.empty((0, fmt.size, fmt.size, fmt.channels), np.uint8)
            )
        return examples


class Stopped(Exception):
    """Raised inside a fit or a computation when ``should_stop`` answered True."""
